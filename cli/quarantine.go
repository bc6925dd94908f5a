package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// runQuarantine lists the rows set aside with their reasons and the values
// read: the operator's view, the only one that shows rejected values.
//
//	bassins quarantine [--source S] [--load ID] [--limit N] [--format table|json]
func runQuarantine(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("quarantine", stderr)
	configPath := fs.String("config", "", "configuration file")
	source := fs.String("source", "", "only this source's rows")
	load := fs.Uint64("load", 0, "only this load's rows")
	limit := fs.Int("limit", 1000, "at most this many rows, the latest loads first (0: all)")
	format := fs.String("format", "table", "table or json")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return usageError{fmt.Errorf("unexpected %q: bassins quarantine [--source S] [--load ID] [--format table|json]", positional[0])}
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Errorf("--format %q: table or json", *format)}
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
	rows, err := a.wh.Quarantine(ctx, warehouse.QuarantineFilter{Source: *source, LoadID: *load, Limit: *limit})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeQuarantineJSON(stdout, rows)
	}
	return writeQuarantineTable(stdout, rows)
}

type reasonJSON struct {
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

type quarantinedJSON struct {
	LoadID  uint64       `json:"load_id"`
	Source  string       `json:"source"`
	File    string       `json:"file"`
	Line    int          `json:"line"`
	Reasons []reasonJSON `json:"reasons"`
	Raw     string       `json:"raw"`
}

func writeQuarantineJSON(w io.Writer, rows []warehouse.QuarantinedRow) error {
	out := make([]quarantinedJSON, 0, len(rows))
	for _, q := range rows {
		j := quarantinedJSON{LoadID: q.LoadID, Source: q.Source, File: q.File, Line: q.Line, Raw: q.Raw}
		for _, r := range q.Reasons {
			j.Reasons = append(j.Reasons, reasonJSON{Code: r.Code, Field: r.Field, Column: r.Column, Value: r.Value,
				Message: r.Message()})
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeQuarantineTable(w io.Writer, rows []warehouse.QuarantinedRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOAD\tSOURCE\tFILE\tLINE\tREASON\tVALUE")
	for _, q := range rows {
		for i, r := range q.Reasons {
			load, source, file, line := fmt.Sprint(q.LoadID), q.Source, q.File, fmt.Sprint(q.Line)
			if i > 0 {
				load, source, file, line = "", "", "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", load, source, file, line, r.Message(), printable(r.Value))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no row in quarantine")
	}
	return nil
}

// printable keeps a value on one line of the terminal.
func printable(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return fmt.Sprintf("%q", s)
}
