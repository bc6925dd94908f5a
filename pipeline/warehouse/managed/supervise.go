package managed

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"
)

// Defaults of SuperviseOptions.
const (
	defaultCheckInterval = 2 * time.Second
	defaultMinBackoff    = 500 * time.Millisecond
	defaultMaxBackoff    = 30 * time.Second
	defaultHangAfter     = 2 * time.Minute
)

// SuperviseOptions tunes Supervise.
type SuperviseOptions struct {
	// CheckInterval is the time between two checks of the server. Default
	// 2s. The exit of a server this process started is seen at once.
	CheckInterval time.Duration
	// MinBackoff is the wait after a failed restart, doubled after each
	// further failure up to MaxBackoff. Defaults 0.5s and 30s.
	MinBackoff, MaxBackoff time.Duration
	// OnChange, when set, is called with the new native address after a
	// restart or a take-over moved the server to another address. It runs
	// on the supervisor's goroutine, which waits for it.
	OnChange func(addr string)
	// HangAfter is how long a server this process started may run without
	// answering before it is killed and started again. Default 2 minutes:
	// long enough for a server busy with a heavy merge to answer again.
	HangAfter time.Duration
}

// Supervisor keeps a managed server answering for a long-lived process.
//
// A server this process started (owns) that exits is started again, through
// the same steps as Start: under the data directory lock, reusing a server
// another process started meanwhile, else launching one, on the previous
// ports when they are free so that clients reconnect to the same address.
// Failed attempts are retried after a growing wait.
//
// A reused server, owned by another process, is checked every CheckInterval
// (its process is alive and it answers an authenticated ping). When it goes
// away, typically because its owner exited (the server then gets SIGTERM) or
// closed it, the supervisor starts again: it reuses the server another process
// has started meanwhile, or launches one and becomes its owner. So several
// processes on one data directory always find the server again, wherever it
// moved.
//
// A server that runs but does not answer is reported (Up is false); one this
// process started that still does not answer after HangAfter is killed, and
// so started again. A reused one is left to its owner: a second server cannot
// run on the same data.
type Supervisor struct {
	c      config
	opts   SuperviseOptions
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.Mutex
	srv *Server
	up  bool

	closeOnce sync.Once
	closeErr  error
}

// Supervise starts (or reuses) the server as Start does, failing if that
// fails, then watches it until ctx is done or Close is called. Cancelling ctx
// stops the watch, not the server: Close stops it.
func Supervise(ctx context.Context, opts Options, sopts SuperviseOptions) (*Supervisor, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("managed: supervise: %w", err)
	}
	if sopts.CheckInterval <= 0 {
		sopts.CheckInterval = defaultCheckInterval
	}
	if sopts.MinBackoff <= 0 {
		sopts.MinBackoff = defaultMinBackoff
	}
	if sopts.MaxBackoff <= 0 {
		sopts.MaxBackoff = defaultMaxBackoff
	}
	if sopts.HangAfter <= 0 {
		sopts.HangAfter = defaultHangAfter
	}
	sopts.MaxBackoff = max(sopts.MaxBackoff, sopts.MinBackoff)
	srv, err := start(ctx, c, ports{})
	if err != nil {
		return nil, fmt.Errorf("managed: supervise: start: %w", err)
	}
	watchCtx, cancel := context.WithCancel(ctx)
	s := &Supervisor{c: c, opts: sopts, cancel: cancel, done: make(chan struct{}), srv: srv, up: true}
	go s.watch(watchCtx)
	return s, nil
}

// Addr is the native protocol address of the current server. It is safe for
// concurrent use.
func (s *Supervisor) Addr() string { return s.Server().Addr() }

// Up reports whether the server answered at the last check.
func (s *Supervisor) Up() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.up
}

// Server is the current server; it changes after a restart or a take-over.
func (s *Supervisor) Server() *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv
}

// Close stops watching, then closes the server if this process owns it (see
// Server.Close). It is safe to call more than once.
func (s *Supervisor) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		<-s.done
		s.closeErr = s.Server().Close()
	})
	return s.closeErr
}

func (s *Supervisor) setUp(up bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.up = up
}

// watch checks the server every CheckInterval, and at once when an owned one
// exits, and restarts it when it is gone.
func (s *Supervisor) watch(ctx context.Context) {
	defer close(s.done)
	ticker := time.NewTicker(s.opts.CheckInterval)
	defer ticker.Stop()
	silent := false    // whether "not answering" was logged since the last answer
	var mute time.Time // since when an owned server has not answered
	for {
		srv := s.Server()
		select {
		case <-ctx.Done():
			return
		case <-srv.exited: // nil, so never ready, for a reused server
		case <-ticker.C:
		}
		if reason, gone := s.gone(srv); gone {
			s.setUp(false)
			s.restart(ctx, srv, reason)
			silent = false
			continue
		}
		err := answers(ctx, srv.tcpPort, srv.httpPort, s.c.password)
		if ctx.Err() != nil {
			return
		}
		s.setUp(err == nil)
		switch {
		case err == nil:
			silent, mute = false, time.Time{}
		case !silent:
			s.c.logger.Warn("clickhouse server not answering", "addr", srv.Addr(), "pid", srv.pid, "err", err)
			silent, mute = true, time.Now()
		case !srv.reused && time.Since(mute) > s.opts.HangAfter:
			s.c.logger.Error("clickhouse server has not answered for too long: killing it to start it again",
				"addr", srv.Addr(), "pid", srv.pid, "since", mute.Format(time.RFC3339), "hang_after", s.opts.HangAfter)
			// Its exit is then seen at once and it is started again.
			if err := srv.kill(); err != nil {
				s.c.logger.Error("killing the clickhouse server", "pid", srv.pid, "err", err)
			}
			mute = time.Now()
		}
	}
}

// gone reports whether the server's process is no more, and why.
func (s *Supervisor) gone(srv *Server) (reason string, gone bool) {
	if !srv.reused {
		if srv.hasExited() {
			return fmt.Sprintf("the server this process started exited (%v)", srv.waitErr), true
		}
		return "", false
	}
	if !isServerProcess(srv.pid, filepath.Join(s.c.dataDir, configFile)) {
		return "the server this process reused (started by another owner) is gone", true
	}
	return "", false
}

// restart starts again after old is gone, until it succeeds or ctx is done.
func (s *Supervisor) restart(ctx context.Context, old *Server, reason string) {
	s.c.logger.Warn("clickhouse server gone, starting again", "reason", reason, "addr", old.Addr(), "pid", old.pid)
	if !old.reused {
		// Release the exited server and its record; the error only
		// repeats that it had exited.
		if err := old.Close(); err != nil {
			s.c.logger.Debug("closing exited clickhouse server", "err", err)
		}
	}
	backoff := s.opts.MinBackoff
	for attempt := 1; ; attempt++ {
		srv, err := start(ctx, s.c, ports{tcp: old.tcpPort, http: old.httpPort})
		if err == nil {
			s.mu.Lock()
			s.srv, s.up = srv, true
			s.mu.Unlock()
			s.c.logger.Warn("clickhouse server back", "reason", reason, "addr", srv.Addr(), "pid", srv.pid,
				"reused", srv.reused, "attempt", attempt)
			if srv.Addr() != old.Addr() && s.opts.OnChange != nil {
				s.opts.OnChange(srv.Addr())
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.c.logger.Warn("clickhouse server restart failed", "reason", reason, "attempt", attempt, "err", err,
			"retry_in", backoff)
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
}
