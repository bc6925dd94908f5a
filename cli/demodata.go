package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/brusano/bassins/sources/demo"
)

func runDemoData(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo-data", stderr)
	configPath := fs.String("config", "", "configuration file (for the inbox folder)")
	dir := fs.String("dir", "", "folder to write into (default: the configured inbox)")
	scale := fs.Float64("scale", 1, "volume multiplier")
	seed := fs.Int64("seed", 1, "random seed: the same seed writes the same files")
	until := fs.String("until", "", "last month covered, YYYY-MM (default: the last complete month)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	if *dir == "" {
		*dir = cfg.Paths.Inbox
	}
	last := lastCompleteMonth(time.Now().In(cfg.Location()))
	if *until != "" {
		if last, err = time.Parse("2006-01", *until); err != nil {
			return usageError{fmt.Errorf("--until %q is not a month written YYYY-MM", *until)}
		}
	}
	if *scale <= 0 {
		return usageError{fmt.Errorf("--scale must be above 0")}
	}
	sum, err := demo.Write(ctx, demo.Options{Dir: *dir, Seed: *seed, Scale: *scale, Until: last, Logger: newLogger(stderr)})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data written to %s: %d files, rows %v\n", *dir, sum.Files, sum.Rows)
	return nil
}

// lastCompleteMonth returns the first day of the month before now's.
func lastCompleteMonth(now time.Time) time.Time {
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
}
