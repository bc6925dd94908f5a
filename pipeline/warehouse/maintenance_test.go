package warehouse_test

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// orphanFixture loads, through the insert path:
//   - load 1: contacts (source team), loaded; line 3 set aside;
//   - load 2: contacts three months later, loaded then retracted; line 2
//     set aside; one row quarantined;
//   - load 3: contacts three months later, inserted but never recorded (the
//     process died); line 7 set aside;
//   - load 4: treatment demands (source tdi), rejected after its insert;
//   - load 5: treatment demands, loaded.
//
// Each contacts delivery stores 4 rows (lines 2, 3, 4 and 7), each
// treatment demands delivery 3.
func orphanFixture(t *testing.T, wh *warehouse.Warehouse) {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	contacts, demands := insertCases[0], insertCases[1]
	early := write("contacts-early.csv", contacts.csv)
	// The same records, three months later (April and May 2025, before
	// the delivery).
	late := write("contacts-late.csv", strings.NewReplacer("2025-01-", "2025-04-", "2025-02-", "2025-05-").Replace(contacts.csv))
	tdi := write("demands.csv", demands.csv)
	for _, l := range []struct {
		path   string
		loadID uint64
		tc     insertCase
	}{{early, 1, contacts}, {late, 2, contacts}, {late, 3, contacts}, {tdi, 4, demands}, {tdi, 5, demands}} {
		if n := insertLoad(t, wh, l.tc.spec, l.path, l.loadID); n != l.tc.rows {
			t.Fatalf("load %d stored %d rows, want %d", l.loadID, n, l.tc.rows)
		}
	}
	if err := wh.InsertRows(ctx, "excluded_rows", []string{"load_id", "line"},
		[][]any{{uint64(1), uint32(3)}, {uint64(2), uint32(2)}, {uint64(3), uint32(7)}}); err != nil {
		t.Fatal(err)
	}
	load := func(id uint64, source, dataset, file string) warehouse.Load {
		return warehouse.Load{LoadID: id, Source: source, Dataset: dataset, File: file, SHA256: file,
			LoadedAt: time.Now()}
	}
	for _, l := range []warehouse.Load{load(1, "team", "contacts", "early"), load(2, "team", "contacts", "late"),
		load(5, "tdi", "treatment_demands", "tdi")} {
		if err := wh.CommitLoad(ctx, l, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := wh.Retract(ctx, 2, "sent by mistake"); err != nil {
		t.Fatal(err)
	}
	rejected := load(4, "tdi", "treatment_demands", "tdi")
	rejected.Status = warehouse.StatusRejected
	if err := wh.RecordLoad(ctx, rejected); err != nil {
		t.Fatal(err)
	}
	if err := wh.InsertQuarantine(ctx, []warehouse.QuarantinedRow{{LoadID: 2, Source: "team", File: "late", Line: 5,
		Raw: "2025-11-06;10:00", Reasons: []warehouse.Reason{{Code: "postcode_outside_region", Field: "postcode"}}}}); err != nil {
		t.Fatal(err)
	}
}

func tableRows(t *testing.T, wh *warehouse.Warehouse, table string) uint64 {
	t.Helper()
	var n uint64
	if err := wh.Conn().QueryRow(t.Context(), "SELECT count() FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDeleteOrphanRowsDropsTheRowsOfLoadsThatNeverCount(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			wh, _ := o.open(t)
			ctx := t.Context()
			orphanFixture(t, wh)
			// Rows that count: load 1 but its line 3, load 5.
			counting := map[string]uint64{"contacts": 3, "treatment_demands": 3, "federation_activity": 0, "services": 0}
			count := func(when string) {
				for table, want := range counting {
					got, err := wh.CountRows(ctx, table)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s: %d rows of %s count, want %d", when, got, table, want)
					}
				}
			}
			months := func(when string) {
				got, err := wh.LatestDeliveredMonths(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]time.Time{"team": time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC),
					"tdi": time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
				if !maps.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s: latest delivered months %v, want %v", when, got, want)
				}
			}
			count("before")
			months("before")
			if n := tableRows(t, wh, "contacts"); n != 12 {
				t.Fatalf("%d contacts stored, want 3 loads of 4", n)
			}

			// Partials of load 1, and of loads 2 and 3 (built while load 2
			// counted, or for a load never recorded).
			jan, apr := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
			partial := func(load uint64, month time.Time) []any {
				return []any{uint64(7), uint64(1), load, month, "21004", "", 0.0, []float64{4}}
			}
			if err := wh.InsertRows(ctx, "cell_partials", []string{"spec", "build", "load_id", "month", "area_key", "category", "bucket", "sums"},
				[][]any{partial(1, jan), partial(2, apr), partial(3, apr)}); err != nil {
				t.Fatal(err)
			}
			build := func(load uint64) []any { return []any{uint64(7), load, uint64(1), uint64(0), time.Now()} }
			if err := wh.InsertRows(ctx, "partial_builds", []string{"spec", "load_id", "build", "keyed", "built_at"},
				[][]any{build(1), build(2), build(3)}); err != nil {
				t.Fatal(err)
			}
			deleted, err := wh.DeleteOrphanRows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]uint64{"contacts": 8, "treatment_demands": 3, "federation_activity": 0, "services": 0,
				"excluded_rows": 2, "cell_partials": 2, "visit_partials": 0, "partial_builds": 2}
			if !maps.Equal(deleted, want) {
				t.Errorf("deleted %v, want %v", deleted, want)
			}
			stored := map[string]uint64{"contacts": 4, "treatment_demands": 3, "excluded_rows": 1, "cell_partials": 1, "partial_builds": 1}
			for table, n := range stored {
				if got := tableRows(t, wh, table); got != n {
					t.Errorf("%d rows left in %s, want %d", got, table, n)
				}
			}
			var left uint64
			if err := wh.Conn().QueryRow(ctx, "SELECT count() FROM contacts WHERE load_id != 1").Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left != 0 {
				t.Errorf("%d contacts of other loads than 1 left", left)
			}
			count("after")
			months("after")
			q, err := wh.Quarantine(ctx, warehouse.QuarantineFilter{LoadID: 2})
			if err != nil || len(q) != 1 {
				t.Errorf("quarantine of the retracted load: %d rows (%v), want 1 kept", len(q), err)
			}
			loads, err := wh.Loads(ctx, warehouse.LoadFilter{})
			if err != nil || len(loads) != 4 {
				t.Errorf("%d loads recorded (%v), want 4 kept", len(loads), err)
			}

			again, err := wh.DeleteOrphanRows(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for table, n := range again {
				if n != 0 {
					t.Errorf("a second pass deleted %d rows of %s", n, table)
				}
			}
		})
	}
}

func TestDeleteQuarantineBefore(t *testing.T) {
	cut := at(3, 1, 0, 0)
	cases := []struct {
		name     string
		recorded []time.Time
		deleted  uint64
		cluster  bool
	}{
		{"none before", []time.Time{cut, cut.Add(time.Hour)}, 0, false},
		{"some before", []time.Time{cut.Add(-time.Second), cut.AddDate(0, -1, 0), cut.AddDate(-1, 0, 0), cut, cut.Add(time.Hour)}, 3, false},
		{"all before", []time.Time{cut.Add(-time.Hour)}, 1, false},
		{"some before, on a cluster", []time.Time{cut.Add(-time.Second), cut.AddDate(0, -1, 0), cut.AddDate(-1, 0, 0), cut, cut.Add(time.Hour)}, 3, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wh, _ := openers[btoi(tc.cluster)].open(t)
			var rows [][]any
			for i, r := range tc.recorded {
				rows = append(rows, []any{uint64(1), "team", "f.csv", uint32(i + 2), "raw", []string{"code"}, []string{"field"},
					[]string{"column"}, []string{""}, []string{"value"}, r})
			}
			if err := wh.InsertRows(t.Context(), "quarantine", []string{"load_id", "source", "file", "line", "raw",
				"reason_codes", "reason_fields", "reason_columns", "reason_details", "reason_values", "recorded_at"}, rows); err != nil {
				t.Fatal(err)
			}
			n, err := wh.DeleteQuarantineBefore(t.Context(), cut)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.deleted {
				t.Errorf("deleted %d, want %d", n, tc.deleted)
			}
			if left := tableRows(t, wh, "quarantine"); left != uint64(len(tc.recorded))-tc.deleted {
				t.Errorf("%d rows left, want %d", left, uint64(len(tc.recorded))-tc.deleted)
			}
		})
	}
}

func TestDeleteValuesBeforeKeepsTheLatestComputation(t *testing.T) {
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	value := func(code string) indicators.Value {
		return indicators.Value{Indicator: "contacts", Level: "bassin", Code: code, Period: march, Value: 1}
	}
	runs := []struct {
		id     string
		at     time.Time
		values int
	}{
		{"run-a", at(1, 1, 6, 0), 2},
		{"run-b", at(2, 1, 6, 0), 3},
		{"run-c", at(3, 1, 6, 0), 1},
	}
	cases := []struct {
		name    string
		cut     time.Time
		deleted uint64
		kept    []string
		cluster bool
	}{
		{"before every run", at(1, 1, 0, 0), 0, []string{"run-a", "run-b", "run-c"}, false},
		{"after the first", at(2, 1, 0, 0), 2, []string{"run-b", "run-c"}, false},
		{"after all: the latest stays", at(4, 1, 0, 0), 5, []string{"run-c"}, false},
		{"after the first, on a cluster", at(2, 1, 0, 0), 2, []string{"run-b", "run-c"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wh, _ := openers[btoi(tc.cluster)].open(t)
			for _, r := range runs {
				var values []indicators.Value
				for i := range r.values {
					values = append(values, value(string(rune('a'+i))))
				}
				if err := wh.SaveIndicatorValues(t.Context(), r.id, r.at, 1, values); err != nil {
					t.Fatal(err)
				}
			}
			n, err := wh.DeleteValuesBefore(t.Context(), tc.cut)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.deleted {
				t.Errorf("deleted %d values, want %d", n, tc.deleted)
			}
			for _, r := range runs {
				values, err := wh.Values(t.Context(), r.id)
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				if strings.Contains(strings.Join(tc.kept, " "), r.id) {
					want = r.values
				}
				if len(values) != want {
					t.Errorf("%s has %d values, want %d", r.id, len(values), want)
				}
			}
			if id, _, err := wh.LatestRun(t.Context()); err != nil || id != "run-c" {
				t.Errorf("latest run %q (%v), want run-c", id, err)
			}
			if runs := tableRows(t, wh, "indicator_runs"); runs != uint64(len(tc.kept)) {
				t.Errorf("%d computing runs listed, want %d", runs, len(tc.kept))
			}
		})
	}
}

func TestReadinessCountsTheMigrationsAndTheLatestComputation(t *testing.T) {
	wh, srv := warehousetest.Open(t)
	ctx := t.Context()
	all := []string{"0001_init.sql", "0002_rows_by_load.sql", "0003_job_run_records.sql", "0004_tdi3_copy.sql",
		"0005_tdi3_rebuild.sql", "0006_tdi3_drop_copy.sql", "0007_indicator_cells.sql", "0008_partials.sql"}
	version, err := wh.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	got, err := wh.Readiness(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.ServerVersion != version || got.Applied != len(all) || got.Known != len(all) || len(got.Pending) != 0 ||
		!got.LastComputedAt.IsZero() {
		t.Errorf("readiness of a migrated warehouse %+v", got)
	}
	computed := at(3, 1, 6, 0)
	if err := wh.SaveIndicatorValues(ctx, "run-a", computed, 1, nil); err != nil {
		t.Fatal(err)
	}
	if got, err = wh.Readiness(ctx); err != nil || !got.LastComputedAt.Equal(computed) {
		t.Errorf("last computed at %v (%v), want %v", got.LastComputedAt, err, computed)
	}

	// A database not migrated yet.
	fresh, err := warehouse.Open(ctx, warehouse.Options{Addr: srv.Addr(), Database: "bassins_fresh", User: srv.User(), Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	got, err = fresh.Readiness(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Applied != 0 || got.Known != len(all) || strings.Join(got.Pending, " ") != strings.Join(all, " ") {
		t.Errorf("readiness of a new database %+v, want every migration pending", got)
	}
}
