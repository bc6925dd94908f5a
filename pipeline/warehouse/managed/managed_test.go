package managed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// engineEnv names the server binary the tests run on, as for the tests that
// use package warehousetest (which this package's tests cannot import); empty
// means the installed clickhouse-server.
const engineEnv = "BASSINS_TEST_CLICKHOUSE"

// testBinary returns the server binary named by engineEnv, failing the test
// when it is missing: a pass meant for that server must not quietly test
// another one.
func testBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(engineEnv)
	if bin == "" {
		return ""
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("%s=%s: %v", engineEnv, bin, err)
	}
	return bin
}

// requireBinary fails the test when no ClickHouse binary is installed and
// none is named by engineEnv: `make test` installs clickhouse-server.
func requireBinary(t *testing.T) {
	t.Helper()
	if _, err := findBinary(testBinary(t)); err != nil {
		t.Fatalf("no ClickHouse server to test with (`make test` installs clickhouse-server): %v", err)
	}
}

// newPassword returns a new random password for a test's server.
func newPassword(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// testOptions are the options of a test's server on dataDir.
func testOptions(t *testing.T, dataDir, password string) Options {
	return Options{DataDir: dataDir, Binary: testBinary(t), Password: password, StartTimeout: 30 * time.Second, Logger: testLogger(t)}
}

// startServer starts a server on dataDir with a new password, skipping the
// test when no ClickHouse binary is installed.
func startServer(t *testing.T, dataDir string) *Server {
	t.Helper()
	return startServerWith(t, testOptions(t, dataDir, newPassword(t)))
}

// startServerWith starts a server with opts, skipping the test when no
// ClickHouse binary is installed.
func startServerWith(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testLogger writes the package's log to the test's output.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestStartAnswersQueries(t *testing.T) {
	tests := []struct {
		name    string
		dataDir func(t *testing.T) string
	}{
		{name: "absolute", dataDir: func(t *testing.T) string { return t.TempDir() }},
		{name: "relative and missing", dataDir: func(t *testing.T) string {
			t.Chdir(t.TempDir())
			return filepath.Join("var", "clickhouse")
		}},
		{name: "XML special characters", dataDir: func(t *testing.T) string {
			return filepath.Join(t.TempDir(), `a&b <c> "d"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			testAnswersQueries(t, startServer(t, tt.dataDir(t)))
		})
	}
}

func testAnswersQueries(t *testing.T, s *Server) {
	if !filepath.IsAbs(s.DataDir()) {
		t.Errorf("DataDir() = %q, want an absolute path", s.DataDir())
	}
	if s.Reused() {
		t.Fatal("Reused() = true for a fresh data dir")
	}

	if s.HTTPPort() != 0 || s.HTTPAddr() != "" {
		t.Errorf("HTTPPort() = %d, HTTPAddr() = %q: want no HTTP interface by default", s.HTTPPort(), s.HTTPAddr())
	}

	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()},
		Auth: clickhouse.Auth{Username: s.User(), Password: s.Password()}})
	if err != nil {
		t.Fatalf("clickhouse.Open: %v", err)
	}
	if err := conn.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	var one uint8
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	if one != 1 {
		t.Errorf("SELECT 1 = %d", one)
	}
	// The server waits for open connections when it stops.
	if err := conn.Close(); err != nil {
		t.Errorf("close connection: %v", err)
	}

	if _, err := os.Stat(filepath.Join(s.DataDir(), stateFile)); err != nil {
		t.Errorf("state file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir(), stateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file after Close: err = %v, want not exist", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestSecondStartReusesServer(t *testing.T) {
	dataDir := t.TempDir()
	first := startServer(t, dataDir)

	second, err := Start(t.Context(), testOptions(t, dataDir, first.Password()))
	if err != nil {
		t.Fatalf("second Start: %v", err)
	}
	if !second.Reused() {
		t.Fatal("second Start: Reused() = false")
	}
	if second.Addr() != first.Addr() || second.HTTPAddr() != first.HTTPAddr() || second.PID() != first.PID() {
		t.Fatalf("second Start: addr %s http %s pid %d, want %s %s %d",
			second.Addr(), second.HTTPAddr(), second.PID(), first.Addr(), first.HTTPAddr(), first.PID())
	}

	if err := second.Close(); err != nil {
		t.Fatalf("Close reused: %v", err)
	}
	if err := second.Close(); err != nil {
		t.Fatalf("Close reused twice: %v", err)
	}
	if err := answers(t.Context(), first.TCPPort(), first.HTTPPort(), first.Password()); err != nil {
		t.Fatalf("first server stopped answering after the reused one was closed: %v", err)
	}

	if err := first.Close(); err != nil {
		t.Fatalf("Close first: %v", err)
	}
	if processAlive(first.PID()) {
		t.Errorf("pid %d still alive after Close", first.PID())
	}
	for _, addr := range []string{first.Addr(), first.HTTPAddr()} {
		if addr == "" {
			continue
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Close", addr)
		}
	}
}

func TestConcurrentStartsShareOneServer(t *testing.T) {
	dataDir := t.TempDir()
	const starts = 3
	opts := testOptions(t, dataDir, newPassword(t))
	servers := make(chan *Server, starts)
	errs := make(chan error, starts)
	for range starts {
		go func() {
			s, err := Start(t.Context(), opts)
			if err != nil {
				errs <- err
				return
			}
			servers <- s
		}()
	}
	var owners, reused []*Server
	for range starts {
		select {
		case err := <-errs:
			t.Errorf("Start: %v", err)
		case s := <-servers:
			t.Cleanup(func() { s.Close() })
			if s.Reused() {
				reused = append(reused, s)
			} else {
				owners = append(owners, s)
			}
		}
	}
	if len(owners) != 1 || len(reused) != starts-1 {
		t.Fatalf("%d servers started and %d reused, want 1 and %d", len(owners), len(reused), starts-1)
	}
	for _, s := range reused {
		if s.Addr() != owners[0].Addr() {
			t.Errorf("reused Addr() = %s, want %s", s.Addr(), owners[0].Addr())
		}
	}
}

func TestStartHonoursCancellation(t *testing.T) {
	requireBinary(t)
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := Start(ctx, testOptions(t, dataDir, newPassword(t)))
	if err == nil {
		s.Close()
		t.Fatal("Start with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, stateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file after cancelled start: err = %v, want not exist", err)
	}
}

func TestStaleStateIsIgnored(t *testing.T) {
	// A process that has exited leaves its pid unused.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatalf("run true: %v", err)
	}
	closedPort := func(t *testing.T) int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}

	tests := []struct {
		name string
		pid  int
	}{
		{name: "dead pid", pid: dead.ProcessState.Pid()},
		{name: "live pid not answering", pid: os.Getpid()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			st := serverState{PID: tt.pid, TCPPort: closedPort(t), HTTPPort: closedPort(t), StartedAt: time.Now()}
			if err := writeState(filepath.Join(dataDir, stateFile), st); err != nil {
				t.Fatal(err)
			}
			s := startServer(t, dataDir)
			if s.Reused() {
				t.Fatal("Reused() = true with a stale state file")
			}
			if s.PID() == tt.pid {
				t.Fatalf("PID() = %d, the stale one", s.PID())
			}
			got, err := readState(filepath.Join(dataDir, stateFile))
			if err != nil || got == nil || got.PID != s.PID() {
				t.Fatalf("state after start = %+v, %v; want pid %d", got, err, s.PID())
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	requireBinary(t)
	tests := []struct {
		name     string
		binary   string
		password string
		http     bool
		httpPort int
		tcpPort  int
		cluster  *Cluster
		wantErr  []string
	}{
		{name: "missing binary", binary: "/nonexistent/clickhouse-server", password: "p", wantErr: []string{"/nonexistent/clickhouse-server"}},
		{name: "unknown name", binary: "no-such-clickhouse-server", password: "p", wantErr: []string{"no-such-clickhouse-server"}},
		{name: "binary exits at once", binary: "false", password: "p", wantErr: []string{"false", "exited during start-up"}},
		{name: "no password", binary: testBinary(t), wantErr: []string{"password is required"}},
		{name: "HTTP port without HTTP", binary: testBinary(t), password: "p", httpPort: 8123, wantErr: []string{"HTTPPort 8123"}},
		{name: "HTTP on bassins-chdb", binary: chdbStub(t), password: "p", http: true, wantErr: []string{"no HTTP interface"}},
		{name: "TCP port out of range", binary: testBinary(t), password: "p", tcpPort: 70000, wantErr: []string{"TCPPort 70000"}},
		{name: "cluster name", binary: testBinary(t), password: "p", cluster: &Cluster{Name: "a-b", Shards: []string{"127.0.0.1:9000"}},
			wantErr: []string{`cluster name "a-b"`}},
		{name: "cluster without shards", binary: testBinary(t), password: "p", cluster: &Cluster{Name: "c"},
			wantErr: []string{"cluster c has no shards"}},
		{name: "shard without port", binary: testBinary(t), password: "p", cluster: &Cluster{Name: "c", Shards: []string{"127.0.0.1"}},
			wantErr: []string{`shard "127.0.0.1"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			s, err := Start(t.Context(), Options{DataDir: dataDir, Binary: tt.binary, Password: tt.password,
				HTTP: tt.http, HTTPPort: tt.httpPort, TCPPort: tt.tcpPort, Cluster: tt.cluster, StartTimeout: 10 * time.Second})
			if err == nil {
				s.Close()
				t.Fatal("Start succeeded")
			}
			t.Logf("error: %v", err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if !strings.HasPrefix(err.Error(), "managed: start: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if _, err := os.Stat(filepath.Join(dataDir, stateFile)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("state file after failed start: err = %v, want not exist", err)
			}
		})
	}
}

func TestStartReportsServerError(t *testing.T) {
	dataDir := t.TempDir()
	first := startServer(t, dataDir)
	// Without the state file the next Start cannot know a server runs there;
	// ClickHouse itself refuses to share the data directory, and the user
	// must see its reason.
	if err := os.Remove(filepath.Join(dataDir, stateFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), testOptions(t, dataDir, first.Password()))
	if err == nil {
		t.Fatal("second server on the same data started")
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), "exited during start-up") || !strings.Contains(err.Error(), "last lines of") {
		t.Errorf("error lacks the server's output: %v", err)
	}
	if !processAlive(first.PID()) {
		t.Error("first server died")
	}
}

// chdbStub returns the path of a program named bassins-chdb that is not run.
func chdbStub(t *testing.T) string {
	path := filepath.Join(t.TempDir(), chdbName)
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, name := range []string{"clickhouse", "clickhouse-server", "bassins-chdb"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		binary   string
		wantArgs []string
		wantChdb bool
	}{
		{binary: "./clickhouse", wantArgs: []string{"server"}},
		{binary: "./clickhouse-server"},
		{binary: "./bassins-chdb", wantChdb: true},
		{binary: filepath.Join(dir, "bassins-chdb"), wantChdb: true},
	}
	for _, tt := range tests {
		got, err := findBinary(tt.binary)
		if err != nil {
			t.Fatalf("findBinary(%q): %v", tt.binary, err)
		}
		// The server runs in its data dir: a relative path would be
		// resolved from there.
		if want := filepath.Join(dir, filepath.Base(tt.binary)); got.path != want {
			t.Errorf("findBinary(%q).path = %q, want %q", tt.binary, got.path, want)
		}
		if !slices.Equal(got.args, tt.wantArgs) || got.chdb != tt.wantChdb {
			t.Errorf("findBinary(%q) = args %q chdb %v, want %q %v", tt.binary, got.args, got.chdb, tt.wantArgs, tt.wantChdb)
		}
	}
}

// A node of a cluster listens on its fixed port and lists every shard of
// the cluster, with the user the nodes log in to one another as.
func TestAClusterNodeListensOnItsPortAndListsItsShards(t *testing.T) {
	ports := make([]int, 2)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	shards := []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))}
	opts := testOptions(t, t.TempDir(), newPassword(t))
	opts.TCPPort, opts.Cluster = ports[0], &Cluster{Name: "pair", Shards: shards}
	s := startServerWith(t, opts)
	if s.TCPPort() != ports[0] {
		t.Errorf("the server listens on port %d, want %d", s.TCPPort(), ports[0])
	}
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{s.Addr()},
		Auth: clickhouse.Auth{Username: s.User(), Password: s.Password()}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(t.Context(), `SELECT shard_num, host_name, port, user FROM system.clusters
		WHERE cluster = 'pair' ORDER BY shard_num`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var shard uint32
		var host, user string
		var port uint16
		if err := rows.Scan(&shard, &host, &port, &user); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s", shard, net.JoinHostPort(host, strconv.Itoa(int(port))), user))
	}
	want := []string{"1 " + shards[0] + " " + User, "2 " + shards[1] + " " + User}
	if !slices.Equal(got, want) {
		t.Errorf("system.clusters lists %q, want %q", got, want)
	}
}
