// Package warehousetest gives tests a real warehouse: a ClickHouse server
// started the way the product starts it (package managed), in a temporary
// folder, with the migrations applied.
package warehousetest

import (
	"context"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
)

// Open starts a managed ClickHouse server for the test and returns a migrated
// warehouse on it. Both are closed when the test ends.
func Open(t testing.TB) (*warehouse.Warehouse, *managed.Server) {
	t.Helper()
	ctx := context.Background()
	srv, err := managed.Start(ctx, managed.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting ClickHouse (run `make test`, which installs clickhouse-server): %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	wh, err := warehouse.Open(ctx, warehouse.Options{Addr: srv.Addr(), Database: "bassins_test", User: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	if _, err := wh.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return wh, srv
}
