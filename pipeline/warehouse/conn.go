package warehouse

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// runKey is the context key of the run a statement belongs to.
type runKey struct{}

// WithRun returns a context whose statements carry the run id: each one
// made with it, through any method of the warehouse, gets the ClickHouse
// query id "<runID>-<n>" (n counts the warehouse's statements), so a run's
// statements can be found in system.processes and system.query_log. An
// empty run id leaves the context as it is.
func WithRun(ctx context.Context, runID string) context.Context {
	if runID == "" {
		return ctx
	}
	return context.WithValue(ctx, runKey{}, runID)
}

// RunOf returns the run id WithRun put in ctx; "" when none.
func RunOf(ctx context.Context) string {
	runID, _ := ctx.Value(runKey{}).(string)
	return runID
}

// queryIDs numbers the statements of a warehouse.
type queryIDs struct{ n atomic.Uint64 }

// next returns the query id of the next statement made with ctx; "" when
// ctx carries no run.
func (q *queryIDs) next(ctx context.Context) string {
	runID := RunOf(ctx)
	if runID == "" {
		return ""
	}
	return runID + "-" + strconv.FormatUint(q.n.Add(1), 10)
}

// tag returns ctx with the query id of its run's next statement.
func (q *queryIDs) tag(ctx context.Context) context.Context {
	id := q.next(ctx)
	if id == "" {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithQueryID(id))
}

// runConn is the warehouse's connection: every statement made with a
// context of WithRun gets its query id here, whatever method makes it.
type runConn struct {
	driver.Conn
	ids *queryIDs
}

func (c runConn) Select(ctx context.Context, dest any, query string, args ...any) error {
	return c.Conn.Select(c.ids.tag(ctx), dest, query, args...)
}

func (c runConn) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	return c.Conn.Query(c.ids.tag(ctx), query, args...)
}

func (c runConn) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	return c.Conn.QueryRow(c.ids.tag(ctx), query, args...)
}

func (c runConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	return c.Conn.PrepareBatch(c.ids.tag(ctx), query, opts...)
}

func (c runConn) Exec(ctx context.Context, query string, args ...any) error {
	return c.Conn.Exec(c.ids.tag(ctx), query, args...)
}

func (c runConn) QueryFormat(ctx context.Context, format, query string, args ...any) (io.ReadCloser, error) {
	return c.Conn.QueryFormat(c.ids.tag(ctx), format, query, args...)
}

func (c runConn) InsertFormat(ctx context.Context, format, query string, data io.Reader) error {
	return c.Conn.InsertFormat(c.ids.tag(ctx), format, query, data)
}

func (c runConn) AsyncInsert(ctx context.Context, query string, wait bool, args ...any) error {
	//lint:ignore SA1019 the method is forwarded, not used
	return c.Conn.AsyncInsert(c.ids.tag(ctx), query, wait, args...)
}
