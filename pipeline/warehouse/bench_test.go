package warehouse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

func TestRunningQueriesListTheStatementsOfARun(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	done := make(chan error, 1)
	go func() {
		ctx := clickhouse.Context(t.Context(), clickhouse.WithQueryID("slow-run-7"))
		done <- wh.Conn().Exec(ctx, "SELECT sleep(1.5)")
	}()
	var found []warehouse.RunningQuery
	deadline := time.Now().Add(1400 * time.Millisecond)
	for len(found) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		qs, err := wh.RunningQueries(t.Context(), "slow-run-")
		if err != nil {
			t.Fatal(err)
		}
		found = qs
	}
	if len(found) != 1 {
		t.Fatalf("%d statements of the run while it sleeps, want 1: %+v", len(found), found)
	}
	q := found[0]
	if q.QueryID != "slow-run-7" || !strings.Contains(q.Query, "sleep(1.5)") || q.Elapsed <= 0 || q.Elapsed > 1500*time.Millisecond {
		t.Errorf("running %+v, want slow-run-7, its text and an elapsed time within 1.5 s", q)
	}
	// Another run's prefix lists none of it.
	others, err := wh.RunningQueries(t.Context(), "slow-runs-")
	if err != nil {
		t.Fatal(err)
	}
	if len(others) != 0 {
		t.Errorf("another prefix lists %+v", others)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The server lists a statement until it has finished it, a moment
	// after the client has its answer.
	var after []warehouse.RunningQuery
	for gone := time.Now().Add(5 * time.Second); ; {
		if after, err = wh.RunningQueries(t.Context(), "slow-run-"); err != nil {
			t.Fatal(err)
		}
		if len(after) == 0 || time.Now().After(gone) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(after) != 0 {
		t.Errorf("still running 5 s after it ended: %+v", after)
	}
}
