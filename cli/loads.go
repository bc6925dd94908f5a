package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// runLoads lists the deliveries, or withdraws one:
//
//	bassins loads [--source S] [--format table|json]
//	bassins loads retract LOAD_ID --reason "…"
func runLoads(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("loads", stderr)
	configPath := fs.String("config", "", "configuration file")
	source := fs.String("source", "", "only this source's deliveries")
	format := fs.String("format", "table", "table or json")
	reason := fs.String("reason", "", "why a load is retracted (kept with it)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usageError{fmt.Errorf("--format %q: table or json", *format)}
	}
	var retract uint64
	switch {
	case len(positional) == 0:
	case len(positional) == 2 && positional[0] == "retract":
		if retract, err = strconv.ParseUint(positional[1], 10, 64); err != nil || retract == 0 {
			return usageError{fmt.Errorf("%q is not a load id (see `bassins loads`)", positional[1])}
		}
		if strings.TrimSpace(*reason) == "" {
			return usageError{fmt.Errorf(`say why: bassins loads retract %d --reason "…"`, retract)}
		}
	default:
		return usageError{fmt.Errorf(`bassins loads [--source S] [--format table|json], or bassins loads retract LOAD_ID --reason "…"`)}
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
	if retract != 0 {
		l, err := a.wh.Retract(ctx, retract, strings.TrimSpace(*reason))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "load %d (%s, %s) retracted; computing the indicators again…\n", l.LoadID, l.Source, l.File)
		// The figures follow at once: every compute job runs now (after
		// any ingest or computation going on, in this process or another).
		var errs []error
		for _, j := range a.cfg.Jobs {
			if j.Kind != config.KindCompute {
				continue
			}
			run, err := a.sched.RunOnce(ctx, j.Name, time.Time{})
			if errors.Is(err, scheduler.ErrBusy) {
				fmt.Fprintf(stdout, "%s is running already: it will not see the retraction; the next computation will.\n", j.Name)
				continue
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", j.Name, err))
				continue
			}
			fmt.Fprintf(stdout, "%s: %s, %d values (run %s)\n", j.Name, run.Status, run.Rows, run.RunID)
		}
		return errors.Join(errs...)
	}
	loads, err := a.wh.Loads(ctx, warehouse.LoadFilter{Source: *source})
	if err != nil {
		return err
	}
	if *format == "json" {
		return writeLoadsJSON(stdout, loads)
	}
	return writeLoadsTable(stdout, loads)
}

// loadStatus is a load's status as shown: a loaded delivery whose every
// month a later one replaces is "replaced".
func loadStatus(l warehouse.Load) string {
	if l.Replaced() {
		return "replaced"
	}
	return l.Status
}

func monthList(ms []time.Time) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

type loadJSON struct {
	LoadID          uint64    `json:"load_id"`
	Source          string    `json:"source"`
	Dataset         string    `json:"dataset"`
	File            string    `json:"file"`
	SHA256          string    `json:"sha256"`
	Status          string    `json:"status"`
	Replace         string    `json:"replace"`
	DeliveredAt     time.Time `json:"delivered_at"`
	LoadedAt        time.Time `json:"loaded_at"`
	RowsRead        uint64    `json:"rows_read"`
	RowsLoaded      uint64    `json:"rows_loaded"`
	RowsQuarantined uint64    `json:"rows_quarantined"`
	RowsDuplicate   uint64    `json:"rows_duplicate"`
	Months          []string  `json:"months"`
	ReplacedMonths  []string  `json:"replaced_months"`
	Message         string    `json:"message"`
}

func writeLoadsJSON(w io.Writer, loads []warehouse.Load) error {
	out := make([]loadJSON, 0, len(loads))
	for _, l := range loads {
		out = append(out, loadJSON{LoadID: l.LoadID, Source: l.Source, Dataset: l.Dataset, File: l.File, SHA256: l.SHA256,
			Status: loadStatus(l), Replace: l.Replace, DeliveredAt: l.DeliveredAt, LoadedAt: l.LoadedAt,
			RowsRead: l.RowsRead, RowsLoaded: l.RowsLoaded, RowsQuarantined: l.RowsQuarantined, RowsDuplicate: l.RowsDuplicate,
			Months: monthList(l.Months), ReplacedMonths: monthList(l.ReplacedMonths), Message: l.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeLoadsTable(w io.Writer, loads []warehouse.Load) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOAD\tSOURCE\tFILE\tSTATUS\tREAD\tLOADED\tQUARANTINED\tMONTHS\tSHA-256\tLOADED AT")
	for _, l := range loads {
		months := strings.Join(monthList(l.Months), ",")
		if len(l.ReplacedMonths) > 0 && !l.Replaced() {
			months += " (replaced: " + strings.Join(monthList(l.ReplacedMonths), ",") + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", l.LoadID, l.Source, l.File, loadStatus(l),
			l.RowsRead, l.RowsLoaded, l.RowsQuarantined, months, l.SHA256, l.LoadedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(loads) == 0 {
		fmt.Fprintln(w, "no delivery loaded yet")
	}
	return nil
}
