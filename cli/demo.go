package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/sources/demo"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	configPath := fs.String("config", "", "configuration file")
	addr := fs.String("addr", "127.0.0.1:8080", "address the dashboards listen on")
	scale := fs.Float64("scale", 1, "volume of the demo data, when the inbox is empty")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	if empty, err := inboxEmpty(cfg); err != nil {
		return err
	} else if empty {
		until := lastCompleteMonth(time.Now().In(cfg.Location()))
		sum, err := demo.Write(ctx, demo.Options{Dir: cfg.Paths.Inbox, Seed: 1, Scale: *scale, Until: until, Logger: log})
		if err != nil {
			return err
		}
		log.Info("demo data written", "inbox", cfg.Paths.Inbox, "files", sum.Files, "until", until.Format("2006-01"))
	}
	a, err := startWith(ctx, cfg, log, startOptions{supervise: true, observe: true})
	if err != nil {
		return err
	}
	defer a.close()
	var order []string
	for _, kind := range []string{config.KindIngest, config.KindCompute, config.KindReport} {
		for _, j := range cfg.Jobs {
			if j.Kind == kind {
				order = append(order, j.Name)
			}
		}
	}
	if err := a.runJobsOnce(ctx, order...); err != nil {
		if ctx.Err() != nil {
			return err
		}
		// Shown on /activite too; the dashboards still serve what was computed.
		log.Warn("a job failed; serving what is there", "err", err)
	}
	fmt.Fprintf(stdout, "Rapports / Rapporten: %s\n", cfg.Paths.Reports)
	return a.serve(ctx, *addr, *configPath, stdout)
}

// inboxEmpty reports whether no source of the configuration has a file yet.
func inboxEmpty(cfg *config.Config) (bool, error) {
	for _, s := range cfg.Sources {
		files, err := filepath.Glob(filepath.Join(cfg.Paths.Inbox, s.Path))
		if err != nil {
			return false, err
		}
		if len(files) > 0 {
			return false, nil
		}
	}
	if err := os.MkdirAll(cfg.Paths.Inbox, 0o755); err != nil {
		return false, fmt.Errorf("inbox: %w", err)
	}
	return true, nil
}
