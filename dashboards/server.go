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
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
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
}

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
	store   Store
	log     *slog.Logger
	pages   *pageSet
	echarts []byte
	etag    string
	mux     *http.ServeMux
}

// New parses the page templates and checks the ECharts script is embedded;
// either failing is an error here rather than on a request.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("dashboards: no store")
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
	s := &Server{store: opts.Store, log: log, pages: pages,
		echarts: script, etag: `"` + hex.EncodeToString(sum[:8]) + `"`, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.serveOverview)
	s.mux.HandleFunc("GET /bassins/{code}", s.serveBassin)
	s.mux.HandleFunc("GET /activite", s.serveActivity)
	s.mux.HandleFunc("GET "+downloadPath, s.serveDownload)
	s.mux.HandleFunc("GET /assets/echarts.min.js", s.serveECharts)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
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

func lang(r *http.Request) string { return normLang(r.URL.Query().Get("lang")) }

func (s *Server) serveOverview(w http.ResponseWriter, r *http.Request) {
	snap, err := s.store.Snapshot(r.Context())
	if err != nil {
		s.fail(w, r, "read snapshot", err)
		return
	}
	s.write(w, r, http.StatusOK, func(buf *bytes.Buffer) error { return s.pages.overview(buf, snap, lang(r)) })
}

func (s *Server) serveBassin(w http.ResponseWriter, r *http.Request) {
	snap, err := s.store.Snapshot(r.Context())
	if err != nil {
		s.fail(w, r, "read snapshot", err)
		return
	}
	code := r.PathValue("code")
	var buf bytes.Buffer
	err = s.pages.bassin(&buf, snap, code, lang(r))
	if errors.Is(err, ErrNotFound) {
		s.write(w, r, http.StatusNotFound, func(buf *bytes.Buffer) error { return s.pages.notFound(buf, snap, r.URL.Path, lang(r)) })
		return
	}
	s.send(w, r, http.StatusOK, &buf, err)
}

func (s *Server) serveActivity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	runs, err := s.store.RecentRuns(ctx, activityLimit)
	if err != nil {
		s.fail(w, r, "read job runs", err)
		return
	}
	loads, err := s.store.RecentLoads(ctx, activityLimit)
	if err != nil {
		s.fail(w, r, "read loads", err)
		return
	}
	var ids []uint64
	for _, l := range loads {
		if l.RowsQuarantined > 0 || l.Status == warehouse.StatusRejected {
			ids = append(ids, l.LoadID)
		}
	}
	quarantined, err := s.store.QuarantineSample(ctx, ids, quarantinePerLoad)
	if err != nil {
		s.fail(w, r, "read quarantine", err)
		return
	}
	deliveries, err := s.store.Deliveries(ctx)
	if err != nil {
		s.fail(w, r, "read deliveries", err)
		return
	}
	// The snapshot only dates the page and names the bassins: this page must
	// still work when the snapshot cannot be read, as that is when the
	// activity is looked at.
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "activity page without snapshot", "error", err)
		snap = nil
	}
	s.write(w, r, http.StatusOK, func(buf *bytes.Buffer) error {
		return s.pages.activity(buf, runs, loads, quarantined, deliveries, snap, lang(r))
	})
}

// downloadPath serves the published values as CSV; ?bassin=CODE keeps the
// region, that bassin and its communes.
const downloadPath = "/telechargement/indicateurs.csv"

func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	snap, err := s.store.Snapshot(r.Context())
	if err != nil {
		s.fail(w, r, "read snapshot", err)
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
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) serveNotFound(w http.ResponseWriter, r *http.Request) {
	s.write(w, r, http.StatusNotFound, func(buf *bytes.Buffer) error { return s.pages.notFound(buf, nil, r.URL.Path, lang(r)) })
}

func (s *Server) serveECharts(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("ETag", s.etag)
	http.ServeContent(w, r, "echarts.min.js", time.Time{}, bytes.NewReader(s.echarts))
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

// write renders a page and sends it with the given status.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	err := render(&buf)
	s.send(w, r, status, &buf, err)
}

// send writes a rendered page, or the error page when rendering failed.
func (s *Server) send(w http.ResponseWriter, r *http.Request, status int, buf *bytes.Buffer, err error) {
	if err != nil {
		s.fail(w, r, "render page", err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		if _, err := w.Write(buf.Bytes()); err != nil {
			s.log.DebugContext(r.Context(), "write page", "path", r.URL.Path, "error", err)
		}
	}
}

// fail logs an error and answers with the error page; the page does not
// quote the error, which may name internal addresses.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "dashboards: "+what, "path", r.URL.Path, "error", err)
	var buf bytes.Buffer
	w.Header().Set("Cache-Control", "no-store")
	if rerr := s.pages.unavailable(&buf, r.URL.Path, lang(r)); rerr != nil {
		s.log.ErrorContext(r.Context(), "dashboards: render error page", "error", rerr)
		http.Error(w, "dashboards: internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = w.Write(buf.Bytes())
}
