package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// The banners of pages served from the last snapshot read, dated by the
// fixture's computation (06:30 in Brussels).
const (
	staleFR = "Données du 3 mars 2025 à 06:30\u00a0: l'entrepôt de données est momentanément injoignable, les chiffres seront mis à jour dès son retour."
	staleNL = "Gegevens van 3 maart 2025 om 06:30: het datawarehouse is tijdelijk onbereikbaar, de cijfers worden bijgewerkt zodra het weer bereikbaar is."
)

// get sends one GET request to the server.
func get(t *testing.T, srv http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
	return rec
}

// TestStoreDown walks a server through outages of its store: before any
// snapshot was read, pages answer 503; after one was read, they are served
// from it with a banner; the activity page answers 503 while its records
// cannot be read. No page answers 500.
func TestStoreDown(t *testing.T) {
	snap := testSnapshot(t)
	type step struct {
		name string
		// snapshotDown and recordsDown fail the store's reads before the
		// request.
		snapshotDown, recordsDown bool
		path                      string
		status                    int
		cache                     string
		want, omit                []string
		// saveAs keeps the body; sameAs compares it with a kept one.
		saveAs, sameAs string
	}
	down := func(name, path string, status int, cache string, want ...string) step {
		return step{name: name, snapshotDown: true, recordsDown: true, path: path, status: status, cache: cache, want: want}
	}
	unavailable := []string{"Données temporairement indisponibles", "l'entrepôt de données ne répond pas"}
	full := []step{
		down("overview before any snapshot", "/", 503, "no-store", unavailable...),
		down("overview nl before any snapshot", "/?lang=nl", 503, "no-store", "Gegevens tijdelijk niet beschikbaar"),
		down("bassin before any snapshot", "/bassins/nord", 503, "no-store", unavailable...),
		down("download before any snapshot", downloadPath, 503, "no-store", unavailable...),
		down("activity while down", "/activite", 503, "no-store", unavailable...),
		{name: "overview, store back", path: "/", status: 200, cache: "no-cache", want: []string{"Vue régionale"}, omit: []string{"injoignable"}},
		{name: "download, store back", path: downloadPath, status: 200, cache: "no-cache", saveAs: "csv"},
		{name: "bassin download, store back", path: downloadPath + "?bassin=nord", status: 200, cache: "no-cache", saveAs: "csv nord"},
		down("overview from the last snapshot", "/", 200, "no-store", staleFR, "Vue régionale", "Calcul du 3 mars 2025 à 06:30"),
		down("overview nl from the last snapshot", "/?lang=nl", 200, "no-store", staleNL, "Gewestelijk overzicht"),
		down("bassin from the last snapshot", "/bassins/nord", 200, "no-store", staleFR, "<h1>Bassin Nord</h1>", ">1\u202f234"),
		down("bassin nl from the last snapshot", "/bassins/nord?lang=nl", 200, "no-store", staleNL, ">1.234"),
		down("unknown bassin from the last snapshot", "/bassins/inconnu", 404, "no-store", "Page introuvable"),
		{name: "download from the last snapshot", snapshotDown: true, recordsDown: true, path: downloadPath, status: 200, cache: "no-store", sameAs: "csv"},
		{name: "bassin download from the last snapshot", snapshotDown: true, recordsDown: true, path: downloadPath + "?bassin=nord", status: 200, cache: "no-store", sameAs: "csv nord"},
		down("activity while down, after a snapshot", "/activite", 503, "no-store", unavailable...),
		{name: "activity, snapshot unreadable", snapshotDown: true, path: "/activite?lang=nl", status: 200, cache: "no-store",
			want: []string{staleNL, "compute_indicators"}},
		{name: "overview, store back again", path: "/", status: 200, cache: "no-cache", want: []string{"Vue régionale"}, omit: []string{"injoignable"}},
	}
	// A warehouse where nothing was computed yet: the empty snapshot read
	// has nothing to show once the store is down.
	empty := []step{
		{name: "pending page", path: "/", status: 200, cache: "no-cache", want: []string{"Données pas encore calculées"}},
		down("down after an empty snapshot", "/", 503, "no-store", unavailable...),
		down("bassin down after an empty snapshot", "/bassins/sud", 503, "no-store", unavailable...),
	}
	stores := []struct {
		name  string
		snap  *indicators.Snapshot
		steps []step
	}{
		{"computed", snap, full},
		{"nothing computed", indicators.NewSnapshot("", time.Time{}, snap.Geography, nil, 5, nil), empty},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			store := &flakyStore{Store: testStore(t, st.snap, testRuns(), testLoads())}
			srv, err := New(Options{Location: brussels(), Store: store})
			if err != nil {
				t.Fatal(err)
			}
			kept := map[string]string{}
			for _, s := range st.steps {
				store.snapshotDown.Store(s.snapshotDown)
				store.recordsDown.Store(s.recordsDown)
				rec := get(t, srv, s.path)
				body := text(rec.Body.String())
				if rec.Code != s.status {
					t.Errorf("%s: status %d, want %d", s.name, rec.Code, s.status)
				}
				if got := rec.Header().Get("Cache-Control"); got != s.cache {
					t.Errorf("%s: Cache-Control %q, want %q", s.name, got, s.cache)
				}
				if got := rec.Header().Get("Retry-After"); (s.status == 503) != (got == "30") {
					t.Errorf("%s: Retry-After %q with status %d", s.name, got, rec.Code)
				}
				for _, w := range s.want {
					if !strings.Contains(body, w) {
						t.Errorf("%s: body lacks %q", s.name, w)
					}
				}
				for _, o := range append(s.omit, "10.20.30.40") {
					if strings.Contains(body, o) {
						t.Errorf("%s: body shows %q", s.name, o)
					}
				}
				if strings.Contains(body, staleFR) || strings.Contains(body, staleNL) {
					// The banner comes first in the page's content.
					if i, j := strings.Index(body, `<p class="stale" role="status">`), strings.Index(body, "<h1>"); i < 0 || j < i {
						t.Errorf("%s: the banner is not above the title", s.name)
					}
				}
				if s.saveAs != "" {
					if !strings.Contains(body, "contacts") {
						t.Fatalf("%s: the CSV holds no contacts: %.200q", s.name, body)
					}
					kept[s.saveAs] = body
				}
				if s.sameAs != "" && body != kept[s.sameAs] {
					t.Errorf("%s: the CSV differs from the one served before the outage", s.name)
				}
			}
		})
	}
}

// TestStoreTimeout checks a store that does not answer is given up after
// StoreTimeout: the page is served from the last snapshot read.
func TestStoreTimeout(t *testing.T) {
	store := &flakyStore{Store: testStore(t, testSnapshot(t), nil, nil)}
	srv, err := New(Options{Location: brussels(), Store: store, StoreTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rec := get(t, srv, "/"); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	store.snapshotHangs.Store(true)
	start := time.Now()
	rec := get(t, srv, "/")
	if rec.Code != 200 || !strings.Contains(text(rec.Body.String()), staleFR) {
		t.Errorf("status %d, want 200 with the banner", rec.Code)
	}
	// Far above the timeout, far below a request that waits forever.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the page took %v", d)
	}
}

// TestRenderFailure keeps 500 for pages that do not render: a snapshot
// without geography cannot be drawn.
func TestRenderFailure(t *testing.T) {
	snap := testSnapshot(t)
	wh, _ := warehousetest.Open(t)
	if err := wh.SaveIndicatorValues(t.Context(), snap.RunID, snap.ComputedAt, 1, snap.Values); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Location: brussels(), Store: warehouse.NewReader(wh, nil, 5, nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{"/", "Erreur interne"},
		{"/?lang=nl", "Interne fout"},
	} {
		rec := get(t, srv, tt.path)
		if rec.Code != 500 {
			t.Errorf("%s: status %d, want 500", tt.path, rec.Code)
		}
		if body := text(rec.Body.String()); !strings.Contains(body, tt.want) || strings.Contains(body, "geography") {
			t.Errorf("%s: body lacks %q or quotes the error", tt.path, tt.want)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q", tt.path, cc)
		}
	}
}

// TestStoreDownIsLoggedOnce checks an outage is logged as an error when it
// starts and as information when it ends, not at every request.
func TestStoreDownIsLoggedOnce(t *testing.T) {
	store := &flakyStore{Store: testStore(t, testSnapshot(t), nil, nil)}
	var logs bytes.Buffer
	srv, err := New(Options{Location: brussels(), Store: store, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	// Two outages of three requests each, with the store answering between
	// and after them.
	for _, down := range []bool{false, true, true, true, false, false, true, true, true, false} {
		store.setDown(down)
		if rec := get(t, srv, "/"); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 2 {
		t.Errorf("%d errors logged for two outages, want 2:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "the store answers again"); n != 2 {
		t.Errorf("%d recoveries logged for two outages, want 2:\n%s", n, logs.String())
	}
}

func TestReadyz(t *testing.T) {
	now := computedAt.Add(3 * time.Hour)
	ready := func(rd Readiness, err error) func(context.Context) (Readiness, error) {
		return func(context.Context) (Readiness, error) { return rd, err }
	}
	upToDate := Readiness{ServerVersion: "18.16.1.1", MigrationsApplied: 2, MigrationsKnown: 2, LastComputedAt: computedAt}
	pending := upToDate
	pending.MigrationsApplied = 1
	pending.PendingMigrations = []string{"0002_rows_by_load"}
	neverComputed := upToDate
	neverComputed.LastComputedAt = time.Time{}
	tests := []struct {
		name   string
		ready  func(context.Context) (Readiness, error)
		maxAge time.Duration
		status int
		want   string
	}{
		{"ready", ready(upToDate, nil), 0, 200, `{"status":"ready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":2,"known":2,"pending":[]},
			"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":10800},"problems":[]}`},
		{"pending migration", ready(pending, nil), 0, 503, `{"status":"unready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":1,"known":2,"pending":["0002_rows_by_load"]},
			"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":10800},"problems":["migrations_pending"]}`},
		{"unreachable", ready(Readiness{}, errDown), 0, 503, `{"status":"unready","warehouse":{"reachable":false,"version":""},
			"migrations":{"applied":0,"known":0,"pending":[]},
			"last_computation":{"at":null,"age_seconds":null},"problems":["warehouse_unreachable"]}`},
		{"computation too old", ready(upToDate, nil), 2 * time.Hour, 503, `{"status":"unready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":2,"known":2,"pending":[]},
			"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":10800,"max_age_seconds":7200},"problems":["computation_too_old"]}`},
		{"computation recent enough", ready(upToDate, nil), 4 * time.Hour, 200, `{"status":"ready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":2,"known":2,"pending":[]},
			"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":10800,"max_age_seconds":14400},"problems":[]}`},
		{"never computed, age checked", ready(neverComputed, nil), 4 * time.Hour, 503, `{"status":"unready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":2,"known":2,"pending":[]},
			"last_computation":{"at":null,"age_seconds":null,"max_age_seconds":14400},"problems":["no_computation"]}`},
		{"never computed, age not checked", ready(neverComputed, nil), 0, 200, `{"status":"ready","warehouse":{"reachable":true,"version":"18.16.1.1"},
			"migrations":{"applied":2,"known":2,"pending":[]},
			"last_computation":{"at":null,"age_seconds":null},"problems":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The store is never read: Ready answers for the warehouse.
			store := &flakyStore{}
			store.setDown(true)
			srv, err := New(Options{Location: brussels(), Store: store, Ready: tt.ready, MaxComputationAge: tt.maxAge, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			checkReadyz(t, srv, tt.status, tt.want)
		})
	}
}

// TestReadyzWithoutReady checks /readyz reads the store's snapshot when no
// Ready function is given, and remembers the last computation shown when the
// store is down.
func TestReadyzWithoutReady(t *testing.T) {
	now := computedAt.Add(time.Hour)
	store := &flakyStore{Store: testStore(t, testSnapshot(t), nil, nil)}
	srv, err := New(Options{Location: brussels(), Store: store, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store.setDown(true)
	checkReadyz(t, srv, 503, `{"status":"unready","warehouse":{"reachable":false,"version":""},
		"migrations":{"applied":0,"known":0,"pending":[]},
		"last_computation":{"at":null,"age_seconds":null},"problems":["warehouse_unreachable"]}`)
	store.setDown(false)
	checkReadyz(t, srv, 200, `{"status":"ready","warehouse":{"reachable":true,"version":""},
		"migrations":{"applied":0,"known":0,"pending":[]},
		"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":3600},"problems":[]}`)
	if rec := get(t, srv, "/"); rec.Code != 200 {
		t.Fatalf("overview: status %d", rec.Code)
	}
	store.setDown(true)
	checkReadyz(t, srv, 503, `{"status":"unready","warehouse":{"reachable":false,"version":""},
		"migrations":{"applied":0,"known":0,"pending":[]},
		"last_computation":{"at":"2025-03-03T05:30:00Z","age_seconds":3600},"problems":["warehouse_unreachable"]}`)
}

// checkReadyz compares /readyz with the status and JSON expected.
func checkReadyz(t *testing.T, srv http.Handler, status int, want string) {
	t.Helper()
	rec := get(t, srv, "/readyz")
	if rec.Code != status {
		t.Errorf("status %d, want %d", rec.Code, status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var got, expected any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	if err := json.Unmarshal([]byte(want), &expected); err != nil {
		t.Fatalf("expected JSON: %v", err)
	}
	if !reflect.DeepEqual(got, expected) {
		t.Errorf("body\n%s\nwant\n%s", rec.Body, want)
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	start := computedAt
	now := start
	store := &flakyStore{}
	store.setDown(true)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("bassins_job_runs_total 3\n"))
	})
	withMetrics, err := New(Options{Location: brussels(), Store: store, Metrics: metrics, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	without, err := New(Options{Location: brussels(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	now = start.Add(90*time.Minute + 7*time.Second)
	tests := []struct {
		name   string
		srv    http.Handler
		path   string
		status int
		body   string
	}{
		// The process answers even though its store does not.
		{"healthz", withMetrics, "/healthz", 200, "ok\nuptime 1h30m7s\n"},
		{"metrics", withMetrics, "/metrics", 200, "bassins_job_runs_total 3\n"},
		{"no metrics handler", without, "/metrics", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, tt.srv, tt.path)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("body %q, want %q", rec.Body, tt.body)
			}
		})
	}
}

func TestSchedulingLine(t *testing.T) {
	since := computedAt.Add(-24 * time.Hour)
	tests := []struct {
		name       string
		scheduling func() SchedulingStatus
		lang       string
		want       string
	}{
		{"this process", func() SchedulingStatus { return SchedulingStatus{Scheduling: true} }, "fr",
			"Planification\u00a0: assurée par ce processus"},
		{"this process nl", func() SchedulingStatus { return SchedulingStatus{Scheduling: true} }, "nl",
			"Planning: verzorgd door dit proces"},
		{"another process", func() SchedulingStatus { return SchedulingStatus{Holder: "host-b 4321", Since: since} }, "fr",
			"Planification\u00a0: assurée par un autre processus (host-b 4321, depuis le 2 mars 2025 à 06:30)"},
		{"another process nl", func() SchedulingStatus { return SchedulingStatus{Holder: "host-b 4321", Since: since} }, "nl",
			"Planning: verzorgd door een ander proces (host-b 4321, sinds 2 maart 2025 om 06:30)"},
		{"another, unknown process", func() SchedulingStatus { return SchedulingStatus{} }, "fr",
			"Planification\u00a0: assurée par un autre processus<"},
		{"not told", nil, "fr", ""},
	}
	store := testStore(t, testSnapshot(t), testRuns(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := New(Options{Location: brussels(), Store: store, Scheduling: tt.scheduling})
			if err != nil {
				t.Fatal(err)
			}
			rec := get(t, srv, "/activite?lang="+tt.lang)
			if rec.Code != 200 {
				t.Fatalf("status %d", rec.Code)
			}
			body := text(rec.Body.String())
			if tt.want == "" {
				if strings.Contains(body, `class="scheduling"`) {
					t.Error("the page speaks of scheduling without being told")
				}
				return
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("page lacks %q", tt.want)
			}
		})
	}
}
