package alerts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/alerts"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// receiver is a webhook endpoint on a local HTTP server. It answers the
// statuses queued, in order (0 drops the connection), then 200.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	queue    []int
	requests int
	accepted []alerts.Alert
	raw      [][]byte
}

const token = "T0K3N-s3cr3t"

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("reading a message: %v", err)
		return
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || req.URL.Path != "/hooks/"+token {
		r.t.Errorf("request %s %s, Content-Type %q", req.Method, req.URL.Path, req.Header.Get("Content-Type"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	status := http.StatusOK
	if len(r.queue) > 0 {
		status, r.queue = r.queue[0], r.queue[1:]
	}
	if status == 0 {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			r.t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
		return
	}
	if status/100 == 2 {
		var a alerts.Alert
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			r.t.Errorf("decoding a message: %v", err)
		}
		r.accepted = append(r.accepted, a)
		r.raw = append(r.raw, body)
	}
	w.WriteHeader(status)
}

func (r *receiver) answer(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queue = statuses
}

func (r *receiver) messages() []alerts.Alert {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alerts.Alert(nil), r.accepted...)
}

func (r *receiver) counts() (requests, accepted int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, len(r.accepted)
}

func (r *receiver) webhook(attempts int) *alerts.Webhook {
	return &alerts.Webhook{URL: r.srv.URL + "/hooks/" + token, Client: r.srv.Client(), Attempts: attempts, Backoff: time.Millisecond}
}

var brussels = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		panic(err)
	}
	return loc
}()

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func newAlerter(t *testing.T, s alerts.Sender, statePath string, c *clock) *alerts.Alerter {
	t.Helper()
	a, err := alerts.New(alerts.Options{Sender: s, StatePath: statePath, Now: c.Now, Location: brussels})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWebhookRetries(t *testing.T) {
	tests := []struct {
		name         string
		answers      []int
		wantErr      bool
		wantRequests int
	}{
		{"accepted at once", nil, false, 1},
		{"503 then accepted", []int{503}, false, 2},
		{"429 and 502 then accepted", []int{429, 502}, false, 3},
		{"connection dropped then accepted", []int{0}, false, 2},
		{"400 fails at once", []int{400}, true, 1},
		{"404 after a 500", []int{500, 404}, true, 2},
		{"503 at every attempt", []int{503, 503, 503, 503}, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			r.answer(tt.answers...)
			err := r.webhook(3).Send(t.Context(), alerts.Alert{ID: "job_failed:ingest", State: alerts.StateFiring})
			if (err != nil) != tt.wantErr {
				t.Fatalf("Send: %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error shows the URL's token: %v", err)
			}
			wantAccepted := 1
			if tt.wantErr {
				wantAccepted = 0
			}
			if req, acc := r.counts(); req != tt.wantRequests || acc != wantAccepted {
				t.Errorf("%d requests, %d accepted; want %d, %d", req, acc, tt.wantRequests, wantAccepted)
			}
		})
	}
}

func TestWebhookBackoff(t *testing.T) {
	r := newReceiver(t)
	r.answer(503, 503, 503)
	w := r.webhook(3)
	w.Backoff = 20 * time.Millisecond
	start := time.Now()
	if err := w.Send(t.Context(), alerts.Alert{ID: "x"}); err == nil {
		t.Fatal("Send after three 503: no error")
	}
	if d := time.Since(start); d < 60*time.Millisecond { // 20 ms, then 40 ms
		t.Errorf("three attempts in %v, want the waits to double from 20 ms", d)
	}

	// A context ending during a wait stops the retries.
	r.answer(503)
	w.Backoff = time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := w.Send(ctx, alerts.Alert{ID: "x"}); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a context ending: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Send took %v with a 50 ms context", d)
	}
}

func TestWebhookDownServer(t *testing.T) {
	r := newReceiver(t)
	w := r.webhook(2)
	r.srv.Close()
	err := w.Send(t.Context(), alerts.Alert{ID: "x"})
	if err == nil {
		t.Fatal("Send to a closed server: no error")
	}
	if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), "/hooks/") {
		t.Errorf("the error shows the URL: %v", err)
	}
	if !strings.Contains(err.Error(), "after 2 attempt(s)") {
		t.Errorf("error %v, want 2 attempts", err)
	}
}

func TestJobIncident(t *testing.T) {
	r := newReceiver(t)
	c := &clock{t: utc("2024-03-12T14:30:00Z")}
	state := filepath.Join(t.TempDir(), "alerts", "state.json")
	a := newAlerter(t, r.webhook(3), state, c)
	failed := func(id string, attempt int, status, start, end string) warehouse.JobRun {
		return warehouse.JobRun{RunID: id, Job: "ingest", Status: status, Attempt: attempt, StartedAt: utc(start), FinishedAt: utc(end),
			Message: "line 3: value SECRET-42 is not a date"}
	}
	steps := []struct {
		name         string
		run          warehouse.JobRun
		final        bool
		wantMessages int
	}{
		{"first attempt fails, a retry follows", failed("r1", 1, warehouse.RunFailed, "2024-03-12T14:00:00Z", "2024-03-12T14:01:00Z"), false, 0},
		{"the retry fails for good", failed("r2", 2, warehouse.RunFailed, "2024-03-12T14:05:00Z", "2024-03-12T14:07:00Z"), true, 1},
		{"the next run is cancelled", failed("r3", 1, warehouse.RunCancelled, "2024-03-12T14:15:00Z", "2024-03-12T14:16:00Z"), true, 1},
		{"another job fails, a retry follows", warehouse.JobRun{RunID: "c1", Job: "compute", Status: warehouse.RunFailed, Attempt: 1}, false, 1},
		{"another job ends ok", warehouse.JobRun{RunID: "c2", Job: "compute", Status: warehouse.RunOK}, true, 1},
		{"ingest ends ok", warehouse.JobRun{RunID: "r4", Job: "ingest", Status: warehouse.RunOK, Attempt: 1,
			StartedAt: utc("2024-03-12T14:30:00Z"), FinishedAt: utc("2024-03-12T14:31:00Z")}, true, 2},
		{"ingest ends ok again", warehouse.JobRun{RunID: "r5", Job: "ingest", Status: warehouse.RunOK, Attempt: 1,
			StartedAt: utc("2024-03-12T14:45:00Z"), FinishedAt: utc("2024-03-12T14:46:00Z")}, true, 2},
	}
	for _, s := range steps {
		if err := a.JobFinished(t.Context(), s.run, s.final); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if _, got := r.counts(); got != s.wantMessages {
			t.Fatalf("%s: %d messages, want %d", s.name, got, s.wantMessages)
		}
	}
	msgs := r.messages()
	want := []alerts.Alert{{
		ID: "job_failed:ingest", Kind: "job_failed", State: "firing", Subject: "ingest",
		Since: utc("2024-03-12T14:07:00Z"), At: utc("2024-03-12T14:30:00Z"),
		Summary: alerts.Text{FR: "La tâche «\u00a0ingest\u00a0» a échoué", NL: "De taak „ingest” is mislukt"},
		Detail: alerts.Text{
			FR: "La tâche «\u00a0ingest\u00a0» a échoué lors de sa 2e tentative, sans nouvelle tentative prévue. " +
				"Début\u00a0: 12 mars 2024 à 15:05\u00a0; fin\u00a0: 12 mars 2024 à 15:07. " +
				"Le détail de l'erreur figure dans l'historique des exécutions et dans le journal du service.",
			NL: "De taak „ingest” is mislukt bij de 2e poging; er volgt geen nieuwe poging. " +
				"Begin: 12 maart 2024 om 15:05; einde: 12 maart 2024 om 15:07. " +
				"De details van de fout staan in de uitvoeringsgeschiedenis en in het logboek van de dienst.",
		},
		Labels: map[string]string{"job": "ingest", "status": "failed", "run_id": "r2", "attempt": "2"},
	}, {
		ID: "job_failed:ingest", Kind: "job_failed", State: "resolved", Subject: "ingest",
		Since: utc("2024-03-12T14:07:00Z"), At: utc("2024-03-12T14:31:00Z"),
		Summary: alerts.Text{FR: "La tâche «\u00a0ingest\u00a0» fonctionne à nouveau", NL: "De taak „ingest” werkt weer"},
		Detail: alerts.Text{
			FR: "La tâche «\u00a0ingest\u00a0» s'est terminée avec succès le 12 mars 2024 à 15:31. L'incident était ouvert depuis le 12 mars 2024 à 15:07.",
			NL: "De taak „ingest” is op 12 maart 2024 om 15:31 met succes beëindigd. Het incident was open sinds 12 maart 2024 om 15:07.",
		},
		Labels: map[string]string{"job": "ingest", "status": "ok", "run_id": "r4"},
	}}
	for i := range want {
		if !reflect.DeepEqual(msgs[i], want[i]) {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, msgs[i], want[i])
		}
	}

	// The JSON shape: snake_case keys, fr and nl texts, no delivered value.
	for _, raw := range r.raw {
		if bytes.Contains(raw, []byte("SECRET-42")) {
			t.Errorf("a message quotes the run's message: %s", raw)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if got := keys(m); strings.Join(got, ",") != "at,detail,id,kind,labels,since,state,subject,summary" {
			t.Errorf("keys %v", got)
		}
		var text map[string]string
		if err := json.Unmarshal(m["summary"], &text); err != nil || len(text) != 2 || text["fr"] == "" || text["nl"] == "" {
			t.Errorf("summary %s, want fr and nl", m["summary"])
		}
	}
	if got := a.Incidents(); len(got) != 0 {
		t.Errorf("open incidents after the recovery: %v", got)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestJobStatuses(t *testing.T) {
	start, end := utc("2024-03-01T05:00:00Z"), utc("2024-03-01T05:20:00Z")
	tests := []struct {
		name        string
		run         warehouse.JobRun
		final       bool
		wantSummary string // French; empty: no message
		wantDetail  []string
	}{
		{"failed, final", warehouse.JobRun{Status: warehouse.RunFailed, Attempt: 1, StartedAt: start, FinishedAt: end}, true,
			"La tâche «\u00a0report\u00a0» a échoué", []string{"lors de sa 1re tentative, sans", "bij de 1e poging; er"}},
		{"cancelled, final", warehouse.JobRun{Status: warehouse.RunCancelled, Attempt: 3, StartedAt: start, FinishedAt: end}, true,
			"La tâche «\u00a0report\u00a0» a été annulée", []string{"lors de sa 3e tentative (délai dépassé ou arrêt du service), sans", "werd geannuleerd bij de 3e poging (tijdslimiet"}},
		{"interrupted, found at start", warehouse.JobRun{Status: warehouse.RunInterrupted, Attempt: 1, StartedAt: start, HeartbeatAt: end}, true,
			"La tâche «\u00a0report\u00a0» a été interrompue", []string{"Début\u00a0: 1er mars 2024 à 06:00\u00a0; dernier signe de vie\u00a0: 1er mars 2024 à 06:20.", "Begin: 1 maart 2024 om 06:00; laatste teken van leven: 1 maart 2024 om 06:20."}},
		{"cancelled, a retry follows", warehouse.JobRun{Status: warehouse.RunCancelled, Attempt: 1, StartedAt: start, FinishedAt: end}, false, "", nil},
		{"still running", warehouse.JobRun{Status: warehouse.RunRunning, Attempt: 1, StartedAt: start}, true, "", nil},
		{"ok, nothing open", warehouse.JobRun{Status: warehouse.RunOK, Attempt: 1, StartedAt: start, FinishedAt: end}, true, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t)
			a := newAlerter(t, r.webhook(1), "", &clock{t: end})
			tt.run.Job, tt.run.RunID = "report", "x"
			if err := a.JobFinished(t.Context(), tt.run, tt.final); err != nil {
				t.Fatal(err)
			}
			msgs := r.messages()
			if tt.wantSummary == "" {
				if len(msgs) != 0 {
					t.Errorf("messages %v, want none", msgs)
				}
				return
			}
			if len(msgs) != 1 || msgs[0].Summary.FR != tt.wantSummary {
				t.Fatalf("messages %+v, want one: %q", msgs, tt.wantSummary)
			}
			d := msgs[0].Detail.FR + "\n" + msgs[0].Detail.NL
			for _, w := range tt.wantDetail {
				if !strings.Contains(d, w) {
					t.Errorf("detail %q\nlacks %q", d, w)
				}
			}
		})
	}
}

func TestStateSurvivesRestart(t *testing.T) {
	r := newReceiver(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "alerts.json")
	c := &clock{t: utc("2024-03-11T08:00:00Z")}
	due := time.Date(2024, 3, 10, 0, 0, 0, 0, brussels)

	first := newAlerter(t, r.webhook(2), state, c)
	if err := first.DeliveryOverdue(t.Context(), "combo", due, true); err != nil {
		t.Fatal(err)
	}
	c.Set(utc("2024-03-11T09:00:00Z"))
	second := newAlerter(t, r.webhook(2), state, c)
	if got := second.Incidents(); len(got) != 1 || got[0].Alert.ID != "delivery_overdue:combo" || !got[0].Sent {
		t.Fatalf("incidents after a restart: %+v", got)
	}
	if err := second.DeliveryOverdue(t.Context(), "combo", due, true); err != nil {
		t.Fatal(err)
	}
	if _, n := r.counts(); n != 1 {
		t.Fatalf("%d messages after a restart and the same overdue delivery, want 1", n)
	}
	c.Set(utc("2024-03-14T10:00:00Z"))
	if err := second.DeliveryOverdue(t.Context(), "combo", time.Date(2024, 4, 10, 0, 0, 0, 0, brussels), false); err != nil {
		t.Fatal(err)
	}
	msgs := r.messages()
	if len(msgs) != 2 || msgs[1].State != "resolved" || !msgs[1].Since.Equal(msgs[0].Since) || !msgs[1].At.Equal(c.Now()) {
		t.Fatalf("messages %+v, want a firing and a resolved with the same since", msgs)
	}
	wantSince := time.Date(2024, 3, 11, 0, 0, 0, 0, brussels)
	if !msgs[0].Since.Equal(wantSince) {
		t.Errorf("since %s, want the day after the due date %s", msgs[0].Since, wantSince)
	}
	if third := newAlerter(t, r.webhook(2), state, c); len(third.Incidents()) != 0 {
		t.Errorf("incidents after the recovery and a restart: %+v", third.Incidents())
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "alerts.json" {
		t.Errorf("files in the state folder: %v, want alerts.json only", entries)
	}

	if err := os.WriteFile(state, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := alerts.New(alerts.Options{Sender: r.webhook(1), StatePath: state}); err == nil || !strings.HasPrefix(err.Error(), "alerts: ") {
		t.Errorf("New with a broken state file: %v, want an alerts error", err)
	}
}

func TestDeliveryOverdueTexts(t *testing.T) {
	r := newReceiver(t)
	c := &clock{t: utc("2024-03-11T08:00:00Z")}
	a := newAlerter(t, r.webhook(1), "", c)
	if err := a.DeliveryOverdue(t.Context(), "combo", time.Date(2024, 3, 10, 0, 0, 0, 0, brussels), false); err != nil {
		t.Fatal(err)
	}
	if _, n := r.counts(); n != 0 {
		t.Fatalf("%d messages for a delivery on time", n)
	}
	if err := a.DeliveryOverdue(t.Context(), "combo", time.Date(2024, 3, 10, 0, 0, 0, 0, brussels), true); err != nil {
		t.Fatal(err)
	}
	if err := a.DeliveryOverdue(t.Context(), "combo", time.Date(2024, 4, 10, 0, 0, 0, 0, brussels), false); err != nil {
		t.Fatal(err)
	}
	msgs := r.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	want := []struct {
		summary, detail alerts.Text
		labels          map[string]string
	}{
		{
			alerts.Text{FR: "La livraison de la source «\u00a0combo\u00a0» est en retard", NL: "De levering van de bron „combo” is te laat"},
			alerts.Text{
				FR: "Les données de février 2024 de la source «\u00a0combo\u00a0» étaient attendues au plus tard le 10 mars 2024\u00a0; aucune livraison couvrant ce mois n'est encore arrivée.",
				NL: "De gegevens van februari 2024 van de bron „combo” werden uiterlijk op 10 maart 2024 verwacht; er is nog geen levering voor die maand binnengekomen.",
			},
			map[string]string{"source": "combo", "month": "2024-02", "due": "2024-03-10"},
		},
		{
			alerts.Text{FR: "Plus de livraison en retard pour la source «\u00a0combo\u00a0»", NL: "Geen achterstallige levering meer voor de bron „combo”"},
			alerts.Text{
				FR: "Prochaine livraison attendue\u00a0: les données de mars 2024, au plus tard le 10 avril 2024.",
				NL: "Volgende verwachte levering: de gegevens van maart 2024, uiterlijk op 10 april 2024.",
			},
			map[string]string{"source": "combo", "month": "2024-03", "due": "2024-04-10"},
		},
	}
	for i, w := range want {
		m := msgs[i]
		if m.Summary != w.summary || m.Detail != w.detail || !reflect.DeepEqual(m.Labels, w.labels) || m.Kind != "delivery_overdue" || m.Subject != "combo" {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, m, w)
		}
	}
}

func TestQuarantineShare(t *testing.T) {
	r := newReceiver(t)
	c := &clock{t: utc("2024-03-03T09:00:00Z")}
	a := newAlerter(t, r.webhook(1), "", c)
	load := func(id uint64, source, status string, read, quarantined uint64) warehouse.Load {
		return warehouse.Load{LoadID: id, Source: source, File: "tdi/tdi-2024-02.csv", Status: status, RowsRead: read,
			RowsQuarantined: quarantined, RowsLoaded: read - quarantined,
			DeliveredAt: utc("2024-03-03T08:12:00Z"), LoadedAt: utc("2024-03-03T08:15:00Z")}
	}
	steps := []struct {
		name         string
		load         warehouse.Load
		wantMessages int
	}{
		{"3 % quarantined", load(1, "tdi", warehouse.StatusLoaded, 1000, 30), 0},
		{"12 %, refused", load(2, "tdi", warehouse.StatusRejected, 1000, 120), 1},
		{"another source, none quarantined", load(3, "combo", warehouse.StatusLoaded, 500, 0), 1},
		{"20 %, still open", load(4, "tdi", warehouse.StatusLoaded, 1000, 200), 1},
		{"a retraction", load(2, "tdi", warehouse.StatusRetracted, 1000, 0), 1},
		{"refused for another reason", load(5, "tdi", warehouse.StatusRejected, 10, 0), 1},
		{"exactly at the threshold, loaded", load(6, "tdi", warehouse.StatusLoaded, 1000, 100), 2},
		{"back under, nothing open", load(7, "tdi", warehouse.StatusLoaded, 1000, 1), 2},
	}
	for _, s := range steps {
		if err := a.LoadRecorded(t.Context(), s.load, 0.1); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if _, n := r.counts(); n != s.wantMessages {
			t.Fatalf("%s: %d messages, want %d", s.name, n, s.wantMessages)
		}
	}
	msgs := r.messages()
	want := []alerts.Alert{{
		ID: "quarantine_share:tdi", Kind: "quarantine_share", State: "firing", Subject: "tdi",
		Since: utc("2024-03-03T08:15:00Z"), At: c.Now(),
		Summary: alerts.Text{FR: "Trop de lignes en quarantaine dans une livraison de la source «\u00a0tdi\u00a0»",
			NL: "Te veel rijen in quarantaine in een levering van de bron „tdi”"},
		Detail: alerts.Text{
			FR: "Livraison «\u00a0tdi/tdi-2024-02.csv\u00a0», déposée le 3 mars 2024 à 09:12\u00a0: 120 lignes sur 1\u202f000 mises en quarantaine (12,0\u202f%), " +
				"au-delà du seuil de 10,0\u202f% fixé pour cette source. La livraison a été refusée en entier. " +
				"Les lignes en quarantaine et leurs motifs sont consultables par les opérateurs.",
			NL: "Levering „tdi/tdi-2024-02.csv”, aangeleverd op 3 maart 2024 om 09:12: 120 van de 1.000 rijen in quarantaine (12,0%), " +
				"boven de drempel van 10,0% voor deze bron. De volledige levering werd geweigerd. " +
				"De rijen in quarantaine en de redenen zijn in te zien door de operatoren.",
		},
		Labels: map[string]string{"source": "tdi", "file": "tdi/tdi-2024-02.csv", "load_id": "2", "status": "rejected"},
	}, {
		ID: "quarantine_share:tdi", Kind: "quarantine_share", State: "resolved", Subject: "tdi",
		Since: utc("2024-03-03T08:15:00Z"), At: c.Now(),
		Summary: alerts.Text{FR: "Part de lignes en quarantaine revenue sous le seuil pour la source «\u00a0tdi\u00a0»",
			NL: "Aandeel rijen in quarantaine weer onder de drempel voor de bron „tdi”"},
		Detail: alerts.Text{
			FR: "Livraison «\u00a0tdi/tdi-2024-02.csv\u00a0», déposée le 3 mars 2024 à 09:12\u00a0: 100 lignes sur 1\u202f000 mises en quarantaine (10,0\u202f%), sous le seuil de 10,0\u202f%.",
			NL: "Levering „tdi/tdi-2024-02.csv”, aangeleverd op 3 maart 2024 om 09:12: 100 van de 1.000 rijen in quarantaine (10,0%), onder de drempel van 10,0%.",
		},
		Labels: map[string]string{"source": "tdi", "file": "tdi/tdi-2024-02.csv", "load_id": "6", "status": "loaded"},
	}}
	for i := range want {
		if !reflect.DeepEqual(msgs[i], want[i]) {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, msgs[i], want[i])
		}
	}
}

func TestFailedSend(t *testing.T) {
	r := newReceiver(t)
	state := filepath.Join(t.TempDir(), "alerts.json")
	c := &clock{t: utc("2024-03-03T09:00:00Z")}
	over := func(id uint64, at string) warehouse.Load {
		return warehouse.Load{LoadID: id, Source: "tdi", File: "tdi/x.csv", Status: warehouse.StatusRejected, RowsRead: 10, RowsQuarantined: 5, LoadedAt: utc(at)}
	}
	under := warehouse.Load{LoadID: 9, Source: "tdi", File: "tdi/y.csv", Status: warehouse.StatusLoaded, RowsRead: 10, LoadedAt: utc("2024-03-05T09:00:00Z")}

	t.Run("the firing message is sent at the next occasion", func(t *testing.T) {
		a := newAlerter(t, r.webhook(2), state, c)
		r.answer(503, 503)
		err := a.LoadRecorded(t.Context(), over(1, "2024-03-03T08:00:00Z"), 0.1)
		if err == nil || !strings.Contains(err.Error(), "quarantine_share:tdi") {
			t.Fatalf("LoadRecorded with the receiver down: %v, want an error naming the incident", err)
		}
		// A restart keeps the incident, unsent.
		a = newAlerter(t, r.webhook(2), state, c)
		if got := a.Incidents(); len(got) != 1 || got[0].Sent {
			t.Fatalf("incidents %+v, want one unsent", got)
		}
		if err := a.LoadRecorded(t.Context(), over(2, "2024-03-04T08:00:00Z"), 0.1); err != nil {
			t.Fatal(err)
		}
		if err := a.LoadRecorded(t.Context(), over(3, "2024-03-04T09:00:00Z"), 0.1); err != nil {
			t.Fatal(err)
		}
		msgs := r.messages()
		if len(msgs) != 1 || msgs[0].Labels["load_id"] != "2" || !msgs[0].Since.Equal(utc("2024-03-03T08:00:00Z")) {
			t.Fatalf("messages %+v, want one, of load 2, since the first occasion", msgs)
		}
		if got := a.Incidents(); len(got) != 1 || !got[0].Sent {
			t.Fatalf("incidents %+v, want one sent", got)
		}
	})

	t.Run("the recovery is sent at the next occasion", func(t *testing.T) {
		a := newAlerter(t, r.webhook(2), state, c)
		r.answer(500, 500)
		if err := a.LoadRecorded(t.Context(), under, 0.1); err == nil {
			t.Fatal("recovery with the receiver down: no error")
		}
		if got := a.Incidents(); len(got) != 1 {
			t.Fatalf("incidents %+v, want the one still open", got)
		}
		if err := a.LoadRecorded(t.Context(), under, 0.1); err != nil {
			t.Fatal(err)
		}
		msgs := r.messages()
		if len(msgs) != 2 || msgs[1].State != "resolved" {
			t.Fatalf("messages %+v, want a firing and a resolved", msgs)
		}
	})

	t.Run("an incident never sent closes without a message", func(t *testing.T) {
		a := newAlerter(t, r.webhook(1), state, c)
		r.answer(503)
		if err := a.LoadRecorded(t.Context(), over(4, "2024-03-06T08:00:00Z"), 0.1); err == nil {
			t.Fatal("no error with the receiver down")
		}
		if err := a.LoadRecorded(t.Context(), under, 0.1); err != nil {
			t.Fatal(err)
		}
		if _, n := r.counts(); n != 2 {
			t.Errorf("%d messages, want the 2 of before", n)
		}
		if got := newAlerter(t, r.webhook(1), state, c).Incidents(); len(got) != 0 {
			t.Errorf("incidents %+v, want none", got)
		}
	})
}
