package warehouse

import (
	"context"
	"strings"

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

// ClusterStatements returns the DDL statements that make a migration
// statement on a cluster, as run without ZooKeeper (each on every node) or
// with it (once, ON CLUSTER); nil for a statement run through the
// Distributed tables.
func ClusterStatements(name, database string, zookeeper bool, stmt string) ([]string, error) {
	cl := &cluster{name: name, database: database, zookeeper: zookeeper}
	ddls, err := cl.statements(stmt)
	for i, d := range ddls {
		if zookeeper {
			ddls[i] = strings.Replace(d, onCluster, " ON CLUSTER "+name, 1)
		} else {
			ddls[i] = strings.Replace(d, onCluster, "", 1)
		}
	}
	return ddls, err
}
