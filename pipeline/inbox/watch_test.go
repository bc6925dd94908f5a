package inbox

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// call is one call of ready, as the test saw it.
type call struct {
	at    time.Time
	files []string
	// sizes are the files' sizes when ready was called.
	sizes map[string]int64
}

// recorder is a ready function that records its calls.
type recorder struct {
	dir  string
	got  chan call
	hold chan struct{} // when set, the first call waits for it to close

	calls       atomic.Int32
	inflight    atomic.Int32
	maxInflight atomic.Int32
	stopped     atomic.Bool
	late        atomic.Int32 // calls after Watch returned
}

func newRecorder(dir string) *recorder {
	return &recorder{dir: dir, got: make(chan call, 100)}
}

func (r *recorder) ready(ctx context.Context, files []string) {
	if r.stopped.Load() {
		r.late.Add(1)
	}
	n := r.inflight.Add(1)
	defer r.inflight.Add(-1)
	for {
		m := r.maxInflight.Load()
		if n <= m || r.maxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	c := call{at: time.Now(), files: slices.Clone(files), sizes: map[string]int64{}}
	for _, f := range files {
		if info, err := os.Stat(filepath.Join(r.dir, filepath.FromSlash(f))); err == nil {
			c.sizes[f] = info.Size()
		}
	}
	first := r.calls.Add(1) == 1
	r.got <- c
	if first && r.hold != nil {
		select {
		case <-r.hold:
		case <-ctx.Done():
		}
	}
}

// next waits for the next call.
func (r *recorder) next(t *testing.T, within time.Duration) call {
	t.Helper()
	select {
	case c := <-r.got:
		return c
	case <-time.After(within):
		t.Fatalf("no file reported within %v", within)
		return call{}
	}
}

// none checks that nothing is reported for a while.
func (r *recorder) none(t *testing.T, during time.Duration) {
	t.Helper()
	select {
	case c := <-r.got:
		t.Fatalf("unexpected report of %v", c.files)
	case <-time.After(during):
	}
}

// start runs a watcher over a new inbox until the test ends. The inbox's
// folders are watched when it returns.
func start(t *testing.T, opts Options, r *recorder) *watcher {
	t.Helper()
	w, err := newWatcher(opts)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, w, r)
}

func run(t *testing.T, w *watcher, r *recorder) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.run(ctx, r.ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("the watcher did not stop")
		}
		r.stopped.Store(true)
		w.close()
		if n := r.late.Load(); n > 0 {
			t.Errorf("ready called %d times after the watcher stopped", n)
		}
	})
	return w
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

const line = `{"contact_date":"2025-01-02","team":"T1"}` + "\n"

func TestWatchReports(t *testing.T) {
	tests := []struct {
		name   string
		settle time.Duration
		match  []string // nil: every file
		// act changes the inbox and returns the time the report must
		// wait Settle after (zero: no lower bound).
		act  func(t *testing.T, dir string) time.Time
		want map[string]int64 // reported files and their sizes
		// within bounds the delay between the end of act and the
		// report.
		within time.Duration
	}{
		{
			name:   "file written in pieces is reported once it stops growing",
			settle: 300 * time.Millisecond,
			act: func(t *testing.T, dir string) time.Time {
				f, err := os.Create(filepath.Join(dir, "mobile-teams", "combo-2025-01.jsonl"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				var last time.Time
				for i := range 6 {
					if i > 0 {
						time.Sleep(100 * time.Millisecond)
					}
					last = time.Now()
					if _, err := f.WriteString(line); err != nil {
						t.Fatal(err)
					}
				}
				return last
			},
			want:   map[string]int64{"mobile-teams/combo-2025-01.jsonl": int64(6 * len(line))},
			within: 3 * time.Second,
		},
		{
			name:   "part file renamed to its final name is reported at once",
			settle: time.Second,
			act: func(t *testing.T, dir string) time.Time {
				part := filepath.Join(dir, "mobile-teams", "combo-2025-02.jsonl.part")
				write(t, part, line+line)
				time.Sleep(50 * time.Millisecond)
				rename(t, part, filepath.Join(dir, "mobile-teams", "combo-2025-02.jsonl"))
				return time.Time{}
			},
			want:   map[string]int64{"mobile-teams/combo-2025-02.jsonl": int64(2 * len(line))},
			within: 500 * time.Millisecond,
		},
		{
			name:   "new subfolders and the file already in them",
			settle: 200 * time.Millisecond,
			act: func(t *testing.T, dir string) time.Time {
				write(t, filepath.Join(dir, "federations", "fedito", "new", "2025.csv"), "a;b\n")
				return time.Time{}
			},
			want:   map[string]int64{"federations/fedito/new/2025.csv": 4},
			within: 3 * time.Second,
		},
		{
			name:   "folder renamed in from a hidden upload folder",
			settle: 200 * time.Millisecond,
			act: func(t *testing.T, dir string) time.Time {
				write(t, filepath.Join(dir, ".upload", "tdi", "tdi-2025.csv"), "x;y;z\n")
				write(t, filepath.Join(dir, ".upload", "tdi", "sub", "tdi-old.csv"), "x\n")
				rename(t, filepath.Join(dir, ".upload", "tdi"), filepath.Join(dir, "tdi"))
				return time.Time{}
			},
			want:   map[string]int64{"tdi/tdi-2025.csv": 6, "tdi/sub/tdi-old.csv": 2},
			within: 3 * time.Second,
		},
		{
			name:   "files of no source are ignored",
			settle: 200 * time.Millisecond,
			match:  []string{"mobile-teams/combo-*.jsonl", "federations/*/*.csv"},
			act: func(t *testing.T, dir string) time.Time {
				for _, rel := range []string{
					"mobile-teams/renfort-2025-01.jsonl",
					"combo-2025-01.jsonl",
					"mobile-teams/old/combo-2025-01.jsonl",
					"federations/fmm.csv",
					"federations/fmm/2025.xlsx",
					"federations/fmm/2025.csv",
				} {
					write(t, filepath.Join(dir, filepath.FromSlash(rel)), line)
				}
				return time.Time{}
			},
			want:   map[string]int64{"federations/fmm/2025.csv": int64(len(line))},
			within: 3 * time.Second,
		},
		{
			name:   "temporary and hidden names are ignored",
			settle: 200 * time.Millisecond,
			act: func(t *testing.T, dir string) time.Time {
				for _, rel := range []string{
					"a.jsonl.part", "a.jsonl.tmp", "a.jsonl.partial", "a.jsonl~",
					".a.jsonl", ".hidden/a.jsonl", "sub/.hidden/a.jsonl",
					"b.jsonl",
				} {
					write(t, filepath.Join(dir, filepath.FromSlash(rel)), line)
				}
				return time.Time{}
			},
			want:   map[string]int64{"b.jsonl": int64(len(line))},
			within: 3 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			// Folders present at start.
			for _, d := range []string{"mobile-teams", "federations/fedito"} {
				if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
					t.Fatal(err)
				}
			}
			r := newRecorder(dir)
			opts := Options{Dir: dir, Settle: tt.settle, Rescan: time.Hour}
			if tt.match != nil {
				opts.Match = MatchGlobs(tt.match)
			}
			start(t, opts, r)

			after := tt.act(t, dir)
			acted := time.Now()
			got := map[string]int64{}
			for len(got) < len(tt.want) {
				c := r.next(t, tt.within+time.Second)
				if d := c.at.Sub(acted); d > tt.within {
					t.Errorf("%v reported %v after the change, want within %v", c.files, d, tt.within)
				}
				if !after.IsZero() && c.at.Before(after.Add(tt.settle)) {
					t.Errorf("%v reported %v after the last write, before the settle time %v",
						c.files, c.at.Sub(after), tt.settle)
				}
				for _, f := range c.files {
					if _, dup := got[f]; dup {
						t.Errorf("%s reported twice", f)
					}
					got[f] = c.sizes[f]
				}
			}
			if !mapsEqual(got, tt.want) {
				t.Errorf("reported %v, want %v", got, tt.want)
			}
			r.none(t, tt.settle+300*time.Millisecond)
		})
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestWatchReportsRewrittenFileAgain(t *testing.T) {
	const settle = 200 * time.Millisecond
	dir := t.TempDir()
	r := newRecorder(dir)
	start(t, Options{Dir: dir, Settle: settle, Rescan: time.Hour}, r)
	path := filepath.Join(dir, "tdi-2025.csv")

	write(t, path, "a\n")
	if c := r.next(t, 3*time.Second); !slices.Equal(c.files, []string{"tdi-2025.csv"}) || c.sizes["tdi-2025.csv"] != 2 {
		t.Fatalf("first report %v %v, want tdi-2025.csv of 2 bytes", c.files, c.sizes)
	}
	// New attributes, same size and time: not a new delivery.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	r.none(t, settle+300*time.Millisecond)

	write(t, path, "a\nb\nc\n")
	if c := r.next(t, 3*time.Second); !slices.Equal(c.files, []string{"tdi-2025.csv"}) || c.sizes["tdi-2025.csv"] != 6 {
		t.Fatalf("second report %v %v, want tdi-2025.csv of 6 bytes", c.files, c.sizes)
	}
	r.none(t, settle+300*time.Millisecond)
}

// drop discards the notifications the watcher received for a while, as if
// they were lost.
func drop(w *watcher, during time.Duration) (n int) {
	deadline := time.After(during)
	for {
		select {
		case <-w.fw.Events:
			n++
		case <-deadline:
			return n
		}
	}
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOverflowRescansTheTree(t *testing.T) {
	const settle = 200 * time.Millisecond
	const secret = "Jean-Secret-1970"
	dir := t.TempDir()
	var logs syncBuffer
	w, err := newWatcher(Options{
		Dir: dir, Settle: settle, Rescan: time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "mobile-teams", "combo-lost.jsonl"), `{"person_key":"`+secret+`"}`+"\n")
	if n := drop(w, 300*time.Millisecond); n == 0 {
		t.Fatal("no notification to lose: the test would not test the rescan")
	}
	w.checkPending()
	if len(w.pending) != 0 {
		t.Fatalf("pending %v before the rescan, want none (its notifications were dropped)", w.pending)
	}

	w.handleError(fsnotify.ErrEventOverflow)
	r := newRecorder(dir)
	run(t, w, r)
	c := r.next(t, 3*time.Second)
	if !slices.Equal(c.files, []string{"mobile-teams/combo-lost.jsonl"}) {
		t.Errorf("reported %v, want the file whose notifications were lost", c.files)
	}
	// The new folder is watched again: a file written in it afterwards is
	// seen without another rescan.
	write(t, filepath.Join(dir, "mobile-teams", "combo-next.jsonl"), line)
	if c := r.next(t, 3*time.Second); !slices.Equal(c.files, []string{"mobile-teams/combo-next.jsonl"}) {
		t.Errorf("reported %v, want mobile-teams/combo-next.jsonl", c.files)
	}
	r.none(t, settle+300*time.Millisecond)

	out := logs.String()
	if !strings.Contains(out, "rescanning") || !strings.Contains(out, "combo-lost.jsonl") {
		t.Errorf("logs lack the rescan or the file name:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("logs hold file contents:\n%s", out)
	}
}

func TestPeriodicRescanFindsMissedFiles(t *testing.T) {
	const settle = 100 * time.Millisecond
	dir := t.TempDir()
	sub := filepath.Join(dir, "offre")
	if err := os.MkdirAll(sub, 0o750); err != nil {
		t.Fatal(err)
	}
	w, err := newWatcher(Options{Dir: dir, Settle: settle, Rescan: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The folder's watch is lost without notice.
	if err := w.fw.Remove(sub); err != nil {
		t.Fatal(err)
	}
	r := newRecorder(dir)
	run(t, w, r)
	write(t, filepath.Join(sub, "inventaire-2025.csv"), "a;b\n")
	written := time.Now()
	c := r.next(t, 3*time.Second)
	if !slices.Equal(c.files, []string{"offre/inventaire-2025.csv"}) {
		t.Errorf("reported %v, want offre/inventaire-2025.csv", c.files)
	}
	// Without its watch the file can only be found by the rescan, and
	// the first one comes after Rescan.
	if d := c.at.Sub(written); d < 300*time.Millisecond {
		t.Errorf("reported %v after the write, before any rescan: the watch was not lost", d)
	}
	// Reported once, although the next rescans see it in their window.
	r.none(t, 1200*time.Millisecond)
}

func TestReadyIsNeverConcurrent(t *testing.T) {
	dir := t.TempDir()
	r := newRecorder(dir)
	r.hold = make(chan struct{})
	start(t, Options{Dir: dir, Settle: time.Hour, Rescan: time.Hour}, r)

	deliver := func(name string) {
		part := filepath.Join(dir, name+".part")
		write(t, part, line)
		rename(t, part, filepath.Join(dir, name))
	}
	deliver("a.jsonl")
	if c := r.next(t, 2*time.Second); !slices.Equal(c.files, []string{"a.jsonl"}) {
		t.Fatalf("first call %v, want [a.jsonl]", c.files)
	}
	// While the first call runs, three more files complete.
	for _, name := range []string{"d.jsonl", "b.jsonl", "c.jsonl"} {
		deliver(name)
	}
	r.none(t, 500*time.Millisecond)
	close(r.hold)
	if c := r.next(t, 2*time.Second); !slices.Equal(c.files, []string{"b.jsonl", "c.jsonl", "d.jsonl"}) {
		t.Errorf("second call %v, want the three files completed meanwhile, sorted", c.files)
	}
	if m := r.maxInflight.Load(); m != 1 {
		t.Errorf("ready ran %d at once, want 1", m)
	}
}

func TestWatchLeavesFilesPresentAtStart(t *testing.T) {
	const settle = 100 * time.Millisecond
	dir := t.TempDir()
	// Present at start (and recent): left to the scheduled ingest.
	write(t, filepath.Join(dir, "before.csv"), "a\n")
	r := newRecorder(dir)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, Options{Dir: dir, Settle: settle, Rescan: time.Hour}, r.ready) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()

	deadline := time.Now().Add(5 * time.Second)
	// Deliver probes until one is seen: the watch is then in place.
	var seen []string
	for i := 0; len(seen) == 0; i++ {
		if time.Now().After(deadline) {
			t.Fatal("no probe reported")
		}
		name := filepath.Join(dir, "probe-"+strconv.Itoa(i)+".csv")
		write(t, name+".part", "p\n")
		rename(t, name+".part", name)
		select {
		case c := <-r.got:
			seen = c.files
		case <-time.After(100 * time.Millisecond):
		}
	}
	write(t, filepath.Join(dir, "after.csv"), "b\n")
	for {
		c := r.next(t, 3*time.Second)
		if slices.Contains(c.files, "before.csv") {
			t.Fatalf("before.csv, present at start, reported: %v", c.files)
		}
		if slices.Contains(c.files, "after.csv") {
			break
		}
	}
	r.none(t, settle+300*time.Millisecond)
}

func TestWatchRefusesNoFolder(t *testing.T) {
	err := Watch(t.Context(), Options{}, func(context.Context, []string) {})
	if err == nil || !strings.HasPrefix(err.Error(), "inbox: ") {
		t.Errorf("Watch without a folder: %v, want an inbox error", err)
	}
}

func TestNewWatcherCreatesTheInbox(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "inbox")
	w, err := newWatcher(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Errorf("inbox not created: %v", err)
	}
	if w.opts.Settle != 2*time.Second || w.opts.Rescan != time.Minute {
		t.Errorf("defaults settle %v rescan %v, want 2s and 1m", w.opts.Settle, w.opts.Rescan)
	}
}
