// Package managed runs a ClickHouse server that the program starts and stops
// itself, keeping its configuration, data and logs under one directory.
//
// The server is locked down: it listens on 127.0.0.1 only, on ports chosen
// free at each start (or the fixed Options.TCPPort), speaks the native
// protocol only (no HTTP interface unless Options.HTTP), and lets in one
// user, User, with the password given in Options (the configuration holds
// its SHA-256 only, but for a node of a cluster, see Cluster), from loopback
// only.
// The data directory is 0700 and the configuration 0600, so other users of
// the machine read neither the data nor the logs. A second Start on the same
// directory while a server of ours runs there reuses that server instead of
// starting another one, provided it accepts the password.
//
// Supervise keeps a server answering for a long-lived process: it restarts a
// server that exited, and takes over when the process owning a reused server
// goes away.
//
// The package works on Unix systems. Its tests run against ClickHouse 18.16
// (clickhouse-server) and, through bin/bassins-chdb (cmd/bassins-chdb), a
// current ClickHouse served by libchdb; for current releases it also accepts
// the single clickhouse binary, run as "clickhouse server".
//
// A binary named bassins-chdb is run with clickhouse-local's command line: a
// query starts the native protocol listener, then sleeps until the process is
// stopped. It has no HTTP interface. Two limits of clickhouse-local shape its
// configuration (see usersConfig): its own connection logs in as "default"
// without password, so that user exists there with next to no rights; and any
// connection whose handshake fails, a wrong password included, ends the whole
// process (clickhouse-local, when not interactive, terminates on an error no
// one catches), which Supervise then restarts.
package managed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	defaultStartTimeout = 60 * time.Second
	pollInterval        = 100 * time.Millisecond
	probeTimeout        = time.Second
	stopGrace           = 30 * time.Second
	killWait            = 10 * time.Second
	tailLineCount       = 20
	portAttempts        = 3
	configFlag          = "--config-file="
	// chdbName is the base name of the libchdb runner (cmd/bassins-chdb).
	chdbName = "bassins-chdb"
	// chdbServe is the query a bassins-chdb server runs: listen on the
	// configured TCP port, then sleep one second per row, one row per block
	// (the sleep functions refuse more than 3s per block), for ~30 years.
	// Its two statements are the quota of the start-up user (startupQueries).
	chdbServe = "SYSTEM START LISTEN TCP; " +
		"SELECT sleepEachRow(1) FROM numbers(1000000000) SETTINGS max_block_size = 1 FORMAT Null"
	// defaultPasswordSource names the password in errors when
	// Options.PasswordSource is empty.
	defaultPasswordSource = "Options.Password"
)

// User is the name of the server's one user, the one clients log in as.
const User = "bassins"

// ErrNoBinary is returned, wrapped, by Start when Options.Binary is empty and
// no ClickHouse server binary is installed. Tests use it to skip.
var ErrNoBinary = errors.New("no clickhouse server binary found (looked for clickhouse-server in PATH, /usr/sbin, /usr/bin, then clickhouse in PATH)")

// Options configures Start.
type Options struct {
	// DataDir holds the configuration, data, logs and state of the server,
	// e.g. "var/clickhouse". It is made absolute, created if missing, and
	// made accessible to its owner only (0700).
	DataDir string
	// Binary is the server executable, a path or a name looked up in PATH.
	// A binary named "clickhouse" is run as "clickhouse server", one named
	// "bassins-chdb" as clickhouse-local serving TCP. When empty,
	// clickhouse-server is looked up in PATH, then /usr/sbin and /usr/bin,
	// then clickhouse in PATH.
	Binary string
	// Password is the password of User, required. A reused server must
	// accept it. LoadOrCreatePassword keeps one in a file.
	Password string
	// PasswordSource says where Password comes from, e.g. the path of its
	// file, for error messages (never the password itself). Default
	// "Options.Password".
	PasswordSource string
	// HTTP opens the HTTP interface as well, on HTTPPort, or on a free port
	// when HTTPPort is 0. Off by default: the server then has no HTTP port.
	// bassins-chdb has no HTTP interface.
	HTTP     bool
	HTTPPort int
	// TCPPort fixes the native protocol port; 0 chooses a free one at
	// each start. The nodes of a cluster need it: each names the others'
	// ports in its configuration before they start.
	TCPPort int
	// Cluster, when set, makes the server a node of a cluster of managed
	// servers (see Cluster).
	Cluster *Cluster
	// StartTimeout bounds the wait for the server to answer. Default 60s.
	StartTimeout time.Duration
	// Logger receives start and stop events. Nil discards them.
	Logger *slog.Logger
}

// config is Options checked and completed.
type config struct {
	logger         *slog.Logger
	dataDir        string
	bin            binaryCommand
	password       string
	passwordSource string
	http           bool
	httpPort       int
	tcpPort        int
	cluster        *Cluster
	timeout        time.Duration
}

// newConfig checks opts and fills in the defaults.
func newConfig(opts Options) (config, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := config{
		logger:         logger.With("component", "managed_clickhouse"),
		password:       opts.Password,
		passwordSource: opts.PasswordSource,
		http:           opts.HTTP,
		httpPort:       opts.HTTPPort,
		tcpPort:        opts.TCPPort,
		cluster:        opts.Cluster,
		timeout:        opts.StartTimeout,
	}
	if opts.DataDir == "" {
		return config{}, errors.New("DataDir is required")
	}
	if opts.Password == "" {
		return config{}, errors.New("a password is required (Options.Password; LoadOrCreatePassword keeps one in a file)")
	}
	if c.passwordSource == "" {
		c.passwordSource = defaultPasswordSource
	}
	if opts.HTTPPort < 0 || opts.HTTPPort > 65535 || (opts.HTTPPort != 0 && !opts.HTTP) {
		return config{}, fmt.Errorf("HTTPPort %d: want a port number, and HTTP set", opts.HTTPPort)
	}
	if opts.TCPPort < 0 || opts.TCPPort > 65535 {
		return config{}, fmt.Errorf("TCPPort %d: want a port number", opts.TCPPort)
	}
	if opts.Cluster != nil {
		if err := opts.Cluster.check(); err != nil {
			return config{}, err
		}
	}
	if c.timeout <= 0 {
		c.timeout = defaultStartTimeout
	}
	var err error
	if c.dataDir, err = filepath.Abs(opts.DataDir); err != nil {
		return config{}, fmt.Errorf("data dir: %w", err)
	}
	if c.bin, err = findBinary(opts.Binary); err != nil {
		return config{}, err
	}
	if c.http && c.bin.chdb {
		return config{}, fmt.Errorf("%s has no HTTP interface: leave Options.HTTP unset", c.bin.path)
	}
	return c, nil
}

// Server is a running ClickHouse server, either started by this Server or
// found already running on the same DataDir (see Reused).
type Server struct {
	logger    *slog.Logger
	dataDir   string
	binary    string
	password  string
	tcpPort   int
	httpPort  int
	pid       int
	reused    bool
	startedAt time.Time
	// lockWait bounds how long Close waits for a concurrent Start to
	// release the directory lock.
	lockWait time.Duration

	// Set only for a server this Server started. exited is closed once
	// the process has been reaped, after waitErr is set.
	exited       chan struct{}
	waitErr      error
	errLogOffset int64

	closeOnce sync.Once
	closeErr  error
}

// Start returns a running server on opts.DataDir: the one of ours already
// running there if any (Reused reports true), otherwise a new one, started and
// answering an authenticated ping on its native port. ctx bounds the start
// only: cancelling it later does not stop the server; Close does.
func Start(ctx context.Context, opts Options) (*Server, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("managed: start: %w", err)
	}
	s, err := start(ctx, c, ports{})
	if err != nil {
		return nil, fmt.Errorf("managed: start: %w", err)
	}
	return s, nil
}

// ports are the ports a start prefers when they are free; 0 means any.
type ports struct {
	tcp, http int
}

// start prepares the data directory, then, under its lock, reuses the
// recorded server or launches one.
func start(ctx context.Context, c config, prefer ports) (*Server, error) {
	if err := prepareDataDir(c.dataDir); err != nil {
		return nil, err
	}
	lock, err := lockDir(ctx, filepath.Join(c.dataDir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	defer lock.unlock()

	s, err := reuse(ctx, c)
	if err != nil {
		return nil, err
	}
	if s != nil {
		s.lockWait = c.timeout + 10*time.Second
		c.logger.Info("reusing running clickhouse server", "addr", s.Addr(), "pid", s.pid, "data_dir", c.dataDir)
		return s, nil
	}

	for attempt := 1; ; attempt++ {
		s, err = launch(ctx, c, prefer)
		if err == nil {
			break
		}
		// The ports were free when chosen but another program may take one
		// before the server binds it; try again with new ones (a fixed
		// port cannot change).
		if !errors.Is(err, errPortTaken) || attempt == portAttempts || c.tcpPort != 0 {
			return nil, err
		}
		c.logger.Warn("clickhouse server port taken, retrying with other ports", "attempt", attempt)
		prefer = ports{}
	}
	s.lockWait = c.timeout + 10*time.Second

	st := serverState{PID: s.pid, TCPPort: s.tcpPort, HTTPPort: s.httpPort, StartedAt: s.startedAt}
	if err := writeState(filepath.Join(c.dataDir, stateFile), st); err != nil {
		// Without the state file a second Start would try a second server
		// on the same data, so fail rather than run unrecorded.
		s.stop(5 * time.Second)
		return nil, fmt.Errorf("write state: %w", err)
	}
	c.logger.Info("clickhouse server started", "addr", s.Addr(), "http_addr", s.HTTPAddr(), "pid", s.pid,
		"data_dir", c.dataDir, "binary", c.bin.path, "duration", time.Since(s.startedAt).Round(time.Millisecond))
	return s, nil
}

// prepareDataDir creates the data directory and its subdirectories, and
// makes the directory its owner's only (an existing one included).
func prepareDataDir(dataDir string) error {
	for _, dir := range []string{dataDir, filepath.Join(dataDir, logDir), filepath.Join(dataDir, dataSubdir),
		filepath.Join(dataDir, tmpSubdir), filepath.Join(dataDir, userFilesDir), filepath.Join(dataDir, formatSchemas)} {
		if err := os.MkdirAll(dir, privateDir); err != nil {
			return err
		}
	}
	if err := os.Chmod(dataDir, privateDir); err != nil {
		return fmt.Errorf("restrict data dir to its owner: %w", err)
	}
	return nil
}

// Addr is the native protocol address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort)) }

// HTTPAddr is the HTTP interface address, "127.0.0.1:PORT"; empty for a
// server without one (the default).
func (s *Server) HTTPAddr() string {
	if s.httpPort == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.httpPort))
}

// TCPPort is the native protocol port.
func (s *Server) TCPPort() int { return s.tcpPort }

// HTTPPort is the HTTP interface port, 0 for a server without one.
func (s *Server) HTTPPort() int { return s.httpPort }

// User is the user to log in as, the constant User.
func (s *Server) User() string { return User }

// Password is the password the server was started or reused with.
func (s *Server) Password() string { return s.password }

// Binary is the path of the server's program; empty for a reused server.
func (s *Server) Binary() string { return s.binary }

// PID is the process id of the server.
func (s *Server) PID() int { return s.pid }

// DataDir is the absolute data directory.
func (s *Server) DataDir() string { return s.dataDir }

// Reused reports whether Start found a server of ours already running on
// DataDir. Such a server belongs to whoever started it: Close leaves it
// running, and it stops when its owner closes it.
func (s *Server) Reused() bool { return s.reused }

// Close stops the server if this Server started it: SIGTERM, up to 30s for
// it to exit, then SIGKILL to its process group. It removes the state file.
// For a reused server it does nothing. It is safe to call more than once; it
// returns an error if the server could not be stopped or had exited on its
// own before Close. Close client connections first: the server waits for
// open ones.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	if s.reused {
		return nil
	}
	// Hold the directory lock while stopping, so a concurrent Start waits
	// for the server to be gone instead of reusing one about to stop.
	ctx, cancel := context.WithTimeout(context.Background(), s.lockWait)
	lock, lockErr := lockDir(ctx, filepath.Join(s.dataDir, lockFile))
	cancel()
	if lockErr != nil {
		s.logger.Warn("stopping clickhouse server without the data dir lock", "err", lockErr)
	}
	defer lock.unlock()

	begin := time.Now()
	err := s.stop(stopGrace)
	if rmErr := removeStateIfOwned(filepath.Join(s.dataDir, stateFile), s.pid); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("remove state: %w", rmErr))
	}
	if err != nil {
		return fmt.Errorf("managed: close: %w", err)
	}
	s.logger.Info("clickhouse server stopped", "pid", s.pid, "data_dir", s.dataDir,
		"duration", time.Since(begin).Round(time.Millisecond))
	return nil
}

// stop sends SIGTERM, waits up to grace, then kills the process group.
func (s *Server) stop(grace time.Duration) error {
	select {
	case <-s.exited:
		return fmt.Errorf("clickhouse server (pid %d) had already exited: %v", s.pid, s.waitErr)
	default:
	}
	if err := syscall.Kill(s.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal clickhouse server (pid %d): %w", s.pid, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-s.exited:
		return nil
	case <-timer.C:
	}
	s.logger.Warn("clickhouse server did not stop in time, killing it", "pid", s.pid, "grace", grace)
	if err := s.kill(); err != nil {
		return fmt.Errorf("kill clickhouse server (pid %d): %w", s.pid, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("clickhouse server (pid %d) still running after SIGKILL", s.pid)
	}
}

// kill sends SIGKILL to the server's process group: the server leads its
// own (Setpgid), so this also reaches any process it started. A group
// already gone is no error.
func (s *Server) kill() error {
	if err := syscall.Kill(-s.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// reuse returns the server recorded in the state file if it is still running
// and answering, and removes a stale state file. A recorded server that is
// running but not answering is starting or stopping: reuse waits up to
// timeout for it to answer or exit, since a second server on the same data
// could not start anyway. A server that refuses the password is an error.
func reuse(ctx context.Context, c config) (*Server, error) {
	path := filepath.Join(c.dataDir, stateFile)
	st, err := readState(path)
	if err != nil {
		c.logger.Warn("ignoring unreadable clickhouse server state", "path", path, "err", err)
	}
	if st != nil {
		cfgPath := filepath.Join(c.dataDir, configFile)
		deadline := time.NewTimer(c.timeout)
		defer deadline.Stop()
		ticker := time.NewTicker(pollInterval)
		defer ticker.Stop()
		for waited := false; isServerProcess(st.PID, cfgPath); waited = true {
			err := answers(ctx, st.TCPPort, st.HTTPPort, c.password)
			if err == nil {
				return &Server{
					logger:    c.logger,
					dataDir:   c.dataDir,
					password:  c.password,
					tcpPort:   st.TCPPort,
					httpPort:  st.HTTPPort,
					pid:       st.PID,
					reused:    true,
					startedAt: st.StartedAt,
				}, nil
			}
			if errors.Is(err, errRefused) {
				return nil, fmt.Errorf("the ClickHouse server running on %s (pid %d) refuses the password from %s: "+
					"stop it or use the password it was started with", c.dataDir, st.PID, c.passwordSource)
			}
			if !waited {
				c.logger.Info("waiting for recorded clickhouse server to answer or exit", "pid", st.PID)
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("wait for clickhouse server pid %d: %w", st.PID, context.Cause(ctx))
			case <-deadline.C:
				return nil, fmt.Errorf("clickhouse server pid %d recorded in %s runs but did not answer on port %d within %s",
					st.PID, path, st.TCPPort, c.timeout)
			case <-ticker.C:
			}
		}
	}
	if st != nil || err != nil {
		c.logger.Info("removing stale clickhouse server state", "path", path, "pid", pidOf(st))
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale state: %w", err)
		}
	}
	return nil, nil
}
