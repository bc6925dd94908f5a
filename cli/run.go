package cli

import (
	"context"
	"fmt"
	"io"
	"time"
)

func runJob(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	configPath := fs.String("config", "", "configuration file")
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
	if _, ok := cfg.Job(positional[0]); !ok {
		var names []string
		for _, j := range cfg.Jobs {
			names = append(names, j.Name)
		}
		return usageError{fmt.Errorf("no job %q in %s (jobs: %v)", positional[0], cfg.File, names)}
	}
	a, err := start(ctx, cfg, newLogger(stderr))
	if err != nil {
		return err
	}
	defer a.close()
	run, err := a.sched.RunNow(ctx, positional[0])
	fmt.Fprintf(stdout, "%s: %s, %d rows, %s (run %s)\n", run.Job, run.Status, run.Rows,
		run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), run.RunID)
	return err
}
