package cli

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/warehouse"
)

// /metrics shows the job metrics of the runs made, and /readyz the
// warehouse and the last computation.
func TestServeShowsMetricsAndReadiness(t *testing.T) {
	ctx := t.Context()
	cfg, path := faultConfig(t, t.TempDir())
	writeDemo(t, cfg.Paths.Inbox, 0.05)
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	base, stop := serveApp(t, a, path)
	if status, _ := page(base + "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz before any computation: %d, want 503", status)
	}
	if _, err := a.sched.RunNow(ctx, "ingest"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the computation that follows the ingest", func() bool {
		runs := runsOf(t, a.wh, "compute")
		return len(runs) == 1 && runs[0].Status == "ok"
	})
	status, body := page(base + "/metrics")
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	for _, want := range []string{
		`bassins_job_runs_total{job="ingest",status="ok"} 1`,
		`bassins_job_runs_total{job="compute",status="ok"} 1`,
		`bassins_job_runs_total{job="monthly-report",status="ok"} 0`,
		`bassins_job_run_duration_seconds_count{job="ingest",status="ok"} 1`,
		`bassins_job_seconds_since_last_success{job="compute"}`,
		`bassins_source_rows_total{outcome="loaded",source="combo"}`,
		`bassins_deliveries_overdue{source="combo"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	status, body = page(base + "/readyz")
	var ready struct {
		Status     string `json:"status"`
		Migrations struct {
			Pending []string `json:"pending"`
		} `json:"migrations"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil || status != 200 || ready.Status != "ready" || len(ready.Migrations.Pending) != 0 {
		t.Errorf("/readyz after a computation: %d %s", status, body)
	}
	stop()
}

// SIGHUP reloads the configuration: a valid one replaces the jobs that
// changed, an invalid one is refused and the running one kept.
func TestReloadReplacesTheJobsThatChanged(t *testing.T) {
	ctx := t.Context()
	cfg, path := faultConfig(t, t.TempDir())
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	_, stop := serveApp(t, a, path)
	waitFor(t, 10*time.Second, "the scheduler starts", func() bool { return len(a.sched.Next()) > 0 })
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	nextCompute := func() time.Time { return a.sched.Next()["compute"] }
	before := nextCompute()

	// An invalid configuration: refused, nothing changes.
	if err := os.WriteFile(path, append(body, []byte("\nunknown_key: 1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	a.reload(path)
	if got := nextCompute(); !got.Equal(before) {
		t.Errorf("an invalid configuration changed the next computation from %v to %v", before, got)
	}
	// Compute every day at 05:17 instead.
	changed := strings.Replace(string(body), "kind: compute\n    schedule: \""+never+"\"", "kind: compute\n    schedule: \"17 5 * * *\"", 1)
	if changed == string(body) {
		t.Fatal("no compute job in the configuration")
	}
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	a.reload(path)
	got := nextCompute().In(cfg.Location())
	if got.Hour() != 5 || got.Minute() != 17 || time.Until(got) > 25*time.Hour {
		t.Errorf("after the reload compute runs next at %v, want the next 05:17", got)
	}
	if next := a.sched.Next()["ingest"].In(cfg.Location()); next.Month() != time.January || next.Day() != 1 || next.Hour() != 0 {
		t.Errorf("ingest's schedule, unchanged in the file, now gives %v", next)
	}
	stop()
}

// Alerts go by webhook: a delivery with too many rejected rows raises one,
// once.
func TestAlertsByWebhook(t *testing.T) {
	ctx := t.Context()
	var mu sync.Mutex
	var got []map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg map[string]any
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
	}))
	defer hook.Close()
	t.Setenv("BASSINS_ALERT_WEBHOOK", hook.URL+"/hook")
	cfg, _ := faultConfig(t, t.TempDir())
	// A delivery whose rows are nearly all wrong: refused.
	dir := filepath.Join(cfg.Paths.Inbox, "mobile-teams")
	os.MkdirAll(dir, 0o755)
	var lines strings.Builder
	lines.WriteString(`{"date":"2026-05-03","time":"10:00","team":"COMBO","place":"rue","postcode":"1000","person":"P1","poles":[],"syringes":1}` + "\n")
	for range 9 {
		lines.WriteString(`{"date":"not a date","team":"COMBO","postcode":"1000","person":"P2"}` + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "combo-2026-05.jsonl"), []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	a.sched.RunOnce(ctx, "ingest", time.Time{})
	a.sched.RunOnce(ctx, "ingest", time.Time{}) // the same delivery: no second message
	mu.Lock()
	defer mu.Unlock()
	var share []map[string]any
	for _, m := range got {
		if m["kind"] == "quarantine_share" {
			share = append(share, m)
		}
	}
	if len(share) != 1 || share[0]["subject"] != "combo" || share[0]["state"] != "firing" {
		t.Fatalf("webhook messages about the quarantined share: %v; want one, firing, about combo", share)
	}
	if text, _ := json.Marshal(share[0]); strings.Contains(string(text), "not a date") || strings.Contains(string(text), "P2") {
		t.Errorf("the alert holds a delivered value: %s", text)
	}
}

// A delivery dropped into the inbox of a running serve reaches the figures
// within seconds: the watcher ingests it, and the computation follows.
func TestADeliveryDroppedIntoTheInboxReachesTheFigures(t *testing.T) {
	ctx := t.Context()
	_, path := faultConfig(t, t.TempDir())
	body, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(body), "  watch_inbox: false", "  watch_inbox: true", 1)), 0o644)
	cfg, err := loadConfig(path)
	if err != nil || !cfg.Service.WatchInbox {
		t.Fatal("the inbox is not watched")
	}
	writeDemo(t, cfg.Paths.Inbox, 0.05)
	// The last month of one team arrives later.
	late := filepath.Join(cfg.Paths.Inbox, "mobile-teams", "combo-2026-06.jsonl")
	held, err := os.ReadFile(late)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(late)
	contacts := strings.Count(string(held), "\n")
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	regionContacts := func() int {
		snap, err := a.snapshot(ctx)
		if err != nil {
			return -1
		}
		for _, v := range snap.Values {
			if v.Indicator == "contacts" && v.Level == "region" && v.Period.Format("2006-01") == "2026-06" {
				return int(v.Value)
			}
		}
		return 0
	}
	_, stop := serveApp(t, a, path)
	// The ingest a starting server makes, then its computation.
	waitFor(t, time.Minute, "the start-up ingest and computation", func() bool {
		runs := runsOf(t, a.wh, "compute")
		return len(runs) == 1 && runs[0].Status == "ok"
	})
	before := regionContacts()
	if err := os.WriteFile(late+".part", held, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(late+".part", late); err != nil {
		t.Fatal(err)
	}
	dropped := time.Now()
	waitFor(t, 30*time.Second, "the late delivery counts", func() bool { return regionContacts() == before+contacts })
	t.Logf("%d contacts counted %s after the delivery", contacts, time.Since(dropped).Round(time.Millisecond))
	stop()
}

// Lines logged with a run's context carry its run id, once.
func TestLogLinesOfARunCarryItsID(t *testing.T) {
	var out strings.Builder
	log := newLogger(&out)
	ctx := warehouse.WithRun(t.Context(), "compute-20260101T000000-abcd")
	log.InfoContext(ctx, "report written")
	log.With("run", "compute-20260101T000000-abcd").InfoContext(ctx, "job done")
	log.Info("no run")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines: %s", len(lines), out.String())
	}
	for i, want := range []int{1, 1, 0} {
		if got := strings.Count(lines[i], "run=compute-20260101T000000-abcd"); got != want {
			t.Errorf("line %q holds the run id %d times, want %d", lines[i], got, want)
		}
	}
}

// A source added by a reload is watched too: its delivery is ingested
// without waiting for the schedule.
func TestASourceAddedByAReloadIsWatched(t *testing.T) {
	ctx := t.Context()
	_, path := faultConfig(t, t.TempDir())
	body, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(body), "  watch_inbox: false", "  watch_inbox: true", 1)), 0o644)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	writeDemo(t, cfg.Paths.Inbox, 0.05)
	a, err := startWith(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), startOptions{supervise: true, observe: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	_, stop := serveApp(t, a, path)
	waitFor(t, time.Minute, "the start-up ingest", func() bool {
		runs := runsOf(t, a.wh, "ingest")
		return len(runs) == 1 && runs[0].Status == "ok"
	})
	// A new team, in a folder no source read before.
	// The sources come last in the file: the new one is appended.
	added := strings.Replace(string(body), "  watch_inbox: false", "  watch_inbox: true", 1) +
		"  - name: nightline\n    path: \"nightline/*.jsonl\"\n    format: jsonl\n    dataset: contacts\n    fields: *team-log\n"
	if err := os.WriteFile(path, []byte(added), 0o644); err != nil {
		t.Fatal(err)
	}
	a.reload(path)
	if srcs := a.jobs.Load().Sources; srcs[len(srcs)-1].Name != "nightline" {
		t.Fatal("the reload did not take the new source")
	}
	combo, err := filepath.Glob(filepath.Join(cfg.Paths.Inbox, "mobile-teams", "combo-*.jsonl"))
	if err != nil || len(combo) == 0 {
		t.Fatalf("no combo delivery to copy: %v", err)
	}
	held, err := os.ReadFile(combo[0])
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(cfg.Paths.Inbox, "nightline"), 0o755)
	if err := os.WriteFile(filepath.Join(cfg.Paths.Inbox, "nightline", "2026-06.jsonl"), held, 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the new source's delivery is loaded", func() bool {
		loads, err := a.wh.Loads(ctx, warehouse.LoadFilter{Source: "nightline"})
		return err == nil && len(loads) == 1 && loads[0].Status == warehouse.StatusLoaded
	})
	stop()
}
