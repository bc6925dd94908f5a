package warehouse_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// at returns a time of 2025 in UTC, to the second.
func at(month time.Month, day, hour, minute int) time.Time {
	return time.Date(2025, month, day, hour, minute, 0, 0, time.UTC)
}

func recordRuns(t *testing.T, wh *warehouse.Warehouse, runs ...warehouse.JobRun) {
	t.Helper()
	for _, r := range runs {
		if err := wh.RecordRun(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func runsByID(t *testing.T, wh *warehouse.Warehouse) map[string]warehouse.JobRun {
	t.Helper()
	runs, err := wh.RecentRuns(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]warehouse.JobRun{}
	for _, r := range runs {
		if _, dup := out[r.RunID]; dup {
			t.Errorf("run %s listed twice", r.RunID)
		}
		out[r.RunID] = r
	}
	return out
}

func sameRun(a, b warehouse.JobRun) bool {
	return a.RunID == b.RunID && a.Job == b.Job && a.StartedAt.Equal(b.StartedAt) && a.FinishedAt.Equal(b.FinishedAt) &&
		a.Status == b.Status && a.Rows == b.Rows && a.Message == b.Message && a.HeartbeatAt.Equal(b.HeartbeatAt) &&
		a.Owner == b.Owner && a.AsOf.Equal(b.AsOf) && a.Attempt == b.Attempt
}

func TestEveryFieldOfTheLatestRecordOfARunIsRead(t *testing.T) {
	start := at(3, 1, 5, 0)
	started := warehouse.JobRun{RunID: "ingest-1", Job: "ingest", StartedAt: start, Status: warehouse.RunRunning,
		Owner: "host-a:41", AsOf: at(2, 28, 5, 0), Attempt: 2}
	beating := started
	beating.HeartbeatAt, beating.Rows = start.Add(time.Minute), 10
	ended := beating
	ended.FinishedAt, ended.Status, ended.Rows, ended.Message = start.Add(2*time.Minute), warehouse.RunOK, 42, "42 rows"
	// A record says what the run is now, whatever it says: the last
	// recorded wins, even when it goes back to running.
	again := ended
	again.Status, again.FinishedAt, again.Message = warehouse.RunRunning, time.Time{}, ""
	cases := []struct {
		name    string
		records []warehouse.JobRun
		want    warehouse.JobRun
	}{
		{"started", []warehouse.JobRun{started}, started},
		{"heartbeat", []warehouse.JobRun{started, beating}, beating},
		{"ended", []warehouse.JobRun{started, beating, ended}, ended},
		{"recorded last", []warehouse.JobRun{started, ended, again}, again},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wh, _ := warehousetest.Open(t)
			recordRuns(t, wh, tc.records...)
			got := runsByID(t, wh)
			if len(got) != 1 || !sameRun(got["ingest-1"], tc.want) {
				t.Errorf("runs = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestRecentRunsAreTheNewestFirst(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	recordRuns(t, wh,
		warehouse.JobRun{RunID: "b", Job: "ingest", StartedAt: at(3, 2, 5, 0), Status: warehouse.RunOK, FinishedAt: at(3, 2, 6, 0)},
		warehouse.JobRun{RunID: "c", Job: "compute", StartedAt: at(3, 3, 5, 0), Status: warehouse.RunRunning},
		warehouse.JobRun{RunID: "a", Job: "ingest", StartedAt: at(3, 1, 5, 0), Status: warehouse.RunFailed, FinishedAt: at(3, 1, 6, 0)},
	)
	runs, err := wh.RecentRuns(t.Context(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.RunID)
	}
	if !slices.Equal(ids, []string{"c", "b"}) {
		t.Errorf("recent runs %v, want [c b]", ids)
	}
}

// The runs recorded in job_runs before migration 0003 are carried over, and
// its statements can run again without copying them twice.
func TestMigration0003CarriesOverEarlierRunsOnce(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	ctx := t.Context()
	start := at(1, 10, 5, 0)
	old := [][]any{
		{"ingest-old", "ingest", start, time.Unix(0, 0), "running", uint64(0), "", uint8(1)},
		{"ingest-old", "ingest", start, start.Add(time.Minute), "failed", uint64(7), "line 3: bad", uint8(2)},
	}
	if err := wh.InsertRows(ctx, "job_runs", []string{"run_id", "job", "started_at", "finished_at", "status", "rows",
		"message", "revision"}, old); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := wh.RerunMigration(ctx, "0003_job_run_records.sql"); err != nil {
			t.Fatal(err)
		}
	}
	var records uint64
	if err := wh.Conn().QueryRow(ctx, "SELECT count() FROM job_run_records").Scan(&records); err != nil {
		t.Fatal(err)
	}
	if records != 2 {
		t.Errorf("%d records after running the migration twice more, want the 2 of job_runs", records)
	}
	want := warehouse.JobRun{RunID: "ingest-old", Job: "ingest", StartedAt: start, FinishedAt: start.Add(time.Minute),
		Status: "failed", Rows: 7, Message: "line 3: bad", AsOf: start, Attempt: 1}
	if got := runsByID(t, wh)["ingest-old"]; !sameRun(got, want) {
		t.Errorf("carried over run %+v\nwant %+v", got, want)
	}
	// A record made after the migration wins over the carried ones.
	later := want
	later.Status, later.Message = warehouse.RunInterrupted, "interrupted"
	recordRuns(t, wh, later)
	if got := runsByID(t, wh)["ingest-old"]; got.Status != warehouse.RunInterrupted {
		t.Errorf("status after a new record %q, want %q", got.Status, warehouse.RunInterrupted)
	}
}

func TestStaleRunsAreInterrupted(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	staleBefore, now := at(3, 1, 10, 30), at(3, 1, 11, 0)
	running := func(id string, start, heartbeat time.Time) warehouse.JobRun {
		return warehouse.JobRun{RunID: id, Job: "ingest", StartedAt: start, HeartbeatAt: heartbeat,
			Status: warehouse.RunRunning, Owner: "host-a:41", AsOf: start, Attempt: 1}
	}
	ended := func(r warehouse.JobRun, status string) warehouse.JobRun {
		r.Status, r.FinishedAt = status, r.StartedAt.Add(time.Minute)
		return r
	}
	silent := running("silent", at(3, 1, 9, 0), at(3, 1, 10, 0))
	neverBeat := running("never-beat", at(3, 1, 9, 30), time.Time{})
	recordRuns(t, wh,
		silent, neverBeat,
		running("beating", at(3, 1, 9, 0), at(3, 1, 10, 40)),
		running("just-started", at(3, 1, 10, 45), time.Time{}),
		running("beat-again", at(3, 1, 8, 0), at(3, 1, 10, 0)), running("beat-again", at(3, 1, 8, 0), at(3, 1, 10, 50)),
		running("failed", at(3, 1, 8, 0), time.Time{}), ended(running("failed", at(3, 1, 8, 0), time.Time{}), warehouse.RunFailed),
		ended(running("done", at(3, 1, 7, 0), time.Time{}), warehouse.RunOK),
	)
	got, err := wh.InterruptStaleRuns(t.Context(), staleBefore, now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range got {
		ids = append(ids, r.RunID)
		if r.Status != warehouse.RunInterrupted || !r.FinishedAt.Equal(now) || !strings.Contains(r.Message, "interrupted") ||
			r.Owner != "host-a:41" {
			t.Errorf("interrupted run %+v", r)
		}
	}
	if !slices.Equal(ids, []string{"silent", "never-beat"}) {
		t.Fatalf("interrupted %v, want [silent never-beat]", ids)
	}
	stored := runsByID(t, wh)
	want := map[string]string{"silent": warehouse.RunInterrupted, "never-beat": warehouse.RunInterrupted,
		"beating": warehouse.RunRunning, "just-started": warehouse.RunRunning, "beat-again": warehouse.RunRunning,
		"failed": warehouse.RunFailed, "done": warehouse.RunOK}
	for id, status := range want {
		if stored[id].Status != status {
			t.Errorf("run %s is %q, want %q", id, stored[id].Status, status)
		}
	}
	wantSilent := silent
	wantSilent.Status, wantSilent.FinishedAt, wantSilent.Message = warehouse.RunInterrupted, now, got[0].Message
	if !sameRun(stored["silent"], wantSilent) {
		t.Errorf("stored %+v\nwant %+v", stored["silent"], wantSilent)
	}
	again, err := wh.InterruptStaleRuns(t.Context(), staleBefore, now)
	if err != nil || len(again) != 0 {
		t.Errorf("second call interrupted %v (%v), want none", again, err)
	}
}

func TestJobHistoryTellsTheLatestRunAndTheLatestSuccess(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	run := func(id, job string, start, asOf time.Time, status string, finished time.Time) warehouse.JobRun {
		return warehouse.JobRun{RunID: id, Job: job, StartedAt: start, AsOf: asOf, Status: status, FinishedAt: finished}
	}
	computeStart := at(3, 1, 6, 0)
	recordRuns(t, wh,
		run("ingest-1", "ingest", at(1, 1, 5, 0), at(1, 1, 5, 0), warehouse.RunOK, at(1, 1, 5, 10)),
		run("ingest-2", "ingest", at(1, 2, 5, 0), at(1, 2, 5, 0), warehouse.RunFailed, at(1, 2, 5, 2)),
		// The scheduled report, then a backfill: it works as of an
		// earlier month, and leaves the last tick handled where it was.
		run("report-0", "report", at(2, 1, 6, 0), at(2, 1, 6, 0), warehouse.RunOK, at(2, 1, 6, 1)),
		run("report-1", "report", at(2, 1, 7, 0), at(1, 31, 0, 0), warehouse.RunRunning, time.Time{}),
		run("compute-1", "compute", computeStart, computeStart, warehouse.RunRunning, time.Time{}),
		run("compute-1", "compute", computeStart, computeStart, warehouse.RunOK, at(3, 1, 6, 3)),
		// An older success finishing later: the latest success is the
		// one finished last.
		run("compute-0", "compute", at(2, 1, 6, 0), at(2, 1, 6, 0), warehouse.RunOK, at(3, 1, 6, 5)),
	)
	got, err := wh.JobHistory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []warehouse.JobStatus{
		{Job: "compute", LastStart: computeStart, LastStatus: warehouse.RunOK, LastSuccess: at(3, 1, 6, 5),
			LastSuccessAsOf: at(2, 1, 6, 0), LastTickAsOf: computeStart},
		{Job: "ingest", LastStart: at(1, 2, 5, 0), LastStatus: warehouse.RunFailed, LastSuccess: at(1, 1, 5, 10),
			LastSuccessAsOf: at(1, 1, 5, 0), LastTickAsOf: at(1, 2, 5, 0)},
		{Job: "report", LastStart: at(2, 1, 7, 0), LastStatus: warehouse.RunRunning, LastSuccess: at(2, 1, 6, 1),
			LastSuccessAsOf: at(2, 1, 6, 0), LastTickAsOf: at(2, 1, 6, 0)},
	}
	if len(got) != len(want) {
		t.Fatalf("history %+v\nwant %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Job != w.Job || !g.LastStart.Equal(w.LastStart) || g.LastStatus != w.LastStatus || !g.LastSuccess.Equal(w.LastSuccess) ||
			!g.LastSuccessAsOf.Equal(w.LastSuccessAsOf) || !g.LastTickAsOf.Equal(w.LastTickAsOf) {
			t.Errorf("history of %s:\n%+v\nwant\n%+v", w.Job, g, w)
		}
	}
}

func TestDeleteRunsBeforeKeepsTheLatestAndTheLatestSuccessOfEachJob(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	run := func(id, job string, day int, status string) []warehouse.JobRun {
		start := at(1, day, 5, 0)
		r := warehouse.JobRun{RunID: id, Job: job, StartedAt: start, AsOf: start, Status: warehouse.RunRunning}
		if status == warehouse.RunRunning {
			return []warehouse.JobRun{r}
		}
		end := r
		end.Status, end.FinishedAt = status, start.Add(time.Hour)
		return []warehouse.JobRun{r, end}
	}
	for _, records := range [][]warehouse.JobRun{
		run("a1", "ingest", 1, warehouse.RunOK),     // deleted
		run("a2", "ingest", 2, warehouse.RunFailed), // deleted
		run("a3", "ingest", 3, warehouse.RunOK),     // the latest success
		run("a4", "ingest", 4, warehouse.RunFailed), // the latest
		run("b0", "report", 1, warehouse.RunOK),     // the latest success
		run("b1", "report", 2, warehouse.RunRunning),
		run("c0", "compute", 5, warehouse.RunOK),         // deleted
		run("c1", "compute", 20, warehouse.RunOK),        // after the cut
		run("d1", "backup", 3, warehouse.RunInterrupted), // deleted
		run("d2", "backup", 4, warehouse.RunInterrupted),
	} {
		recordRuns(t, wh, records...)
	}
	n, err := wh.DeleteRunsBefore(t.Context(), at(1, 10, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("deleted %d runs, want 4", n)
	}
	var left []string
	for id := range runsByID(t, wh) {
		left = append(left, id)
	}
	slices.Sort(left)
	if want := []string{"a3", "a4", "b0", "b1", "c1", "d2"}; !slices.Equal(left, want) {
		t.Errorf("runs left %v, want %v", left, want)
	}
	var records uint64
	if err := wh.Conn().QueryRow(t.Context(), "SELECT count() FROM job_run_records WHERE run_id IN ('a1', 'a2', 'c0', 'd1')").
		Scan(&records); err != nil {
		t.Fatal(err)
	}
	if records != 0 {
		t.Errorf("%d records of deleted runs left", records)
	}
}

// Runs started within the same second (a retry right after a quick
// failure) are listed in the order they began, the later first.
func TestRecentRunsOrdersRunsOfOneSecondAsTheyBegan(t *testing.T) {
	wh, _ := warehousetest.Open(t)
	start := at(3, 1, 6, 0)
	// The run ids sort the other way round.
	recordRuns(t, wh,
		warehouse.JobRun{RunID: "compute-b", Job: "compute", StartedAt: start, Status: warehouse.RunFailed, FinishedAt: start, Attempt: 1},
		warehouse.JobRun{RunID: "compute-a", Job: "compute", StartedAt: start, Status: warehouse.RunOK, FinishedAt: start, Attempt: 2},
	)
	runs, err := wh.RecentRuns(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].RunID != "compute-a" || runs[1].RunID != "compute-b" {
		t.Errorf("runs %+v; want compute-a (begun last) first", runs)
	}
}
