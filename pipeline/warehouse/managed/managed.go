// Package managed runs a ClickHouse server that the program starts and stops
// itself, keeping its configuration, data and logs under one directory.
//
// The server listens on 127.0.0.1 only, on ports chosen free at each start,
// with a single user "default" without password. A second Start on the same
// directory while a server of ours runs there reuses that server instead of
// starting another one.
//
// The package works on Unix systems. Its tests run against ClickHouse 18.16
// (clickhouse-server) and, through bin/bassins-chdb (cmd/bassins-chdb), a
// current ClickHouse served by libchdb; for current releases it also accepts
// the single clickhouse binary, run as "clickhouse server".
//
// A binary named bassins-chdb is run with clickhouse-local's command line: a
// query starts the native protocol listener, then sleeps until the process is
// stopped. It has no HTTP interface: HTTPPort is 0 and readiness is a native
// protocol handshake.
package managed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
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
	chdbServe = "SYSTEM START LISTEN TCP; " +
		"SELECT sleepEachRow(1) FROM numbers(1000000000) SETTINGS max_block_size = 1 FORMAT Null"
)

// ErrNoBinary is returned, wrapped, by Start when Options.Binary is empty and
// no ClickHouse server binary is installed. Tests use it to skip.
var ErrNoBinary = errors.New("no clickhouse server binary found (looked for clickhouse-server in PATH, /usr/sbin, /usr/bin, then clickhouse in PATH)")

// Options configures Start.
type Options struct {
	// DataDir holds the configuration, data, logs and state of the server,
	// e.g. "var/clickhouse". It is made absolute and created if missing.
	DataDir string
	// Binary is the server executable, a path or a name looked up in PATH.
	// A binary named "clickhouse" is run as "clickhouse server", one named
	// "bassins-chdb" as clickhouse-local serving TCP. When empty,
	// clickhouse-server is looked up in PATH, then /usr/sbin and /usr/bin,
	// then clickhouse in PATH.
	Binary string
	// StartTimeout bounds the wait for the server to answer. Default 60s.
	StartTimeout time.Duration
	// Logger receives start and stop events. Nil discards them.
	Logger *slog.Logger
}

// Server is a running ClickHouse server, either started by this Server or
// found already running on the same DataDir (see Reused).
type Server struct {
	logger    *slog.Logger
	dataDir   string
	binary    string
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
// answering on its native port and, but for bassins-chdb, its HTTP port. ctx bounds the start only:
// cancelling it later does not stop the server; Close does.
func Start(ctx context.Context, opts Options) (*Server, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "managed_clickhouse")
	if opts.DataDir == "" {
		return nil, errors.New("managed: start: DataDir is required")
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("managed: start: data dir: %w", err)
	}
	bin, err := findBinary(opts.Binary)
	if err != nil {
		return nil, fmt.Errorf("managed: start: %w", err)
	}
	for _, dir := range []string{dataDir, filepath.Join(dataDir, logDir), filepath.Join(dataDir, dataSubdir),
		filepath.Join(dataDir, tmpSubdir), filepath.Join(dataDir, userFilesDir), filepath.Join(dataDir, formatSchemas)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("managed: start: %w", err)
		}
	}

	lock, err := lockDir(ctx, filepath.Join(dataDir, lockFile))
	if err != nil {
		return nil, fmt.Errorf("managed: start: lock data dir: %w", err)
	}
	defer lock.unlock()

	prober := newProber()
	defer prober.close()

	s, err := reuse(ctx, logger, dataDir, timeout, prober)
	if err != nil {
		return nil, fmt.Errorf("managed: start: %w", err)
	}
	if s != nil {
		s.lockWait = timeout + 10*time.Second
		logger.Info("reusing running clickhouse server", "addr", s.Addr(), "pid", s.pid, "data_dir", dataDir)
		return s, nil
	}

	for attempt := 1; ; attempt++ {
		s, err = launch(ctx, logger, dataDir, bin, timeout, prober)
		if err == nil {
			break
		}
		// The ports were free when chosen but another program may take one
		// before the server binds it; try again with new ones.
		if !errors.Is(err, errPortTaken) || attempt == portAttempts {
			return nil, fmt.Errorf("managed: start: %w", err)
		}
		logger.Warn("clickhouse server port taken, retrying with other ports", "attempt", attempt)
	}
	s.lockWait = timeout + 10*time.Second

	st := serverState{PID: s.pid, TCPPort: s.tcpPort, HTTPPort: s.httpPort, StartedAt: s.startedAt}
	if err := writeState(filepath.Join(dataDir, stateFile), st); err != nil {
		// Without the state file a second Start would try a second server
		// on the same data, so fail rather than run unrecorded.
		s.stop(5 * time.Second)
		return nil, fmt.Errorf("managed: start: write state: %w", err)
	}
	logger.Info("clickhouse server started", "addr", s.Addr(), "http_addr", s.HTTPAddr(), "pid", s.pid,
		"data_dir", dataDir, "binary", bin.path, "duration", time.Since(s.startedAt).Round(time.Millisecond))
	return s, nil
}

// Addr is the native protocol address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tcpPort)) }

// HTTPAddr is the HTTP interface address, "127.0.0.1:PORT"; empty for a
// server without one (bassins-chdb).
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
// open ones (an idle HTTP keep-alive delays the stop by up to 10s).
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
	// The server leads its own process group (Setpgid), so this also
	// reaches any process it started.
	if err := syscall.Kill(-s.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill clickhouse server (pid %d): %w", s.pid, err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(killWait):
		return fmt.Errorf("clickhouse server (pid %d) still running after SIGKILL", s.pid)
	}
}

// reuse returns the server recorded in the state file if it is still running
// and answering, and removes a stale state file. A recorded server that is
// running but not answering is starting or stopping: reuse waits up to
// timeout for it to answer or exit, since a second server on the same data
// could not start anyway.
func reuse(ctx context.Context, logger *slog.Logger, dataDir string, timeout time.Duration, p *prober) (*Server, error) {
	path := filepath.Join(dataDir, stateFile)
	st, err := readState(path)
	if err != nil {
		logger.Warn("ignoring unreadable clickhouse server state", "path", path, "err", err)
	}
	if st != nil {
		cfgPath := filepath.Join(dataDir, configFile)
		deadline := time.NewTimer(timeout)
		defer deadline.Stop()
		ticker := time.NewTicker(pollInterval)
		defer ticker.Stop()
		for waited := false; isServerProcess(st.PID, cfgPath); waited = true {
			if p.answers(ctx, st.HTTPPort, st.TCPPort) {
				return &Server{
					logger:    logger,
					dataDir:   dataDir,
					tcpPort:   st.TCPPort,
					httpPort:  st.HTTPPort,
					pid:       st.PID,
					reused:    true,
					startedAt: st.StartedAt,
				}, nil
			}
			if !waited {
				logger.Info("waiting for recorded clickhouse server to answer or exit", "pid", st.PID)
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("wait for clickhouse server pid %d: %w", st.PID, context.Cause(ctx))
			case <-deadline.C:
				return nil, fmt.Errorf("clickhouse server pid %d recorded in %s runs but did not answer on port %d within %s",
					st.PID, path, probedPort(st.HTTPPort, st.TCPPort), timeout)
			case <-ticker.C:
			}
		}
	}
	if st != nil || err != nil {
		logger.Info("removing stale clickhouse server state", "path", path, "pid", pidOf(st))
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale state: %w", err)
		}
	}
	return nil, nil
}

// errPortTaken marks a start that failed because a chosen port was taken.
var errPortTaken = errors.New("port already in use")

// launch starts a new server process and waits until it answers.
func launch(ctx context.Context, logger *slog.Logger, dataDir string, bin binaryCommand, timeout time.Duration, p *prober) (*Server, error) {
	// A server with HTTP needs two ports, bassins-chdb only the native one.
	ports, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("choose ports: %w", err)
	}
	if bin.chdb {
		ports[1] = 0
	}
	cfgPath := filepath.Join(dataDir, configFile)
	if err := writeConfig(cfgPath, newServerConfig(dataDir, ports[0], ports[1])); err != nil {
		return nil, err
	}
	errLogPath := filepath.Join(dataDir, logDir, serverErrLog)
	var errLogOffset int64
	if fi, err := os.Stat(errLogPath); err == nil {
		errLogOffset = fi.Size()
	}
	outPath := filepath.Join(dataDir, logDir, serverOutLog)
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open server output: %w", err)
	}
	defer out.Close() // the child holds its own descriptor

	// exec.Command, not CommandContext: ctx bounds the start, not the
	// server's life.
	args := append(slices.Clone(bin.args), configFlag+cfgPath)
	if bin.chdb {
		args = append(args, "--path="+filepath.Join(dataDir, dataSubdir)+string(filepath.Separator),
			"--multiquery", "--query", chdbServe)
	}
	cmd := exec.Command(bin.path, args...)
	cmd.Dir = dataDir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// Current releases may fork a watchdog parent; we want the pid we
	// signal to be the server itself.
	cmd.Env = append(os.Environ(), "CLICKHOUSE_WATCHDOG_ENABLE=0")
	logger.Debug("starting clickhouse server", "binary", bin.path, "args", cmd.Args[1:], "data_dir", dataDir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin.path, err)
	}
	s := &Server{
		logger:       logger,
		dataDir:      dataDir,
		binary:       bin.path,
		tcpPort:      ports[0],
		httpPort:     ports[1],
		pid:          cmd.Process.Pid,
		startedAt:    time.Now(),
		exited:       make(chan struct{}),
		errLogOffset: errLogOffset,
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx, timeout, p); err != nil {
		if stopErr := s.stop(5 * time.Second); stopErr != nil && !s.hasExited() {
			logger.Warn("could not stop clickhouse server after failed start", "pid", s.pid, "err", stopErr)
		}
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers on its ports, the process exits,
// ctx is done or timeout passes.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration, p *prober) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.exited:
			output := s.startupOutput()
			status := "exit status 0" // bassins-chdb exits 0 after a failed query
			if s.waitErr != nil {
				status = s.waitErr.Error()
			}
			err := fmt.Errorf("clickhouse server %s exited during start-up (%s)%s", s.binary, status, output)
			if strings.Contains(output, "Address already in use") {
				err = fmt.Errorf("%w: %w", errPortTaken, err)
			}
			return err
		default:
		}
		if p.answers(ctx, s.httpPort, s.tcpPort) && !s.hasExited() {
			return nil
		}
		select {
		case <-s.exited:
		case <-ctx.Done():
			return fmt.Errorf("wait for clickhouse server %s: %w", s.binary, context.Cause(ctx))
		case <-deadline.C:
			addrs := s.Addr()
			if s.httpPort != 0 {
				addrs = s.HTTPAddr() + " and " + addrs
			}
			return fmt.Errorf("clickhouse server %s did not answer on %s within %s%s",
				s.binary, addrs, timeout, s.startupOutput())
		case <-ticker.C:
		}
	}
}

func (s *Server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// startupOutput returns the last lines the server wrote to its error log
// during this start and to its standard output, for error messages.
func (s *Server) startupOutput() string {
	var b strings.Builder
	for _, f := range []struct {
		path   string
		offset int64
	}{
		{filepath.Join(s.dataDir, logDir, serverErrLog), s.errLogOffset},
		{filepath.Join(s.dataDir, logDir, serverOutLog), 0},
	} {
		lines := tailLines(f.path, f.offset, tailLineCount)
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n--- last lines of %s ---\n%s", f.path, strings.Join(lines, "\n"))
	}
	if b.Len() == 0 {
		return "; the server wrote nothing to " + filepath.Join(s.dataDir, logDir)
	}
	return b.String()
}

// tailLines returns the last n non-empty lines of the file after offset. A
// file shorter than offset was rotated and is read whole.
func tailLines(path string, offset int64, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	if fi.Size() < offset {
		offset = 0
	}
	// Stack traces make long lines; 64 KiB is plenty for n of them.
	const window = 64 << 10
	if fi.Size()-offset > window {
		offset = fi.Size() - window
	}
	body, err := io.ReadAll(io.NewSectionReader(f, offset, fi.Size()-offset))
	if err != nil {
		return nil
	}
	var lines []string
	for line := range bytes.Lines(body) {
		if line = bytes.TrimRight(line, "\r\n"); len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, string(line))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// binaryCommand is how to run the server: path, then args before ours.
type binaryCommand struct {
	path string
	args []string
	// chdb marks bassins-chdb: clickhouse-local's arguments, no HTTP.
	chdb bool
}

// findBinary resolves Options.Binary, or looks for an installed server.
func findBinary(binary string) (binaryCommand, error) {
	if binary != "" {
		path, err := exec.LookPath(binary)
		if err != nil {
			return binaryCommand{}, fmt.Errorf("clickhouse binary %q: %w", binary, err)
		}
		// The server runs in DataDir: a relative path (bin/bassins-chdb
		// in the configuration) must not be resolved from there.
		if path, err = filepath.Abs(path); err != nil {
			return binaryCommand{}, fmt.Errorf("clickhouse binary %q: %w", binary, err)
		}
		return commandFor(path), nil
	}
	for _, candidate := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server", "clickhouse"} {
		if path, err := exec.LookPath(candidate); err == nil {
			return commandFor(path), nil
		}
	}
	return binaryCommand{}, ErrNoBinary
}

// commandFor runs the single clickhouse binary (current releases) as
// "clickhouse server", and recognises the libchdb runner.
func commandFor(path string) binaryCommand {
	switch filepath.Base(path) {
	case "clickhouse":
		return binaryCommand{path: path, args: []string{"server"}}
	case chdbName:
		return binaryCommand{path: path, chdb: true}
	}
	return binaryCommand{path: path}
}

// freePorts returns n distinct loopback ports free at the time of the call.
// All listeners are held until every port is chosen so that they differ.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// prober checks whether a server answers: GET /ping returns "Ok." and the
// native port accepts a connection; without HTTP (httpPort 0), a native
// protocol handshake and ping succeed.
type prober struct {
	transport *http.Transport
	client    *http.Client
}

func newProber() *prober {
	// No proxy and no kept-alive connections: probes go to loopback and
	// must not leave idle connections behind.
	t := &http.Transport{Proxy: nil, DisableKeepAlives: true}
	return &prober{transport: t, client: &http.Client{Transport: t, Timeout: probeTimeout}}
}

func (p *prober) close() { p.transport.CloseIdleConnections() }

func (p *prober) answers(ctx context.Context, httpPort, tcpPort int) bool {
	if httpPort == 0 {
		return p.shakesHands(ctx, tcpPort)
	}
	return p.pings(ctx, httpPort) && p.dials(ctx, tcpPort)
}

// shakesHands opens a native protocol session and pings. It speaks the
// protocol properly: libchdb's server stops on a malformed first packet.
func (p *prober) shakesHands(ctx context.Context, port int) bool {
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		DialTimeout: probeTimeout,
		ReadTimeout: probeTimeout,
	})
	if err != nil {
		return false
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	return conn.Ping(ctx) == nil
}

// probedPort is the port whose answer a reused server is waited for.
func probedPort(httpPort, tcpPort int) int {
	if httpPort == 0 {
		return tcpPort
	}
	return httpPort
}

func (p *prober) pings(ctx context.Context, port int) bool {
	url := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/ping"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64))
	return err == nil && resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok."
}

func (p *prober) dials(ctx context.Context, port int) bool {
	d := net.Dialer{Timeout: probeTimeout}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// pidOf returns the recorded pid, 0 when there is no record.
func pidOf(st *serverState) int {
	if st == nil {
		return 0
	}
	return st.PID
}
