package warehouse_test

import (
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
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
