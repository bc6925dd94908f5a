package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/brusano/bassins/pipeline/indicators"
)

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", stderr)
	configPath := fs.String("config", "", "configuration file")
	format := fs.String("format", "csv", "csv or json")
	output := fs.String("output", "", "file to write (default: standard output)")
	unsuppressed := fs.Bool("unsuppressed", false, "include small counts (for internal use only: not for publication)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 || positional[0] != "indicators" {
		return usageError{fmt.Errorf("what to export: bassins export indicators")}
	}
	if *format != "csv" && *format != "json" {
		return usageError{fmt.Errorf("--format %q: csv or json", *format)}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	a, err := start(ctx, cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer a.close()
	snap, err := a.snapshot(ctx)
	if err != nil {
		return err
	}
	if snap.RunID == "" {
		return fmt.Errorf("no indicator values yet: run `bassins run compute` first")
	}
	write := indicators.WriteCSV
	if *format == "json" {
		write = indicators.WriteJSON
	}
	rows := snap.Export(*unsuppressed, nil)
	if *output == "" {
		return write(stdout, rows)
	}
	f, err := os.Create(*output)
	if err != nil {
		return err
	}
	if err := write(f, rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
