package warehouse_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
	"github.com/brusano/bassins/sources/demo"
)

// opener opens a migrated warehouse for a test: on one server, or spread
// over a cluster (then with its servers, shard by shard).
type opener struct {
	name string
	open func(testing.TB) (*warehouse.Warehouse, []*managed.Server)
}

var openers = []opener{
	{"one server", func(t testing.TB) (*warehouse.Warehouse, []*managed.Server) {
		wh, _ := warehousetest.Open(t)
		return wh, nil
	}},
	{"cluster", warehousetest.OpenCluster},
}

// btoi is 1 for true: openers[btoi(onCluster)].
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// nodeConn connects to one server of a cluster, in the test's database.
func nodeConn(t *testing.T, srv *managed.Server) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{srv.Addr()},
		Auth: clickhouse.Auth{Database: "bassins_test", Username: srv.User(), Password: srv.Password()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// localRows counts the rows of a table's local table on one server.
func localRows(t *testing.T, conn clickhouse.Conn, table string) uint64 {
	t.Helper()
	var n uint64
	if err := conn.QueryRow(t.Context(), "SELECT count() FROM "+table+"_local").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEveryNodeOfAClusterHoldsLocalTablesUnderDistributedOnes(t *testing.T) {
	_, servers := warehousetest.OpenCluster(t)
	// The tables of the migrations, by hand.
	tables := []string{"cell_partials", "contacts", "excluded_rows", "federation_activity", "geo_areas", "geo_bassins", "geo_communes",
		"geo_versions", "indicator_cells", "indicator_runs", "indicator_values", "job_run_records", "job_runs", "load_masks", "loads",
		"partial_builds", "quarantine", "schema_migrations", "services", "treatment_demands", "visit_partials"}
	for i, srv := range servers {
		conn := nodeConn(t, srv)
		rows, err := conn.Query(t.Context(), `SELECT name, engine FROM system.tables WHERE database = 'bassins_test'`)
		if err != nil {
			t.Fatal(err)
		}
		engines := map[string]string{}
		for rows.Next() {
			var name, engine string
			if err := rows.Scan(&name, &engine); err != nil {
				t.Fatal(err)
			}
			engines[name] = engine
		}
		rows.Close()
		if len(engines) != 2*len(tables) {
			t.Errorf("node %d holds %d tables %v, want %d", i+1, len(engines), engines, 2*len(tables))
		}
		for _, table := range tables {
			if engines[table] != "Distributed" || engines[table+"_local"] != "MergeTree" {
				t.Errorf("node %d: %s is %q and %s_local %q, want Distributed over MergeTree", i+1, table, engines[table],
					table, engines[table+"_local"])
			}
		}
	}
}

// pipelineOutcome is what ingesting and computing left in a warehouse.
type pipelineOutcome struct {
	values     []indicators.Value
	counts     map[string]uint64
	loads      []string // file, status and row counts of each load
	deliveries []warehouse.Delivery
	quarantine int
}

// runPipeline ingests the inbox with the default configuration's sources
// and computes the indicators, as the product does.
func runPipeline(t *testing.T, wh *warehouse.Warehouse, inbox string, now time.Time) pipelineOutcome {
	t.Helper()
	ctx := t.Context()
	cfg, err := config.Parse("bassins.yaml", config.Default)
	if err != nil {
		t.Fatal(err)
	}
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := privacy.New([]byte("cluster-test-secret-0123"))
	if err != nil {
		t.Fatal(err)
	}
	version, err := wh.SaveGeography(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	job := ingest.New(ingest.Options{Warehouse: wh, Sources: cfg.Sources, Inbox: inbox, StateDir: t.TempDir(),
		Pseudonymiser: p, Geography: g, Location: cfg.Location()})
	res, err := job.Run(ctx, now, "ingest-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded == 0 {
		t.Fatalf("nothing loaded: %+v", res)
	}
	if _, err := compute.New(compute.Options{Warehouse: wh, Geography: g, GeoVersion: version, Catalogue: cfg.Catalogue,
		MinCount: cfg.Privacy.MinCount}).Run(ctx, now, "compute-1"); err != nil {
		t.Fatal(err)
	}
	var out pipelineOutcome
	if out.values, err = wh.Values(ctx, "compute-1"); err != nil {
		t.Fatal(err)
	}
	out.counts = map[string]uint64{}
	for _, table := range []string{"contacts", "federation_activity", "services", "treatment_demands"} {
		if out.counts[table], err = wh.CountRows(ctx, table); err != nil {
			t.Fatal(err)
		}
	}
	loads, err := wh.Loads(ctx, warehouse.LoadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range loads {
		out.loads = append(out.loads, fmt.Sprintf("%s %s %s read %d loaded %d stored %d quarantined %d duplicate %d replaced %v",
			l.Source, l.File, l.Status, l.RowsRead, l.RowsLoaded, l.RowsStored, l.RowsQuarantined, l.RowsDuplicate,
			len(l.ReplacedMonths)))
	}
	sort.Strings(out.loads)
	if out.deliveries, err = wh.Deliveries(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := wh.Quarantine(ctx, warehouse.QuarantineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out.quarantine = len(q)
	return out
}

// The same deliveries, ingested and computed on one server and on a
// cluster of two shards, give the same indicator values, every one of them,
// and the same counts; both shards hold rows.
func TestAClusterComputesTheSameIndicatorsAsOneServer(t *testing.T) {
	ctx := t.Context()
	inbox := t.TempDir()
	month := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := demo.Write(ctx, demo.Options{Dir: inbox, Seed: 11, Scale: 0.05, Until: month, Months: 4}); err != nil {
		t.Fatal(err)
	}
	// A corrected delivery of May, without its last ten contacts, replaces
	// the first one.
	first, err := os.ReadFile(filepath.Join(inbox, "mobile-teams", "combo-2025-05.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(first), "\n"), "\n")
	corrected := filepath.Join(inbox, "mobile-teams", "combo-2025-05-corrige.jsonl")
	if err := os.WriteFile(corrected, []byte(strings.Join(lines[:len(lines)-10], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(corrected, later, later); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 7, 10, 6, 0, 0, 0, time.UTC)

	single, _ := warehousetest.Open(t)
	want := runPipeline(t, single, inbox, now)
	cluster, servers := warehousetest.OpenCluster(t)
	got := runPipeline(t, cluster, inbox, now)

	replaced := 0
	for _, l := range want.loads {
		if strings.HasSuffix(l, "replaced 1") {
			replaced++
		}
	}
	if replaced != 1 {
		t.Errorf("%d loads have a month replaced, want the first delivery of May", replaced)
	}
	if len(want.values) == 0 || want.counts["contacts"] == 0 {
		t.Fatalf("one server computed %d values from %d contacts: the fixture is too small", len(want.values), want.counts["contacts"])
	}
	if len(got.values) != len(want.values) {
		t.Errorf("the cluster computed %d values, one server %d", len(got.values), len(want.values))
	}
	for i := range min(len(got.values), len(want.values)) {
		g, w := got.values[i], want.values[i]
		g.RunID, w.RunID = "", ""
		if !g.Period.Equal(w.Period) {
			t.Errorf("value %d: period %v on the cluster, %v on one server", i, g.Period, w.Period)
		}
		g.Period, w.Period = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("value %d: %+v on the cluster, %+v on one server", i, g, w)
		}
	}
	for table, n := range want.counts {
		if got.counts[table] != n {
			t.Errorf("%d rows of %s count on the cluster, %d on one server", got.counts[table], table, n)
		}
	}
	if !slices.Equal(got.loads, want.loads) {
		t.Errorf("loads on the cluster:\n%s\non one server:\n%s", strings.Join(got.loads, "\n"), strings.Join(want.loads, "\n"))
	}
	if !slices.EqualFunc(got.deliveries, want.deliveries, func(a, b warehouse.Delivery) bool {
		return a.Source == b.Source && a.Dataset == b.Dataset && a.Period.Equal(b.Period) && a.Lines == b.Lines
	}) {
		t.Errorf("deliveries on the cluster %v, on one server %v", got.deliveries, want.deliveries)
	}
	if got.quarantine != want.quarantine {
		t.Errorf("%d rows quarantined on the cluster, %d on one server", got.quarantine, want.quarantine)
	}

	// Sharding happened: each shard holds rows of some loads (a load's
	// rows go to one shard; with some 25 loads, all on one shard would be
	// a chance of one in millions), and the shards hold every row between
	// them.
	canonical := []string{"contacts", "federation_activity", "services", "treatment_demands"}
	var total uint64
	for i, srv := range servers {
		conn := nodeConn(t, srv)
		var n uint64
		for _, table := range canonical {
			n += localRows(t, conn, table)
		}
		if n == 0 {
			t.Errorf("shard %d holds no rows", i+1)
		}
		total += n
	}
	var stored uint64
	for _, table := range canonical {
		var n uint64
		if err := single.Conn().QueryRow(ctx, "SELECT count() FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		stored += n
	}
	if total != stored {
		t.Errorf("the shards hold %d rows, one server %d", total, stored)
	}
	t.Logf("%d values, %d contacts counting, %d loads", len(want.values), want.counts["contacts"], len(want.loads))
}

// A delivery's record ids repeated with other content are set aside, exact
// repeats count once, and a later delivery of an id wins over the earlier
// one until it is retracted; on a cluster, the two deliveries live on
// different shards.
func TestRepeatedRecordsAreSetAsideAndTheLatestDeliveryWins(t *testing.T) {
	const header = "date;time;team;place;postcode;person;poles;referral;to;syringes;kits;naloxone;id\n"
	first := header +
		"2025-01-03;09:15;MASS;rue;1000;A-1;medical;1;CPAS;10;2;0;r1\n" + // line 2
		"2025-01-04;10:00;Lama;rue;1070;A-2;;0;;0;0;1;r2\n" + // line 3
		"2025-01-03;09:15;MASS;rue;1000;A-1;medical;1;CPAS;10;2;0;r1\n" + // line 4: line 2 again
		"2025-01-05;11:00;Lama;gare;1070;A-2;;0;;4;0;1;r2\n" + // line 5: r2 with other content
		"2025-01-06;12:00;MASS;rue;1030;A-3;;0;;1;1;1;r3\n" // line 6
	second := header +
		"2025-02-07;08:00;MASS;rue;1000;A-1;social;0;;2;0;0;r1\n" // line 2: r1 again, in February
	// Load ids on different shards of the cluster (checked below).
	const firstLoad, secondLoad = 1, 2
	january, february := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			wh, servers := o.open(t)
			ctx := t.Context()
			dir := t.TempDir()
			commit := func(id uint64, body string) {
				t.Helper()
				path := filepath.Join(dir, fmt.Sprintf("load-%d.csv", id))
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				insertLoad(t, wh, insertCases[0].spec, path, id)
				if id == firstLoad {
					r, err := wh.SetAsideRepeatedRecords(ctx, "contacts", id)
					if err != nil {
						t.Fatal(err)
					}
					if r != (warehouse.RepeatedRecords{Duplicates: 1, Conflicting: 2}) {
						t.Errorf("repeated records %+v, want 1 duplicate and 2 conflicting lines", r)
					}
				}
				if err := wh.CommitLoad(ctx, warehouse.Load{LoadID: id, Source: "team", Dataset: "contacts",
					File: path, SHA256: path, LoadedAt: time.Now()}, nil); err != nil {
					t.Fatal(err)
				}
			}
			lines := func(when string, want map[time.Time]uint64) {
				t.Helper()
				ds, err := wh.Deliveries(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got := map[time.Time]uint64{}
				for _, d := range ds {
					got[d.Period] += d.Lines
				}
				if !maps.Equal(got, want) {
					t.Errorf("%s: lines that count by month %v, want %v", when, got, want)
				}
			}

			commit(firstLoad, first)
			// r1 once, r3; r2 set aside.
			lines("after the first delivery", map[time.Time]uint64{january: 2})
			conflicting := map[int][]int{}
			if err := wh.ConflictingLines(ctx, "contacts", firstLoad, func(line int, others []int) error {
				conflicting[line] = others
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if want := map[int][]int{3: {5}, 5: {3}}; !maps.EqualFunc(conflicting, want, slices.Equal) {
				t.Errorf("conflicting lines %v, want %v", conflicting, want)
			}

			commit(secondLoad, second)
			lines("after the second delivery", map[time.Time]uint64{january: 1, february: 1})
			if n, err := wh.CountRows(ctx, "contacts"); err != nil || n != 2 {
				t.Errorf("%d contacts count (%v), want 2", n, err)
			}
			if _, err := wh.Retract(ctx, secondLoad, "sent by mistake"); err != nil {
				t.Fatal(err)
			}
			lines("after the retraction", map[time.Time]uint64{january: 2})

			for i, srv := range servers {
				if n := localRows(t, nodeConn(t, srv), "contacts"); n == 0 {
					t.Errorf("shard %d holds no contacts: the loads are not on different shards", i+1)
				}
			}
		})
	}
}
