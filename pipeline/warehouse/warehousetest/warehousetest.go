// Package warehousetest gives tests a real warehouse: a ClickHouse server
// started the way the product starts it (package managed), in a temporary
// folder, with the migrations applied.
//
// The server is the binary named by the environment variable EngineEnv: an
// absolute path or a name in PATH, such as bin/bassins-chdb (ClickHouse 26.7
// from libchdb, see cmd/bassins-chdb); when it is empty, the installed
// clickhouse-server (Debian's 18.16). `make test` runs the tests on both.
//
// Each test gets its own server: one starts in about 0.1s on either engine,
// which keeps the tests apart at little cost.
package warehousetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
)

// EngineEnv is the environment variable naming the ClickHouse server binary
// the tests run on; empty means the installed clickhouse-server.
const EngineEnv = "BASSINS_TEST_CLICKHOUSE"

// AnnouncePrefix starts the line printed to standard error, once per test
// binary, that names the engine and server version the tests ran on
// (`make test` reports it).
const AnnouncePrefix = "warehousetest: tests on "

// announce prints the engine line once per test binary.
var announce sync.Once

// Binary returns the server binary named by EngineEnv, "" when it is unset.
// A named binary that cannot be run fails the test: a pass meant for one
// engine must never quietly run on another, nor be skipped.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(EngineEnv)
	if bin == "" {
		return ""
	}
	if strings.ContainsRune(bin, filepath.Separator) && !filepath.IsAbs(bin) {
		t.Fatalf("warehousetest: %s=%s: give an absolute path (tests run in their package's folder)", EngineEnv, bin)
	}
	if _, err := exec.LookPath(bin); err != nil {
		t.Fatalf("warehousetest: %s=%s names no server binary that can be run (`make test-chdb` builds bin/bassins-chdb): %v",
			EngineEnv, bin, err)
	}
	return bin
}

// Database is the database Open migrates.
const Database = "bassins_test"

// Open starts a managed ClickHouse server for the test, with a password of
// its own (Password), and returns a migrated warehouse on it. Both are closed
// when the test ends. A test opening more connections logs in as srv.User()
// with srv.Password().
func Open(t testing.TB) (*warehouse.Warehouse, *managed.Server) {
	t.Helper()
	ctx := context.Background()
	bin := Binary(t)
	srv, err := managed.Start(ctx, managed.Options{DataDir: t.TempDir(), Binary: bin, Password: NewPassword(t)})
	if err != nil {
		t.Fatalf("starting ClickHouse (run `make test`, which installs clickhouse-server): %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	wh, err := warehouse.Open(ctx, warehouse.Options{Addr: srv.Addr(), Database: Database,
		User: srv.User(), Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	announce.Do(func() {
		version, err := wh.ServerVersion()
		if err != nil {
			version = "of unknown version (" + err.Error() + ")"
		}
		fmt.Fprintf(os.Stderr, "%sClickHouse %s (%s)\n", AnnouncePrefix, version, engineName(srv.Binary()))
	})
	if _, err := wh.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return wh, srv
}

// NewPassword returns a new random password, 32 hex digits, for a test's
// server.
func NewPassword(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("warehousetest: password: %v", err)
	}
	return hex.EncodeToString(b)
}

// engineName tells the engine behind a server binary, then its path.
func engineName(binary string) string {
	name := filepath.Base(binary)
	if name == "bassins-chdb" {
		name = "libchdb"
	}
	return name + ", " + binary
}
