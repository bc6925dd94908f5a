package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
)

// exportedValue is one line of an export.
type exportedValue struct {
	Indicator   string   `json:"indicator"`
	Level       string   `json:"level"`
	Code        string   `json:"code"`
	NameFR      string   `json:"name_fr"`
	NameNL      string   `json:"name_nl"`
	Period      string   `json:"period"`
	Value       *float64 `json:"value"`
	Numerator   *float64 `json:"numerator"`
	Denominator float64  `json:"denominator"`
	Estimated   bool     `json:"estimated"`
	Suppressed  bool     `json:"suppressed"`
	RunID       string   `json:"run_id"`
}

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
	out := stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	values := make([]exportedValue, 0, len(snap.Values))
	for _, v := range snap.Values {
		e := exportedValue{Indicator: v.Indicator, Level: v.Level, Code: v.Code,
			NameFR: snap.Geography.Name(v.Level, v.Code, "fr"), NameNL: snap.Geography.Name(v.Level, v.Code, "nl"),
			Period: v.Period.Format("2006-01"), Denominator: v.Denominator, Estimated: v.Estimated, RunID: v.RunID}
		if e.Suppressed = snap.Suppressed(v) && !*unsuppressed; !e.Suppressed {
			value, numerator := v.Value, v.Numerator
			e.Value, e.Numerator = &value, &numerator
		}
		values = append(values, e)
	}
	if *format == "json" {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(values)
	}
	return writeCSV(out, values)
}

func writeCSV(out io.Writer, values []exportedValue) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"indicator", "level", "code", "name_fr", "name_nl", "period", "value", "numerator",
		"denominator", "estimated", "suppressed", "run_id"})
	num := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	for _, e := range values {
		_ = w.Write([]string{e.Indicator, e.Level, e.Code, e.NameFR, e.NameNL, e.Period, num(e.Value), num(e.Numerator),
			strconv.FormatFloat(e.Denominator, 'f', -1, 64), strconv.FormatBool(e.Estimated), strconv.FormatBool(e.Suppressed), e.RunID})
	}
	w.Flush()
	return w.Error()
}
