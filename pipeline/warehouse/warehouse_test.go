package warehouse_test

import (
	"maps"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

func TestMigrateTwiceAppliesNothingTheSecondTime(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	again, err := wh.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("second migration applied %v, want nothing", again)
	}
}

func TestGeographyKeepsItsVersionForTheSameContent(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	v1, err := wh.SaveGeography(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := wh.SaveGeography(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	if v1 != v2 || v1 == 0 {
		t.Errorf("versions %d then %d, want the same non-zero version", v1, v2)
	}
	g.Areas[0].Population++
	v3, err := wh.SaveGeography(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	if v3 == v1 {
		t.Errorf("a changed population must give a new version")
	}
}

func TestRunsAreRecordedWithTheirLatestRevision(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	start := time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC)
	run := warehouse.JobRun{RunID: "ingest-1", Job: "ingest", StartedAt: start, Status: "running"}
	if err := wh.RecordRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	run.FinishedAt, run.Status, run.Rows, run.Message = start.Add(3*time.Second), "failed", 42, "line 3: bad"
	if err := wh.RecordRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	runs, err := wh.RecentRuns(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 {
		t.Fatalf("got %d runs, want 1", len(runs))
	}
	got := runs[0]
	if got.Status != "failed" || got.Rows != 42 || got.Message != "line 3: bad" || !got.StartedAt.Equal(start) || !got.FinishedAt.Equal(start.Add(3*time.Second)) {
		t.Errorf("run = %+v", got)
	}
}

func TestIndicatorValuesRoundTripAndTheLatestRunWins(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	if id, _, err := wh.LatestRun(ctx); err != nil || id != "" {
		t.Fatalf("before any run: %q, %v; want no run", id, err)
	}
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	first := []indicators.Value{{Indicator: "contacts", Level: "bassin", Code: "sud", Period: march, Value: 12, Numerator: 12}}
	second := []indicators.Value{
		{Indicator: "contacts", Level: "bassin", Code: "sud", Period: march, Value: 13, Numerator: 13},
		{Indicator: "contacts_per_10k", Level: "bassin", Code: "sud", Period: march, Value: 13.0 / 313203 * 10000,
			Numerator: 13, Denominator: 313203, Estimated: true},
	}
	at := time.Date(2025, 4, 1, 6, 0, 0, 0, time.UTC)
	if err := wh.SaveIndicatorValues(ctx, "run-a", at, 1, first); err != nil {
		t.Fatal(err)
	}
	if err := wh.SaveIndicatorValues(ctx, "run-b", at.Add(time.Hour), 1, second); err != nil {
		t.Fatal(err)
	}
	id, computedAt, err := wh.LatestRun(ctx)
	if err != nil || id != "run-b" || !computedAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("latest run %q at %v, %v; want run-b at %v", id, computedAt, err, at.Add(time.Hour))
	}
	got, err := wh.Values(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d values, want 2", len(got))
	}
	rate := got[1]
	if rate.Indicator != "contacts_per_10k" || rate.Denominator != 313203 || !rate.Estimated || !rate.Period.Equal(march) || rate.RunID != "run-b" {
		t.Errorf("rate read back as %+v", rate)
	}
	if got[0].Value != 13 {
		t.Errorf("contacts = %v, want the second run's 13", got[0].Value)
	}
}

// The flags of a value are stored as 1 or 0, and read back.
func TestIndicatorFlagsAreStoredAsOneOrZero(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	values := []indicators.Value{
		{Indicator: "a", Level: "bassin", Code: "sud", Period: march, Value: 1},
		{Indicator: "b", Level: "bassin", Code: "sud", Period: march, Value: 2, Estimated: true},
		{Indicator: "c", Level: "bassin", Code: "sud", Period: march, Value: 3, Incomplete: true},
		{Indicator: "d", Level: "bassin", Code: "sud", Period: march, Value: 4, Suppressed: true},
		{Indicator: "e", Level: "bassin", Code: "sud", Period: march, Value: 5, Estimated: true, Incomplete: true, Suppressed: true},
	}
	if err := wh.SaveIndicatorValues(ctx, "run-flags", march, 1, values); err != nil {
		t.Fatal(err)
	}
	rows, err := wh.Conn().Query(ctx, `SELECT indicator, estimated, incomplete, suppressed FROM indicator_cells
		WHERE run_id = 'run-flags' ORDER BY indicator`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string][3]uint8{"a": {0, 0, 0}, "b": {1, 0, 0}, "c": {0, 1, 0}, "d": {0, 0, 1}, "e": {1, 1, 1}}
	stored := map[string][3]uint8{}
	for rows.Next() {
		var ind string
		var f [3]uint8
		if err := rows.Scan(&ind, &f[0], &f[1], &f[2]); err != nil {
			t.Fatal(err)
		}
		stored[ind] = f
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(stored, want) {
		t.Errorf("flags stored as %v, want %v", stored, want)
	}
	got, err := wh.Values(ctx, "run-flags")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(values) {
		t.Fatalf("%d values, want %d", len(got), len(values))
	}
	for i, v := range got {
		w := values[i]
		if v.Indicator != w.Indicator || v.Estimated != w.Estimated || v.Incomplete != w.Incomplete || v.Suppressed != w.Suppressed {
			t.Errorf("value %d read back as %+v, want the flags of %+v", i, v, w)
		}
	}
}
