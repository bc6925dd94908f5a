package warehouse

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Conn gives tests the warehouse's connection, to read tables back.
func (w *Warehouse) Conn() driver.Conn { return w.conn }

// SetInsertBatch makes inserts spread their blocks over statements rows at
// a time, until the returned function restores the default.
func SetInsertBatch(rows int) (restore func()) {
	old := batchRows
	batchRows = rows
	return func() { batchRows = old }
}

// SortingKeys are the keys inserts order rows by.
var SortingKeys = sortingKeys

// RerunMigration runs the statements of a migration again, as after a
// crash before it was recorded.
func (w *Warehouse) RerunMigration(ctx context.Context, name string) error {
	return w.applyMigration(ctx, name)
}
