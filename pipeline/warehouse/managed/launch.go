package managed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// errPortTaken marks a start that failed because a chosen port was taken.
var errPortTaken = errors.New("port already in use")

// launch starts a new server process and waits until it answers. It takes
// the preferred ports when they are free.
func launch(ctx context.Context, c config, prefer ports) (*Server, error) {
	tcpPort := c.tcpPort
	var err error
	if tcpPort == 0 {
		if tcpPort, err = choosePort(prefer.tcp); err != nil {
			return nil, fmt.Errorf("choose port: %w", err)
		}
	}
	httpPort := 0
	if c.http {
		httpPort = c.httpPort
		if httpPort == 0 {
			httpPort, err = choosePort(prefer.http, tcpPort)
			if err != nil {
				return nil, fmt.Errorf("choose port: %w", err)
			}
		}
	}
	cfgPath := filepath.Join(c.dataDir, configFile)
	cfg := newServerConfig(c.dataDir, tcpPort, httpPort, passwordHash(c.password), c.bin.chdb)
	if c.cluster != nil {
		cfg.RemoteServers = c.cluster.remoteServers(c.password)
	}
	if err := writeConfig(cfgPath, cfg); err != nil {
		return nil, err
	}
	errLogPath := filepath.Join(c.dataDir, logDir, serverErrLog)
	var errLogOffset int64
	if fi, err := os.Stat(errLogPath); err == nil {
		errLogOffset = fi.Size()
	}
	outPath := filepath.Join(c.dataDir, logDir, serverOutLog)
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, privateFile)
	if err != nil {
		return nil, fmt.Errorf("open server output: %w", err)
	}
	defer out.Close() // the child holds its own descriptor

	// exec.Command, not CommandContext: ctx bounds the start, not the
	// server's life.
	args := append(slices.Clone(c.bin.args), configFlag+cfgPath)
	if c.bin.chdb {
		args = append(args, "--path="+filepath.Join(c.dataDir, dataSubdir)+string(filepath.Separator),
			"--multiquery", "--query", chdbServe)
	}
	cmd := exec.Command(c.bin.path, args...)
	cmd.Dir = c.dataDir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = sysProcAttr()
	// Current releases may fork a watchdog parent; we want the pid we
	// signal to be the server itself.
	cmd.Env = append(os.Environ(), "CLICKHOUSE_WATCHDOG_ENABLE=0")
	c.logger.Debug("starting clickhouse server", "binary", c.bin.path, "args", cmd.Args[1:], "data_dir", c.dataDir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", c.bin.path, err)
	}
	s := &Server{
		logger:       c.logger,
		dataDir:      c.dataDir,
		binary:       c.bin.path,
		password:     c.password,
		tcpPort:      tcpPort,
		httpPort:     httpPort,
		pid:          cmd.Process.Pid,
		startedAt:    time.Now(),
		exited:       make(chan struct{}),
		errLogOffset: errLogOffset,
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	if err := s.waitReady(ctx, c.timeout); err != nil {
		if stopErr := s.stop(5 * time.Second); stopErr != nil && !s.hasExited() {
			c.logger.Warn("could not stop clickhouse server after failed start", "pid", s.pid, "err", stopErr)
		}
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers an authenticated ping (and its
// HTTP port, if any, accepts connections), the process exits,
// ctx is done or timeout passes.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
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
		err := answers(ctx, s.tcpPort, s.httpPort, s.password)
		if err == nil && !s.hasExited() {
			return nil
		}
		if errors.Is(err, errRefused) {
			return fmt.Errorf("clickhouse server %s refuses the password it was configured with%s", s.binary, s.startupOutput())
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

// choosePort returns preferred if it is free on loopback, else a free port
// other than those in avoid.
func choosePort(preferred int, avoid ...int) (int, error) {
	if preferred != 0 && !slices.Contains(avoid, preferred) {
		if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(preferred))); err == nil {
			l.Close()
			return preferred, nil
		}
	}
	// Hold the listeners until a port outside avoid comes up, so that
	// none is handed out twice.
	for range 10 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		defer l.Close()
		if port := l.Addr().(*net.TCPAddr).Port; !slices.Contains(avoid, port) {
			return port, nil
		}
	}
	return 0, errors.New("no free port found")
}

// pidOf returns the recorded pid, 0 when there is no record.
func pidOf(st *serverState) int {
	if st == nil {
		return 0
	}
	return st.PID
}
