// Package reports renders the periodic reports sent to the authorities
// (COCOM, COCOF, SPF Santé publique): one self-contained HTML document per
// month and language, with the summary table of every indicator by bassin,
// charts embedded as PNG data URIs, and the notes a reader needs to read the
// figures (estimates, suppression, definitions).
//
// A report references no external resource: it is sent by e-mail, archived
// and printed, and must read the same in ten years.
package reports

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/golang/freetype/truetype"
	"github.com/wcharczuk/go-chart/v2/roboto"

	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

// ErrNoData is returned (wrapped) when the snapshot holds no value for the
// requested month: no report is written rather than an empty one.
var ErrNoData = errors.New("no indicator values for the period")

//go:embed templates/monthly.html.tmpl
var templates embed.FS

// Options configures a Writer.
type Options struct {
	// Dir is the folder reports are written to, e.g. var/reports; each month
	// gets its own sub-folder YYYY-MM.
	Dir string
	// Languages are the report languages, "fr" and/or "nl"; default both.
	Languages []string
	// Location is the time zone instants (when the figures were computed)
	// are written in: the configured time zone. Required.
	Location *time.Location
	// Logger receives one line per file written; discarded when nil.
	Logger *slog.Logger
}

// Writer renders and writes reports. It is safe for concurrent use.
type Writer struct {
	dir       string
	languages []string
	loc       *time.Location
	log       *slog.Logger
	monthly   *template.Template
	// font is parsed once here rather than through go-chart's lazily
	// initialised global, which is not safe for concurrent first use.
	font *truetype.Font
}

// New checks the options and parses the embedded template and chart font.
func New(opts Options) (*Writer, error) {
	if opts.Dir == "" {
		return nil, errors.New("reports: no output folder (Options.Dir)")
	}
	if opts.Location == nil {
		return nil, errors.New("reports: no time zone (Options.Location)")
	}
	langs := opts.Languages
	if len(langs) == 0 {
		langs = locale.Languages()
	}
	for i, l := range langs {
		if _, ok := translations[l]; !ok {
			return nil, fmt.Errorf("reports: %q is not a report language (fr, nl)", l)
		}
		if slices.Contains(langs[:i], l) {
			return nil, fmt.Errorf("reports: language %q listed twice", l)
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.ParseFS(templates, "templates/monthly.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("reports: parse template: %w", err)
	}
	font, err := truetype.Parse(roboto.Roboto)
	if err != nil {
		return nil, fmt.Errorf("reports: parse chart font: %w", err)
	}
	return &Writer{
		dir:       opts.Dir,
		languages: slices.Clone(langs),
		loc:       opts.Location,
		log:       log.With("component", "reports"),
		monthly:   tmpl,
		font:      font,
	}, nil
}

// Render writes the monthly report of period (any time in the month; the
// first day by convention) in lang ("fr" or "nl") to out as one
// self-contained HTML document. It returns an error wrapping ErrNoData when
// the snapshot has no value for that month; nothing is written to out then.
func (w *Writer) Render(out io.Writer, snap *indicators.Snapshot, period time.Time, lang string) error {
	var buf bytes.Buffer
	if err := w.render(&buf, snap, period, lang); err != nil {
		return err
	}
	if _, err := buf.WriteTo(out); err != nil {
		return fmt.Errorf("reports: write %s report: %w", lang, err)
	}
	return nil
}

func (w *Writer) render(buf *bytes.Buffer, snap *indicators.Snapshot, period time.Time, lang string) error {
	msg, ok := translations[lang]
	if !ok {
		return fmt.Errorf("reports: %q is not a report language (fr, nl)", lang)
	}
	if snap == nil || snap.Geography == nil {
		return errors.New("reports: no snapshot or snapshot without geography")
	}
	p, ok := snapshotPeriod(snap, period)
	if !ok {
		return fmt.Errorf("reports: %s: %w", period.Format("2006-01"), ErrNoData)
	}
	data, err := w.monthlyData(snap, p, locale.New(lang, w.loc), msg)
	if err != nil {
		return err
	}
	if err := w.monthly.ExecuteTemplate(buf, "monthly.html.tmpl", data); err != nil {
		return fmt.Errorf("reports: render %s report of %s: %w", lang, p.Format("2006-01"), err)
	}
	return nil
}

// WriteMonthly renders the report of period in every configured language and
// writes them to Dir/YYYY-MM/, e.g. rapport-mensuel-2024-03.fr.html and
// maandrapport-2024-03.nl.html. All languages are rendered before any file is
// written, and each file is replaced atomically, so a failed run leaves the
// previous files (if any) intact and a re-run overwrites them. It returns the
// paths written, in the order of Options.Languages; on error, the paths
// already written.
func (w *Writer) WriteMonthly(ctx context.Context, snap *indicators.Snapshot, period time.Time) ([]string, error) {
	month := period.Format("2006-01")
	docs := make([][]byte, len(w.languages))
	for i, lang := range w.languages {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reports: %s: %w", month, err)
		}
		var buf bytes.Buffer
		if err := w.render(&buf, snap, period, lang); err != nil {
			return nil, err
		}
		docs[i] = buf.Bytes()
	}
	dir := filepath.Join(w.dir, month)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("reports: %w", err)
	}
	paths := make([]string, 0, len(w.languages))
	for i, lang := range w.languages {
		if err := ctx.Err(); err != nil {
			return paths, fmt.Errorf("reports: %s: %w", month, err)
		}
		path := filepath.Join(dir, fmt.Sprintf(translations[lang].FileName, month))
		if err := writeAtomic(path, docs[i]); err != nil {
			return paths, err
		}
		w.log.InfoContext(ctx, "report written", "period", month, "lang", lang, "path", path, "bytes", len(docs[i]))
		paths = append(paths, path)
	}
	return paths, nil
}

// writeAtomic writes data to a temporary file next to path and renames it over
// path, so readers never see a half-written report.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("reports: write %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("reports: sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("reports: close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// ReportPeriod returns the month a report run at now covers: the last complete
// month before now, counted in the time zone loc, the configured one (a run on
// 1 March 2025 at 06:00 in Brussels covers February 2025). The result is the
// first day of that month at midnight UTC, the way periods are stored as dates
// without a zone.
func ReportPeriod(now time.Time, loc *time.Location) time.Time {
	return locale.New(locale.French, loc).PreviousMonth(now)
}

// snapshotPeriod returns the snapshot's own period value for the calendar
// month of period, so that lookups match whatever zone the values carry.
func snapshotPeriod(snap *indicators.Snapshot, period time.Time) (time.Time, bool) {
	for _, p := range snap.Periods() {
		if p.Year() == period.Year() && p.Month() == period.Month() {
			return p, true
		}
	}
	return time.Time{}, false
}
