package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/brusano/bassins/dashboards"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	configPath := fs.String("config", "", "configuration file")
	addr := fs.String("addr", "127.0.0.1:8080", "address the dashboards listen on")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	a, err := start(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	return a.serve(ctx, *addr, stdout)
}

// serve runs the scheduler and the dashboards until ctx is cancelled.
func (a *app) serve(ctx context.Context, addr string, stdout io.Writer) error {
	handler, err := dashboards.New(dashboards.Options{Store: a.reader, Logger: a.log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	a.sched.Start()
	defer a.sched.Stop(10 * time.Second)
	for job, next := range a.sched.Next() {
		a.log.Info("job scheduled", "job", job, "next", next.In(a.cfg.Location()).Format(time.RFC3339))
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "\nTableaux de bord / Dashboards: http://%s/\n(Ctrl-C pour arrêter / om te stoppen)\n\n", ln.Addr())

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.log.Info("stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
