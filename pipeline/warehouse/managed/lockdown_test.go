package managed

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// accessCodes are the ClickHouse error codes of a query that access control
// stops once logged in: not enough privileges (497), quota exceeded (201).
var accessCodes = []int32{497, 201}

// openConn opens a native connection to addr as user.
func openConn(t *testing.T, addr, user, password string) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr},
		Auth: clickhouse.Auth{Username: user, Password: password}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("clickhouse.Open: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// exceptionCode returns the code of the ClickHouse exception in err, or -1.
func exceptionCode(err error) int32 {
	if exc, ok := errors.AsType[*clickhouse.Exception](err); ok {
		return exc.Code
	}
	return -1
}

func TestOnlyTheUserWithThePasswordGetsIn(t *testing.T) {
	requireBinary(t)
	const rows = 3
	tests := []struct {
		name  string
		user  string
		given func(password string) string // the password the client gives
		in    bool
	}{
		{name: "user with the password", user: User, given: func(pw string) string { return pw }, in: true},
		{name: "user without password", user: User, given: func(string) string { return "" }},
		{name: "user with a wrong password", user: User, given: func(pw string) string { return pw + "x" }},
		{name: "default without password", user: "default", given: func(string) string { return "" }},
		{name: "default with the password", user: "default", given: func(pw string) string { return pw }},
		{name: "unknown user with the password", user: "nobody", given: func(pw string) string { return pw }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One server per case: bassins-chdb ends at the first refused
			// login (see the package comment).
			s := startServer(t, t.TempDir())
			owner := openConn(t, s.Addr(), User, s.Password())
			for _, q := range []string{
				"CREATE DATABASE IF NOT EXISTS lockdown",
				"CREATE TABLE lockdown.t (x UInt8) ENGINE = MergeTree ORDER BY x",
				"INSERT INTO lockdown.t (x) SELECT toUInt8(number) FROM system.numbers LIMIT " + strconv.Itoa(rows),
			} {
				if err := owner.Exec(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}

			conn := openConn(t, s.Addr(), tt.user, tt.given(s.Password()))
			var n uint64
			err := conn.QueryRow(t.Context(), "SELECT count() FROM lockdown.t").Scan(&n)
			if tt.in {
				if err != nil || n != rows {
					t.Fatalf("count = %d, %v; want %d", n, err, rows)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s read the table (%d rows)", tt.user, n)
			}
			// Refused at login, or, for bassins-chdb's start-up user
			// "default", stopped by access control: never a mere failure
			// to connect.
			code := exceptionCode(err)
			if !slices.Contains(refusalCodes, code) && !slices.Contains(accessCodes, code) {
				t.Fatalf("error %v (code %d) is not a refusal", err, code)
			}
			t.Logf("refused: %v", err)
		})
	}
}

func TestPingTellsARefusal(t *testing.T) {
	s := startServer(t, t.TempDir())
	if err := ping(t.Context(), s.TCPPort(), s.Password()); err != nil {
		t.Fatalf("ping with the password: %v", err)
	}
	err := ping(t.Context(), s.TCPPort(), "")
	if !errors.Is(err, errRefused) {
		t.Fatalf("ping without password: err = %v, want errRefused", err)
	}
}

func TestReuseRefusesAnotherPassword(t *testing.T) {
	dataDir := t.TempDir()
	first := startServer(t, dataDir)
	opts := testOptions(t, dataDir, newPassword(t))
	opts.PasswordSource = "var/secret/clickhouse.password"
	s, err := Start(t.Context(), opts)
	if err == nil {
		s.Close()
		t.Fatal("Start with another password succeeded")
	}
	t.Logf("error: %v", err)
	msg := err.Error()
	for _, want := range []string{"managed: start: ", dataDir, "pid " + strconv.Itoa(first.PID()),
		"refuses the password from var/secret/clickhouse.password", "stop it or use the password it was started with"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q", want)
		}
	}
	for _, secret := range []string{first.Password(), opts.Password} {
		if strings.Contains(msg, secret) {
			t.Error("error shows a password")
		}
	}
}

func TestDataDirIsPrivate(t *testing.T) {
	tests := []struct {
		name    string
		dataDir func(t *testing.T) string
	}{
		{name: "created", dataDir: func(t *testing.T) string { return filepath.Join(t.TempDir(), "var", "clickhouse") }},
		{name: "existing and open", dataDir: func(t *testing.T) string {
			dir := filepath.Join(t.TempDir(), "clickhouse")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil { // past the umask
				t.Fatal(err)
			}
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := tt.dataDir(t)
			s := startServer(t, dataDir)
			conn := openConn(t, s.Addr(), User, s.Password())
			if err := conn.Exec(t.Context(), "SELECT 1"); err != nil {
				t.Fatal(err)
			}
			wantModes := map[string]fs.FileMode{
				"":                                  0o700,
				logDir:                              0o700,
				dataSubdir:                          0o700,
				configFile:                          0o600,
				stateFile:                           0o600,
				lockFile:                            0o600,
				filepath.Join(logDir, serverOutLog): 0o600,
			}
			for name, want := range wantModes {
				fi, err := os.Stat(filepath.Join(dataDir, name))
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if got := fi.Mode().Perm(); got != want {
					t.Errorf("%q: mode %04o, want %04o", name, got, want)
				}
			}
			// Nothing the server keeps holds the password itself.
			err := filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				body, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if strings.Contains(string(body), s.Password()) {
					t.Errorf("%s holds the password", path)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := os.ReadFile(filepath.Join(dataDir, configFile))
			if err != nil {
				t.Fatal(err)
			}
			if want := "<password_sha256_hex>" + passwordHash(s.Password()) + "</password_sha256_hex>"; !strings.Contains(string(cfg), want) {
				t.Errorf("config lacks %s", want)
			}
		})
	}
}

func TestPasswordHash(t *testing.T) {
	// echo -n secretpw | sha256sum
	const want = "773d8f92f07dec1e40c76ff36e0078dd0cff6e910186cf3a36d6940f9c9cd9bf"
	if got := passwordHash("secretpw"); got != want {
		t.Errorf("passwordHash = %s, want %s", got, want)
	}
}

func TestLoadOrCreatePassword(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string) // nil: no file
		want    string                          // "" with wantErr unset: a new password
		wantErr []string
	}{
		{name: "created in missing folders"},
		{name: "read", setup: writeFile("s3cret pass\n", 0o600), want: "s3cret pass"},
		{name: "read without newline", setup: writeFile("abc", 0o400), want: "abc"},
		{name: "readable by others", setup: writeFile("abc\n", 0o644), wantErr: []string{"chmod 600", "0644"}},
		{name: "readable by group", setup: writeFile("abc\n", 0o640), wantErr: []string{"chmod 600", "0640"}},
		{name: "writable by others", setup: writeFile("abc\n", 0o602), wantErr: []string{"chmod 600"}},
		{name: "empty", setup: writeFile("", 0o600), wantErr: []string{"is empty"}},
		{name: "blank", setup: writeFile(" \n\t\n", 0o600), wantErr: []string{"is empty"}},
		{name: "a folder", setup: func(t *testing.T, path string) {
			if err := os.MkdirAll(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, wantErr: []string{"not a regular file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, "var", "secret", "clickhouse.password")
			if tt.setup != nil {
				tt.setup(t, path)
			}
			got, err := LoadOrCreatePassword(path)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("LoadOrCreatePassword = %q, want an error", got)
				}
				t.Logf("error: %v", err)
				for _, want := range append(tt.wantErr, "managed: ", path) {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error lacks %q", want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadOrCreatePassword: %v", err)
			}
			if tt.setup != nil {
				if got != tt.want {
					t.Errorf("password = %q, want %q", got, tt.want)
				}
				return
			}
			// Created: 64 hex digits, the file 0600, its new folders 0700.
			if len(got) != 2*passwordBytes || strings.Trim(got, "0123456789abcdef") != "" {
				t.Errorf("new password %q: want %d hex digits", got, 2*passwordBytes)
			}
			for p, want := range map[string]fs.FileMode{
				path:                       0o600,
				filepath.Dir(path):         0o700,
				filepath.Join(root, "var"): 0o700,
			} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != want {
					t.Errorf("%s: mode %04o, want %04o", p, fi.Mode().Perm(), want)
				}
			}
			entries, err := os.ReadDir(filepath.Dir(path))
			if err != nil || len(entries) != 1 {
				t.Errorf("folder of the password holds %d entries (%v), want the file only", len(entries), err)
			}
			again, err := LoadOrCreatePassword(path)
			if err != nil || again != got {
				t.Errorf("second call = %q, %v; want the first password", again, err)
			}
		})
	}
}

// writeFile returns a setup writing body at path with mode perm.
func writeFile(body string, perm fs.FileMode) func(t *testing.T, path string) {
	return func(t *testing.T, path string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, perm); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadOrCreatePasswordConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret", "clickhouse.password")
	const callers = 8
	results := make(chan string, callers)
	errs := make(chan error, callers)
	for range callers {
		go func() {
			pw, err := LoadOrCreatePassword(path)
			if err != nil {
				errs <- err
				return
			}
			results <- pw
		}()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var first string
	for range callers {
		select {
		case err := <-errs:
			t.Fatalf("LoadOrCreatePassword: %v", err)
		case pw := <-results:
			if first == "" {
				first = pw
			} else if pw != first {
				t.Fatalf("callers got different passwords")
			}
		case <-ctx.Done():
			t.Fatal("timed out")
		}
	}
}
