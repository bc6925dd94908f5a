package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/scheduler"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// memRecorder keeps every record in memory: the scheduler does not own the
// warehouse, it only calls RecordRun.
type memRecorder struct {
	mu   sync.Mutex
	recs []warehouse.JobRun
}

func (m *memRecorder) RecordRun(_ context.Context, r warehouse.JobRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs = append(m.recs, r)
	return nil
}

func (m *memRecorder) all() []warehouse.JobRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]warehouse.JobRun(nil), m.recs...)
}

// latest returns the latest record of each run of job, in the order the
// runs were first recorded.
func (m *memRecorder) latest(job string) []warehouse.JobRun {
	var order []string
	last := map[string]warehouse.JobRun{}
	for _, r := range m.all() {
		if r.Job != job {
			continue
		}
		if _, ok := last[r.RunID]; !ok {
			order = append(order, r.RunID)
		}
		last[r.RunID] = r
	}
	out := make([]warehouse.JobRun, len(order))
	for i, id := range order {
		out[i] = last[id]
	}
	return out
}

type finish struct {
	run   warehouse.JobRun
	final bool
}

// observer collects what the scheduler says and lets a test wait for it.
type observer struct {
	mu       sync.Mutex
	started  []warehouse.JobRun
	finished []finish
	ch       chan finish
}

func newObserver() *observer { return &observer{ch: make(chan finish, 1000)} }

func (o *observer) RunStarted(run warehouse.JobRun) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, run)
}

func (o *observer) RunFinished(run warehouse.JobRun, final bool) {
	o.mu.Lock()
	o.finished = append(o.finished, finish{run, final})
	o.mu.Unlock()
	o.ch <- finish{run, final}
}

// waitFinished waits for the next n ends of attempts of job, skipping those
// of other jobs.
func (o *observer) waitFinished(t *testing.T, job string, n int) []finish {
	t.Helper()
	var got []finish
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case f := <-o.ch:
			if f.run.Job == job {
				got = append(got, f)
			}
		case <-timeout:
			t.Fatalf("waited for %d ends of %s, got %d", n, job, len(got))
		}
	}
	return got
}

func (o *observer) finishedOf(job string) []finish {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []finish
	for _, f := range o.finished {
		if f.run.Job == job {
			out = append(out, f)
		}
	}
	return out
}

func newScheduler(t *testing.T, opts scheduler.Options) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop(time.Second) })
	return s
}

func noop(context.Context, time.Time, string) (scheduler.Outcome, error) {
	return scheduler.Outcome{}, nil
}

func brussels(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatalf("no zone database: %v", err)
	}
	return loc
}

// recv waits for a value on ch, bounded.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
