package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/brusano/bassins/config"
)

// backfillRun is one run a backfill makes: the job as of a time.
type backfillRun struct {
	asOf  time.Time
	label string
}

// backfillPlan lists the runs that redo job for the months from..to: one
// report per month (a report run covers the month before the one it runs
// in), and one computation for the whole span, since a computation always
// derives every month from the data that counts.
func backfillPlan(job config.Job, from, to time.Time, loc *time.Location) ([]backfillRun, error) {
	if to.Before(from) {
		return nil, fmt.Errorf("--to %s is before --from %s", to.Format("2006-01"), from.Format("2006-01"))
	}
	switch job.Kind {
	case config.KindReport:
		var plan []backfillRun
		for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
			plan = append(plan, backfillRun{asOf: reportAsOf(m, loc), label: "report of " + m.Format("2006-01")})
		}
		return plan, nil
	case config.KindCompute:
		return []backfillRun{{label: fmt.Sprintf("one computation of every month, %s to %s included",
			from.Format("2006-01"), to.Format("2006-01"))}}, nil
	}
	return nil, fmt.Errorf("job %s is a %s job: backfill redoes compute and report jobs only", job.Name, job.Kind)
}

// reportAsOf is when the report of month runs: the 1st of the next month.
func reportAsOf(month time.Time, loc *time.Location) time.Time {
	return time.Date(month.Year(), month.Month()+1, 1, 6, 0, 0, 0, loc)
}

func runBackfill(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backfill", stderr)
	configPath := fs.String("config", "", "configuration file")
	fromFlag := fs.String("from", "", "first month, YYYY-MM")
	toFlag := fs.String("to", "", "last month, YYYY-MM (default: --from)")
	dryRun := fs.Bool("dry-run", false, "list the runs without making them")
	positional, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(positional) != 1 {
		return usageError{errors.New("name one job: bassins backfill JOB --from YYYY-MM --to YYYY-MM")}
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	job, ok := cfg.Job(positional[0])
	if !ok {
		return usageError{fmt.Errorf("no job %q in %s", positional[0], cfg.File)}
	}
	if *toFlag == "" {
		*toFlag = *fromFlag
	}
	from, err1 := time.ParseInLocation("2006-01", *fromFlag, cfg.Location())
	to, err2 := time.ParseInLocation("2006-01", *toFlag, cfg.Location())
	if err1 != nil || err2 != nil {
		return usageError{errors.New("--from and --to take months written YYYY-MM")}
	}
	plan, err := backfillPlan(job, from, to, cfg.Location())
	if err != nil {
		return usageError{err}
	}
	if *dryRun {
		for _, r := range plan {
			fmt.Fprintf(stdout, "%s: %s\n", job.Name, r.label)
		}
		fmt.Fprintf(stdout, "%d run(s); nothing done (--dry-run)\n", len(plan))
		return nil
	}
	a, err := start(ctx, cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer a.close()
	var errs []error
	for _, r := range plan {
		run, err := a.sched.RunOnce(ctx, job.Name, r.asOf)
		fmt.Fprintf(stdout, "%s: %s: %s, %d rows (run %s)\n", job.Name, r.label, run.Status, run.Rows, run.RunID)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			errs = append(errs, fmt.Errorf("%s: %w", r.label, err))
		}
	}
	return errors.Join(errs...)
}
