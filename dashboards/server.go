// Package dashboards serves the interactive HTML dashboards that Brusano
// researchers read: the region overview with the five bassins side by side,
// one page per bassin, and the activity of the product (job runs and file
// loads). Pages are in French, in Dutch with ?lang=nl.
//
// Pages make no request outside the server: the charts are drawn by the
// ECharts script embedded from assets/echarts.min.js (copied there at build
// from the pinned npm package, see assets/README.md) and served under
// /assets/.
package dashboards

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// Store is what the dashboards read; the warehouse implements it.
type Store interface {
	// Snapshot returns the latest computed values; a Snapshot with no Values
	// when nothing has been computed yet.
	Snapshot(ctx context.Context) (*indicators.Snapshot, error)
	// RecentRuns returns up to limit job runs, most recent first.
	RecentRuns(ctx context.Context, limit int) ([]warehouse.JobRun, error)
	// RecentLoads returns up to limit file loads, most recent first.
	RecentLoads(ctx context.Context, limit int) ([]warehouse.Load, error)
	// QuarantineSample returns up to perLoad quarantined rows of each
	// listed load; pages show their line, field and reason, never a value.
	QuarantineSample(ctx context.Context, loadIDs []uint64, perLoad int) (map[uint64][]warehouse.QuarantinedRow, error)
	// Deliveries returns the lines loaded per source of monthly events and
	// month, for the completeness table.
	Deliveries(ctx context.Context) ([]warehouse.Delivery, error)
}

// Options configure a Server.
type Options struct {
	Store Store
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
	// StoreTimeout bounds each read of the store for a page: past it, the
	// page is served from the last snapshot read. 0 means 10 seconds.
	StoreTimeout time.Duration
	// Ready reports the state of the warehouse for /readyz. Nil: /readyz
	// reads the store's snapshot, and knows of no migration.
	Ready func(ctx context.Context) (Readiness, error)
	// MaxComputationAge makes /readyz answer 503 when the last computation
	// is older, or when there is none; 0 does not check it.
	MaxComputationAge time.Duration
	// Metrics, when not nil, is served at GET /metrics.
	Metrics http.Handler
	// Scheduling, when not nil, says on the activity page whether this
	// process runs the scheduled jobs.
	Scheduling func() SchedulingStatus
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Location is the time zone dates are shown in: the configured time
	// zone. Required.
	Location *time.Location
}

// defaultStoreTimeout is the StoreTimeout when none is set.
const defaultStoreTimeout = 10 * time.Second

// retryAfter is what the 503 pages tell clients to wait before trying
// again.
const retryAfter = 30 * time.Second

// activityLimit is how many runs and loads the activity page lists, and
// quarantinePerLoad how many quarantined rows it names per load.
const (
	activityLimit     = 100
	quarantinePerLoad = 5
)

// echartsFile is the embedded ECharts script.
const echartsFile = "assets/echarts.min.js"

//go:embed assets
var assetsFS embed.FS

// Server serves the dashboards. It is safe for concurrent use.
type Server struct {
	store        Store
	storeTimeout time.Duration
	ready        func(ctx context.Context) (Readiness, error)
	maxAge       time.Duration
	scheduling   func() SchedulingStatus
	now          func() time.Time
	started      time.Time
	log          *slog.Logger
	pages        *pageSet
	echarts      []byte
	etag         string
	mux          *http.ServeMux

	// mu guards last, the latest snapshot read, and down, whether the
	// latest read of the store failed.
	mu   sync.Mutex
	last *indicators.Snapshot
	down bool
}

// New parses the page templates and checks the ECharts script is embedded;
// either failing is an error here rather than on a request.
func New(opts Options) (*Server, error) {
	if opts.Location == nil {
		return nil, errors.New("dashboards: no time zone (Options.Location)")
	}
	if opts.Store == nil {
		return nil, errors.New("dashboards: no store")
	}
	if opts.StoreTimeout < 0 || opts.MaxComputationAge < 0 {
		return nil, errors.New("dashboards: negative StoreTimeout or MaxComputationAge")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pages, err := loadPageSet()
	if err != nil {
		return nil, err
	}
	script, err := readECharts(assetsFS)
	if err != nil {
		return nil, err
	}
	log = log.With("component", "dashboards")
	if pages.defaultGeoErr != nil {
		log.Warn("embedded reference geography does not load; pages without a snapshot link to no bassin", "error", pages.defaultGeoErr)
	}
	sum := sha256.Sum256(script)
	s := &Server{store: opts.Store, storeTimeout: opts.StoreTimeout, ready: opts.Ready, maxAge: opts.MaxComputationAge,
		scheduling: opts.Scheduling, now: opts.Now, log: log, pages: pages.with(opts.Location),
		echarts: script, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, mux: http.NewServeMux()}
	if s.storeTimeout == 0 {
		s.storeTimeout = defaultStoreTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.started = s.now()
	s.mux.HandleFunc("GET /{$}", s.serveOverview)
	s.mux.HandleFunc("GET /bassins/{code}", s.serveBassin)
	s.mux.HandleFunc("GET /activite", s.serveActivity)
	s.mux.HandleFunc("GET "+downloadPath, s.serveDownload)
	s.mux.HandleFunc("GET /assets/echarts.min.js", s.serveECharts)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.HandleFunc("GET /readyz", s.serveReady)
	if opts.Metrics != nil {
		s.mux.Handle("GET /metrics", opts.Metrics)
	}
	s.mux.HandleFunc("GET /", s.serveNotFound)
	return s, nil
}

// readECharts returns the embedded ECharts script.
func readECharts(assets fs.FS) ([]byte, error) {
	script, err := fs.ReadFile(assets, echartsFile)
	if err != nil || len(script) == 0 {
		return nil, fmt.Errorf("dashboards: %s is missing or empty; run make: the ECharts script is copied from node_modules at build", echartsFile)
	}
	return script, nil
}

// ServeHTTP routes a request to its page.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// The browser itself refuses anything from outside the server. Inline
	// scripts are needed by the charts and inline styles by the pages.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	s.mux.ServeHTTP(w, r)
}

func lang(r *http.Request) string { return locale.Normalize(r.URL.Query().Get("lang")) }

// storeContext bounds a read of the store.
func (s *Server) storeContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.storeTimeout)
}

// snapshot reads the latest snapshot. When the store cannot be read, it
// returns the last snapshot read with stale set, or the error when none
// with values was ever read.
func (s *Server) snapshot(ctx context.Context) (snap *indicators.Snapshot, stale bool, err error) {
	rctx, cancel := s.storeContext(ctx)
	defer cancel()
	snap, err = s.store.Snapshot(rctx)
	if err == nil {
		s.noteRead(ctx)
		s.mu.Lock()
		s.last = snap
		s.mu.Unlock()
		return snap, false, nil
	}
	s.noteFailure(ctx, "read snapshot", err)
	s.mu.Lock()
	last := s.last
	s.mu.Unlock()
	if isEmpty(last) {
		return nil, false, err
	}
	return last, true, nil
}

// noteRead records a successful read of the store, and says so in the log
// when the store was unreadable until then.
func (s *Server) noteRead(ctx context.Context) {
	s.mu.Lock()
	was := s.down
	s.down = false
	s.mu.Unlock()
	if was {
		s.log.InfoContext(ctx, "the store answers again; pages show its data")
	}
}

// noteFailure logs a failed read of the store: once as an error when the
// store stops answering, then at debug level until it answers again. A read
// abandoned by the client says nothing of the store.
func (s *Server) noteFailure(ctx context.Context, what string, err error) {
	if ctx.Err() != nil {
		s.log.DebugContext(ctx, "dashboards: "+what+": request ended", "error", err)
		return
	}
	s.mu.Lock()
	was := s.down
	s.down = true
	s.mu.Unlock()
	if was {
		s.log.DebugContext(ctx, "dashboards: "+what, "error", err)
		return
	}
	s.log.ErrorContext(ctx, "dashboards: "+what+"; until the store answers, pages show the last snapshot read, or answer 503 without one", "error", err)
}

func (s *Server) serveOverview(w http.ResponseWriter, r *http.Request) {
	snap, stale, err := s.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, r)
		return
	}
	s.write(w, r, http.StatusOK, stale, func(buf *bytes.Buffer) error { return s.pages.overview(buf, snap, stale, lang(r)) })
}

func (s *Server) serveBassin(w http.ResponseWriter, r *http.Request) {
	snap, stale, err := s.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, r)
		return
	}
	code := r.PathValue("code")
	var buf bytes.Buffer
	err = s.pages.bassin(&buf, snap, code, stale, lang(r))
	if errors.Is(err, ErrNotFound) {
		s.write(w, r, http.StatusNotFound, stale, func(buf *bytes.Buffer) error { return s.pages.notFound(buf, snap, r.URL.Path, lang(r)) })
		return
	}
	s.send(w, r, http.StatusOK, stale, &buf, err)
}

// activityData is what the activity page reads from the store.
type activityData struct {
	runs        []warehouse.JobRun
	loads       []warehouse.Load
	quarantined map[uint64][]warehouse.QuarantinedRow
	deliveries  []warehouse.Delivery
}

// readActivity reads the runs, loads and deliveries of the activity page.
func (s *Server) readActivity(ctx context.Context) (activityData, string, error) {
	ctx, cancel := s.storeContext(ctx)
	defer cancel()
	var d activityData
	var err error
	if d.runs, err = s.store.RecentRuns(ctx, activityLimit); err != nil {
		return d, "read job runs", err
	}
	if d.loads, err = s.store.RecentLoads(ctx, activityLimit); err != nil {
		return d, "read loads", err
	}
	var ids []uint64
	for _, l := range d.loads {
		if l.RowsQuarantined > 0 || l.Status == warehouse.StatusRejected {
			ids = append(ids, l.LoadID)
		}
	}
	if d.quarantined, err = s.store.QuarantineSample(ctx, ids, quarantinePerLoad); err != nil {
		return d, "read quarantine", err
	}
	if d.deliveries, err = s.store.Deliveries(ctx); err != nil {
		return d, "read deliveries", err
	}
	return d, "", nil
}

func (s *Server) serveActivity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, what, err := s.readActivity(ctx)
	if err != nil {
		s.noteFailure(ctx, what, err)
		s.unavailable(w, r)
		return
	}
	s.noteRead(ctx)
	// The snapshot only dates the page and names the bassins: this page must
	// still work when the snapshot cannot be read, as that is when the
	// activity is looked at.
	snap, stale, err := s.snapshot(ctx)
	if err != nil {
		snap = nil
	}
	var sched *SchedulingStatus
	if s.scheduling != nil {
		st := s.scheduling()
		sched = &st
	}
	s.write(w, r, http.StatusOK, stale, func(buf *bytes.Buffer) error {
		return s.pages.activity(buf, d.runs, d.loads, d.quarantined, d.deliveries, snap, stale, sched, lang(r))
	})
}

// downloadPath serves the published values as CSV; ?bassin=CODE keeps the
// region, that bassin and its communes.
const downloadPath = "/telechargement/indicateurs.csv"

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	snap, stale, err := s.snapshot(r.Context())
	if err != nil {
		s.unavailable(w, r)
		return
	}
	var keep func(indicators.Value) bool
	name := "indicateurs"
	if code := r.URL.Query().Get("bassin"); code != "" {
		if snap.Geography == nil {
			s.serveNotFound(w, r)
			return
		}
		if _, ok := snap.Geography.Bassin(code); !ok {
			s.serveNotFound(w, r)
			return
		}
		communes := map[string]bool{}
		for _, nis := range snap.Geography.CommunesOf(code) {
			communes[nis] = true
		}
		keep = func(v indicators.Value) bool {
			return v.Level == geography.LevelRegion || (v.Level == geography.LevelBassin && v.Code == code) ||
				(v.Level == geography.LevelCommune && communes[v.Code])
		}
		name += "-" + code
	}
	var buf bytes.Buffer
	if err := indicators.WriteCSV(&buf, snap.Export(false, keep)); err != nil {
		s.fail(w, r, "write csv", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	w.Header().Set("Cache-Control", cacheControl(stale))
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) serveNotFound(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusNotFound, false, func(buf *bytes.Buffer) error { return s.pages.notFound(buf, nil, r.URL.Path, lang(r)) })
}

func (s *Server) serveECharts(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("ETag", s.etag)
	http.ServeContent(w, r, "echarts.min.js", time.Time{}, bytes.NewReader(s.echarts))
}

// serveHealth says the process answers, and for how long it has been up.
func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = fmt.Fprintf(w, "ok\nuptime %s\n", s.now().Sub(s.started).Round(time.Second))
}

// cacheControl keeps pages served from the last snapshot out of every
// cache: they are to be replaced as soon as the store answers.
func cacheControl(stale bool) string {
	if stale {
		return "no-store"
	}
	return "no-cache"
}

// write renders a page and sends it with the given status.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, stale bool, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	err := render(&buf)
	s.send(w, r, status, stale, &buf, err)
}

// send writes a rendered page, or the error page when rendering failed.
func (s *Server) send(w http.ResponseWriter, r *http.Request, status int, stale bool, buf *bytes.Buffer, err error) {
	if err != nil {
		s.fail(w, r, "render page", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", cacheControl(stale))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		if _, err := w.Write(buf.Bytes()); err != nil {
			s.log.DebugContext(r.Context(), "write page", "path", r.URL.Path, "error", err)
		}
	}
}

// unavailable answers 503 with the page saying the data cannot be read for
// now; the store's error is logged by the caller, never shown.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := s.pages.unavailable(&buf, r.URL.Path, lang(r)); err != nil {
		s.fail(w, r, "render unavailable page", err)
		return
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
	s.sendError(w, r, http.StatusServiceUnavailable, &buf)
}

// fail logs a bug (a page that does not render) and answers 500 with the
// error page; the page does not quote the error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "dashboards: "+what, "path", r.URL.Path, "error", err)
	var buf bytes.Buffer
	if rerr := s.pages.internalError(&buf, r.URL.Path, lang(r)); rerr != nil {
		s.log.ErrorContext(r.Context(), "dashboards: render error page", "error", rerr)
		w.Header().Set("Cache-Control", "no-store")
		http.Error(w, "dashboards: internal error", http.StatusInternalServerError)
		return
	}
	s.sendError(w, r, http.StatusInternalServerError, &buf)
}

// sendError writes an error page, kept out of caches.
func (s *Server) sendError(w http.ResponseWriter, r *http.Request, status int, buf *bytes.Buffer) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
