package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/scheduler"
)

func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	configPath := fs.String("config", "", "configuration file")
	period := fs.String("period", "", "for a report job: the month to report, YYYY-MM (default: the last complete month)")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError{fmt.Errorf("name one job to run")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	job, ok := cfg.Job(positional[0])
	if !ok {
		var names []string
		for _, j := range cfg.Jobs {
			names = append(names, j.Name)
		}
		return usageError{fmt.Errorf("no job %q in %s (jobs: %v)", positional[0], cfg.File, names)}
	}
	var asOf time.Time
	if *period != "" {
		month, err := time.Parse("2006-01", *period)
		if err != nil || job.Kind != config.KindReport {
			return usageError{fmt.Errorf("--period takes a month written YYYY-MM, for a report job")}
		}
		asOf = reportAsOf(month, cfg.Location())
	}
	a, err := start(ctx, cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer a.close()
	runCtx, cancel := withGrace(ctx, cfg.Service.ShutdownGrace)
	defer cancel()
	run, err := a.sched.RunOnce(runCtx, job.Name, asOf)
	if errors.Is(err, scheduler.ErrBusy) {
		// One run at a time: the one going on does the work.
		held := strings.TrimPrefix(strings.TrimPrefix(err.Error(), scheduler.ErrBusy.Error()), ": ")
		if held == "" {
			held = "in this process"
		}
		return startupError{fmt.Sprintf("%s is running already, nothing done (%s)", job.Name, held), err}
	}
	fmt.Fprintf(stdout, "%s: %s, %d rows, %s (run %s)\n", run.Job, run.Status, run.Rows,
		run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), run.RunID)
	return err
}
