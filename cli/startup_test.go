package cli

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// Every cause that stops the program at start is told in one sentence naming
// what to fix, with exit status 1 and no panic.
func TestStartupFailures(t *testing.T) {
	// A port nothing listens on: taken, then released.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := l.Addr().String()
	l.Close()

	tests := []struct {
		name string
		// edit changes the test configuration's text and environment.
		edit func(t *testing.T, dir, body string) string
		want string
	}{
		{"unreachable address", func(t *testing.T, dir, body string) string {
			t.Setenv("BASSINS_CLICKHOUSE_PASSWORD", "some-password")
			return strings.Replace(body, `  address: ""`, "  address: "+closedAddr, 1)
		}, "cannot reach ClickHouse at " + closedAddr + " (connection refused): start the server, or correct clickhouse.address in"},
		{"short key file", func(t *testing.T, dir, body string) string {
			key := filepath.Join(dir, "var", "secret", "pseudonym.key")
			os.MkdirAll(filepath.Dir(key), 0o700)
			os.WriteFile(key, []byte("short\n"), 0o600)
			return body
		}, "the pseudonymisation key file " + "DIR/var/secret/pseudonym.key holds 5 bytes, it must hold at least 16: restore the key you saved"},
		{"short key variable", func(t *testing.T, dir, body string) string {
			t.Setenv("BASSINS_PSEUDONYM_KEY", "abc")
			return body
		}, "the pseudonymisation key in BASSINS_PSEUDONYM_KEY is 3 bytes long, it must be at least 16"},
		{"missing server program", func(t *testing.T, dir, body string) string {
			body = regexp.MustCompile(`(?m)^  binary: .*\n`).ReplaceAllString(body, "")
			return strings.Replace(body, "\nclickhouse:\n", "\nclickhouse:\n  binary: /nonexistent/clickhouse-server\n", 1)
		}, `the ClickHouse server program "/nonexistent/clickhouse-server" does not exist: correct clickhouse.binary in`},
		{"password file readable by others", func(t *testing.T, dir, body string) string {
			file := filepath.Join(dir, "var", "secret", "clickhouse.password")
			os.MkdirAll(filepath.Dir(file), 0o700)
			os.WriteFile(file, []byte(strings.Repeat("a", 64)+"\n"), 0o644)
			os.Chmod(file, 0o644)
			return body
		}, "chmod 600"},
		{"external server without its password file", func(t *testing.T, dir, body string) string {
			return strings.Replace(body, `  address: ""`, "  address: "+closedAddr, 1)
		}, "cannot read the ClickHouse password file DIR/var/secret/clickhouse.password (no such file or directory): create it, or set BASSINS_CLICKHOUSE_PASSWORD"},
		{"wrong password", func(t *testing.T, dir, body string) string {
			_, srv := warehousetest.Open(t)
			t.Setenv("BASSINS_CLICKHOUSE_PASSWORD", "not-the-password")
			return strings.Replace(body, `  address: ""`, "  address: "+srv.Addr(), 1)
		}, `refuses user "default" with the password from BASSINS_CLICKHOUSE_PASSWORD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BASSINS_PSEUDONYM_KEY", "")
			t.Setenv("BASSINS_CLICKHOUSE_PASSWORD", "")
			os.Unsetenv("BASSINS_CLICKHOUSE_PASSWORD")
			dir := t.TempDir()
			path := testConfig(t, dir)
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.edit(t, dir, string(body))), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := Run(t.Context(), []string{"run", "compute", "--config", path}, &out, &errOut)
			if code != exitFailed {
				t.Errorf("exit status %d, want %d", code, exitFailed)
			}
			msg := errOut.String()
			if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
				t.Fatalf("the program panicked: %s", msg)
			}
			lines := strings.Split(strings.TrimSpace(msg), "\n")
			last := lines[len(lines)-1]
			want := "bassins run: " + strings.ReplaceAll(tt.want, "DIR", dir)
			if !strings.HasPrefix(last, "bassins run: ") || !strings.Contains(last, strings.TrimPrefix(want, "bassins run: ")) {
				t.Errorf("last line\n  %s\nwant it to hold\n  %s", last, want)
			}
		})
	}
}

// serve on an address already taken says so and exits 1.
func TestServeOnATakenAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	path := testConfig(t, t.TempDir())
	var out, errOut bytes.Buffer
	code := Run(t.Context(), []string{"serve", "--config", path, "--addr", l.Addr().String()}, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	last := lines[len(lines)-1]
	want := "bassins serve: the dashboards cannot listen on " + l.Addr().String() + " (address already in use): choose another address with --addr"
	if code != exitFailed || last != want {
		t.Errorf("exit %d, last line\n  %s\nwant\n  %s", code, last, want)
	}
}
