package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/config"
)

func TestBackfillPlan(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	month := func(s string) time.Time {
		m, err := time.ParseInLocation("2006-01", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	report := config.Job{Name: "monthly-report", Kind: config.KindReport}
	plan, err := backfillPlan(report, month("2025-11"), month("2026-02"), loc)
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand: a report of month M runs on the 1st of M+1 at 06:00.
	want := []string{"2025-12-01T06:00:00+01:00", "2026-01-01T06:00:00+01:00", "2026-02-01T06:00:00+01:00", "2026-03-01T06:00:00+01:00"}
	if len(plan) != len(want) {
		t.Fatalf("%d runs, want %d", len(plan), len(want))
	}
	for i, r := range plan {
		if got := r.asOf.Format(time.RFC3339); got != want[i] {
			t.Errorf("run %d as of %s, want %s", i, got, want[i])
		}
	}
	compute := config.Job{Name: "compute", Kind: config.KindCompute}
	if plan, err := backfillPlan(compute, month("2025-01"), month("2025-12"), loc); err != nil || len(plan) != 1 {
		t.Errorf("compute backfill: %d runs, %v; want one computation", len(plan), err)
	}
	if _, err := backfillPlan(config.Job{Name: "ingest", Kind: config.KindIngest}, month("2025-01"), month("2025-02"), loc); err == nil {
		t.Error("an ingest backfill was accepted")
	}
	if _, err := backfillPlan(report, month("2025-03"), month("2025-01"), loc); err == nil {
		t.Error("--to before --from was accepted")
	}
}

func TestBackfillDryRun(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Run(t.Context(), []string{"backfill", "monthly-report", "--from", "2026-01", "--to", "2026-03", "--dry-run"}, &out, &errOut)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, m := range []string{"2026-01", "2026-02", "2026-03"} {
		if !strings.Contains(out.String(), "monthly-report: report of "+m+"\n") {
			t.Errorf("dry run does not list the report of %s:\n%s", m, out.String())
		}
	}
	if !strings.Contains(out.String(), "3 run(s); nothing done") {
		t.Errorf("dry run output:\n%s", out.String())
	}
	if code := Run(t.Context(), []string{"backfill", "ingest", "--from", "2026-01", "--dry-run"}, &out, &errOut); code != exitUsage {
		t.Errorf("backfill of an ingest job exited %d, want %d", code, exitUsage)
	}
}
