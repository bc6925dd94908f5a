// Package alerts opens incidents when the pipeline goes wrong (a job fails
// for good, a delivery is overdue, a delivery holds too many quarantined
// rows) and closes them when it recovers, sending one message when an
// incident opens and one when it closes.
//
// Open incidents are kept in a JSON state file, so a restart neither repeats
// a message nor forgets an incident. Messages hold counts, names of jobs,
// sources and files, and dates: never a delivered value.
//
// # Webhook messages
//
// A Webhook POSTs every alert as one JSON object (Content-Type
// application/json):
//
//	{
//	  "id": "job_failed:ingest",        // the incident key
//	  "kind": "job_failed",             // job_failed, delivery_overdue or quarantine_share
//	  "state": "firing",                // firing when it opens, resolved when it closes
//	  "subject": "ingest",              // the job or the source
//	  "since": "2024-03-12T14:07:00Z",  // when the incident began (RFC 3339)
//	  "at": "2024-03-12T14:07:02Z",     // when this message was made
//	  "summary": {"fr": "…", "nl": "…"}, // one line, French and Dutch
//	  "detail": {"fr": "…", "nl": "…"},  // a few sentences, French and Dutch
//	  "labels": {"job": "ingest", "status": "failed", "attempt": "3", "run_id": "…"}
//	}
//
// A resolved message carries the same id, kind, subject and since as the
// firing one.
package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
	_ "time/tzdata" // texts show Brussels time, also on hosts without a zone database
)

// Kinds of incident.
const (
	KindJobFailed       = "job_failed"
	KindDeliveryOverdue = "delivery_overdue"
	KindQuarantineShare = "quarantine_share"
)

// States of an alert.
const (
	StateFiring   = "firing"
	StateResolved = "resolved"
)

// Alert is one message: an incident opening (firing) or closing (resolved).
type Alert struct {
	// ID is the incident key, e.g. "job_failed:ingest".
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	State   string `json:"state"`
	Subject string `json:"subject"`
	// Since is when the incident began; At when the message was made.
	Since   time.Time         `json:"since"`
	At      time.Time         `json:"at"`
	Summary Text              `json:"summary"`
	Detail  Text              `json:"detail"`
	Labels  map[string]string `json:"labels,omitempty"`
}

// Text is a text in French and in Dutch.
type Text struct {
	FR string `json:"fr"`
	NL string `json:"nl"`
}

// Sender delivers an alert: a webhook, later an e-mail.
type Sender interface {
	Send(ctx context.Context, a Alert) error
}

// Incident is an open incident: the alert that opened it, and whether its
// message went out.
type Incident struct {
	Alert Alert `json:"alert"`
	Sent  bool  `json:"sent"`
}

// Options wires an Alerter.
type Options struct {
	Sender Sender
	// StatePath is the JSON file keeping the open incidents across
	// restarts, written atomically; empty keeps them in memory only.
	StatePath string
	// Now gives the time of a message; default time.Now.
	Now func() time.Time
	// Location is the zone dates are written in within texts; default
	// Europe/Brussels.
	Location *time.Location
	Logger   *slog.Logger
}

// Alerter opens and closes incidents, one message each way. Its methods are
// safe for concurrent use; sends happen one at a time.
type Alerter struct {
	opts Options
	log  *slog.Logger
	loc  *time.Location

	mu   sync.Mutex
	open map[string]Incident
}

// stateFile is the content of Options.StatePath.
type stateFile struct {
	Incidents map[string]Incident `json:"incidents"`
}

// New returns an Alerter with the incidents left open in its state file.
func New(opts Options) (*Alerter, error) {
	if opts.Sender == nil {
		return nil, errors.New("alerts: no sender")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &Alerter{opts: opts, log: opts.Logger, loc: opts.Location, open: map[string]Incident{}}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.loc == nil {
		loc, err := time.LoadLocation("Europe/Brussels")
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		a.loc = loc
	}
	if opts.StatePath != "" {
		data, err := os.ReadFile(opts.StatePath)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("alerts: reading the state: %w", err)
		default:
			var st stateFile
			if err := json.Unmarshal(data, &st); err != nil {
				return nil, fmt.Errorf("alerts: reading the state %s: %w", opts.StatePath, err)
			}
			for k, inc := range st.Incidents {
				a.open[k] = inc
			}
		}
	}
	return a, nil
}

// Incidents returns the open incidents, by key.
func (a *Alerter) Incidents() []Incident {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Incident, 0, len(a.open))
	for _, inc := range a.open {
		out = append(out, inc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Alert.ID < out[j].Alert.ID })
	return out
}

// Fire opens the incident key and sends its alert, unless it is open and
// its message went out already: one message per incident. The alert's ID
// and State are set; At defaults to now and Since to At. When the send
// fails the incident stays open but unsent, and the next Fire of the key
// sends it again (keeping the first Since).
func (a *Alerter) Fire(ctx context.Context, key string, alert Alert) error {
	if key == "" {
		return errors.New("alerts: an incident needs a key")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	inc, open := a.open[key]
	if open && inc.Sent {
		return nil
	}
	alert.ID, alert.State = key, StateFiring
	if alert.At.IsZero() {
		alert.At = a.opts.Now()
	}
	switch {
	case open:
		alert.Since = inc.Alert.Since
	case alert.Since.IsZero():
		alert.Since = alert.At
	}
	inc = Incident{Alert: alert}
	sendErr := a.opts.Sender.Send(ctx, alert)
	inc.Sent = sendErr == nil
	a.open[key] = inc
	saveErr := a.save()
	if sendErr != nil {
		a.log.Warn("alert not sent", "incident", key, "err", sendErr)
		return errors.Join(fmt.Errorf("alerts: %s: %w", key, sendErr), saveErr)
	}
	a.log.Info("incident opened", "incident", key, "since", alert.Since)
	return saveErr
}

// Resolve closes the incident key and sends its recovery, when it is open:
// one recovery message. The recovery's ID, State and Since are set, and
// Kind and Subject default to the incident's; At defaults to now. An
// incident whose opening message never went out closes without a message.
// When the send fails the incident stays open, to be resolved again.
func (a *Alerter) Resolve(ctx context.Context, key string, recovery Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	inc, open := a.open[key]
	if !open {
		return nil
	}
	if !inc.Sent {
		delete(a.open, key)
		a.log.Info("incident closed before its message went out", "incident", key)
		return a.save()
	}
	recovery.ID, recovery.State, recovery.Since = key, StateResolved, inc.Alert.Since
	if recovery.Kind == "" {
		recovery.Kind = inc.Alert.Kind
	}
	if recovery.Subject == "" {
		recovery.Subject = inc.Alert.Subject
	}
	if recovery.At.IsZero() {
		recovery.At = a.opts.Now()
	}
	if err := a.opts.Sender.Send(ctx, recovery); err != nil {
		a.log.Warn("recovery not sent", "incident", key, "err", err)
		return fmt.Errorf("alerts: %s: %w", key, err)
	}
	delete(a.open, key)
	a.log.Info("incident closed", "incident", key, "since", inc.Alert.Since)
	return a.save()
}

// isOpen reports whether the incident key is open.
func (a *Alerter) isOpen(key string) (Incident, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	inc, ok := a.open[key]
	return inc, ok
}

// save writes the state file atomically: a temporary file in the same
// folder, synced, renamed over the old one.
func (a *Alerter) save() error {
	path := a.opts.StatePath
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(stateFile{Incidents: a.open}, "", "  ")
	if err != nil {
		return fmt.Errorf("alerts: writing the state: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("alerts: writing the state: %w", err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("alerts: writing the state: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("alerts: writing the state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		_ = d.Close()
	}
	return nil
}
