package warehouse_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources"
)

// ownQueryID selects the query id of the statement running it: a statement
// is listed in system.processes while it runs. (The managed servers keep no
// system.query_log.)
const ownQueryID = `SELECT query_id FROM system.processes WHERE query_id LIKE 'run-q-%'`

// otherQueryIDs lists the statements of the run other than the one asking.
const otherQueryIDs = `SELECT query_id FROM system.processes WHERE query_id LIKE 'run-q-%' AND query NOT LIKE '%system.processes%'`

// Every way of making a statement gives it the query id of its run.
func TestStatementsOfARunCarryItsIDInTheirQueryID(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	run := warehouse.WithRun(ctx, "run-q")
	conn := wh.Conn()
	if err := conn.Exec(ctx, "CREATE TABLE seen_ids (id String) ENGINE = Memory"); err != nil {
		t.Fatal(err)
	}
	// Query ids seen by a statement running while another one of the run
	// is open.
	others := func(t *testing.T) []string {
		t.Helper()
		var ids []string
		rows, err := conn.Query(ctx, otherQueryIDs)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	cases := []struct {
		name string
		ids  func(t *testing.T) []string
	}{
		{"QueryRow", func(t *testing.T) []string {
			var id string
			if err := conn.QueryRow(run, ownQueryID).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return []string{id}
		}},
		{"Query", func(t *testing.T) []string {
			rows, err := conn.Query(run, ownQueryID)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var ids []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
			return ids
		}},
		{"Select", func(t *testing.T) []string {
			var got []struct {
				ID string `ch:"query_id"`
			}
			if err := conn.Select(run, &got, ownQueryID); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, g := range got {
				ids = append(ids, g.ID)
			}
			return ids
		}},
		{"Exec", func(t *testing.T) []string {
			if err := conn.Exec(ctx, "TRUNCATE TABLE seen_ids"); err != nil {
				t.Fatal(err)
			}
			if err := conn.Exec(run, "INSERT INTO seen_ids (id) "+ownQueryID); err != nil {
				t.Fatal(err)
			}
			var id string
			if err := conn.QueryRow(ctx, "SELECT any(id) FROM seen_ids").Scan(&id); err != nil {
				t.Fatal(err)
			}
			return []string{id}
		}},
		{"PrepareBatch", func(t *testing.T) []string {
			batch, err := conn.PrepareBatch(run, "INSERT INTO seen_ids (id)")
			if err != nil {
				t.Fatal(err)
			}
			defer batch.Abort()
			return others(t)
		}},
		{"BeginInsert", func(t *testing.T) []string {
			d, _ := sources.LookupDataset("contacts")
			ins, err := wh.BeginInsert(run, d.Table, d.Columns())
			if err != nil {
				t.Fatal(err)
			}
			defer ins.Abort()
			return others(t)
		}},
	}
	format := regexp.MustCompile(`^run-q-[0-9]+$`)
	seen := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The server may still be ending the statement of the
			// previous case.
			for deadline := time.Now().Add(5 * time.Second); len(others(t)) > 0; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("statements %q still running", others(t))
				}
			}
			ids := tc.ids(t)
			if len(ids) != 1 {
				t.Fatalf("query ids %q, want one", ids)
			}
			id := ids[0]
			if !format.MatchString(id) {
				t.Errorf("query id %q, want run-q-<n>", id)
			}
			if other, dup := seen[id]; dup {
				t.Errorf("query id %q given to %s and %s", id, other, tc.name)
			}
			seen[id] = tc.name
		})
	}
	var plain string
	if err := conn.QueryRow(ctx, "SELECT query_id FROM system.processes WHERE query LIKE '%plain statement%'").Scan(&plain); err != nil {
		t.Fatal(err)
	}
	if format.MatchString(plain) {
		t.Errorf("a statement made outside a run got the query id %q", plain)
	}
}

// When the server dies and starts again on another port, the statements
// that follow reach it at the address the Address function gives.
func TestStatementsWorkAgainAfterTheServerRestartsOnAnotherPort(t *testing.T) {
	_, srv := warehousetest.Open(t)
	ctx := t.Context()
	var addr atomic.Value
	addr.Store(srv.Addr())
	wh, err := warehouse.Open(ctx, warehouse.Options{Address: func() string { return addr.Load().(string) },
		Database: "bassins_test", User: srv.User(), Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	before := warehouse.JobRun{RunID: "before", Job: "ingest", StartedAt: at(3, 1, 5, 0), Status: warehouse.RunRunning}
	recordRuns(t, wh, before)
	// Several connections in the pool, all to the server about to die.
	for range 3 {
		if _, err := wh.RecentRuns(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}

	if err := syscall.Kill(srv.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitRefused(t, srv.Addr())
	if err := wh.Ping(ctx); err == nil {
		t.Error("Ping succeeded with the server down")
	}
	if _, err := wh.Readiness(ctx); err == nil {
		t.Error("Readiness succeeded with the server down")
	}

	restarted, err := managed.Start(ctx, managed.Options{DataDir: srv.DataDir(), Binary: warehousetest.Binary(t),
		Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The server waits for its clients to leave before it stops.
		wh.Close()
		restarted.Close()
	}()
	if restarted.Reused() || restarted.Addr() == srv.Addr() {
		t.Fatalf("the server restarted at %s (reused: %v), want a new server on another port than %s",
			restarted.Addr(), restarted.Reused(), srv.Addr())
	}
	addr.Store(restarted.Addr())

	runs, err := wh.RecentRuns(ctx, 10)
	if err != nil {
		t.Fatalf("the first statement after the restart: %v", err)
	}
	if len(runs) != 1 || runs[0].RunID != "before" {
		t.Errorf("runs after the restart %+v, want the one recorded before", runs)
	}
	if err := wh.Ping(ctx); err != nil {
		t.Error(err)
	}
	// Inserts dial the current address too.
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, []byte(insertCases[0].csv), 0o644); err != nil {
		t.Fatal(err)
	}
	insertLoad(t, wh, insertCases[0].spec, path, 9)
	var rows uint64
	if err := wh.Conn().QueryRow(ctx, "SELECT count() FROM contacts WHERE load_id = 9").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != uint64(insertCases[0].rows) {
		t.Errorf("%d rows inserted after the restart, want %d", rows, insertCases[0].rows)
	}
}

// waitRefused waits until nothing listens at addr.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the server at %s still answers after it was killed", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// insertLoad inserts a delivery's rows through BeginInsert, as an ingest
// does, with the given load id; it records nothing.
func insertLoad(t *testing.T, wh *warehouse.Warehouse, spec sources.Spec, path string, loadID uint64) int {
	t.Helper()
	d, ok := sources.LookupDataset(spec.Dataset)
	if !ok {
		t.Fatalf("no dataset %s", spec.Dataset)
	}
	ins, err := wh.BeginInsert(context.WithoutCancel(t.Context()), d.Table, d.Columns())
	if err != nil {
		t.Fatal(err)
	}
	env := insertEnv(t)
	env.LoadID = loadID
	n := 0
	_, err = sources.Read(t.Context(), &spec, path, env, 2, sources.Sink{
		Rows: func(b *sources.Block) error {
			defer b.Done()
			n += b.Len()
			return ins.Write(b)
		},
		Reject: func(sources.Rejected) error { return nil },
	})
	if err != nil {
		ins.Abort()
		t.Fatal(err)
	}
	if err := ins.Close(); err != nil {
		t.Fatal(err)
	}
	return n
}
