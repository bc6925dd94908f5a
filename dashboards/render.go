package dashboards

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"sync"
	"time"
	_ "time/tzdata" // dates are shown in the configured zone even where the host has no zoneinfo

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
	"github.com/brusano/bassins/pipeline/warehouse"
)

// ErrNotFound is returned (wrapped) for a page that does not exist, such as an
// unknown bassin code.
var ErrNotFound = errors.New("dashboards: not found")

//go:embed templates
var templateFS embed.FS

// pageNames are the page templates; each defines "content" and is executed
// inside templates/layout.html.
var pageNames = []string{"overview", "bassin", "activity", "pending", "notfound", "unavailable"}

// pageSet holds everything parsed or loaded once to render pages. It is never
// modified after newPageSet returns.
type pageSet struct {
	pages map[string]*template.Template
	// loc is the zone instants are shown in; see with.
	loc *time.Location
	// defaultGeo names the bassins in the navigation of pages rendered without
	// a snapshot (activity, errors) or with one that carries no geography. It
	// is nil, and defaultGeoErr says why, when the embedded reference files do
	// not load: the pages then link to no bassin rather than fail.
	defaultGeo    *geography.Geography
	defaultGeoErr error
}

func newPageSet() (*pageSet, error) {
	layout, err := template.New("layout.html").Option("missingkey=error").Funcs(template.FuncMap{"dict": dict}).
		ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("dashboards: parse layout: %w", err)
	}
	ps := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.Must(layout.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboards: parse page %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("dashboards: page %s defines no \"content\" template", name)
		}
		ps.pages[name] = t
	}
	ps.defaultGeo, ps.defaultGeoErr = geography.Load(geography.Files{})
	return ps, nil
}

// with returns the page set showing instants in loc (UTC when nil). The
// parsed templates are shared, never modified.
func (ps *pageSet) with(loc *time.Location) *pageSet {
	c := *ps
	c.loc = loc
	return &c
}

// locale returns the locale of the pages in lang, in the set's time zone.
func (ps *pageSet) locale(lang string) locale.Locale { return locale.New(lang, ps.loc) }

// loadPageSet parses the templates once for the package-level Render
// functions; New calls it too so that a broken template fails at start-up.
var loadPageSet = sync.OnceValues(newPageSet)

// RenderOverview writes the region overview page. An empty snapshot (nothing
// computed yet) gives a page saying so.
func RenderOverview(w io.Writer, snap *indicators.Snapshot, lang string, loc *time.Location) error {
	ps, err := loadPageSet()
	if err != nil {
		return err
	}
	return ps.with(loc).overview(w, snap, false, locale.Normalize(lang))
}

// RenderBassin writes the page of one bassin. The error wraps ErrNotFound when
// the geography has no such bassin; nothing is written then.
func RenderBassin(w io.Writer, snap *indicators.Snapshot, bassin, lang string, loc *time.Location) error {
	ps, err := loadPageSet()
	if err != nil {
		return err
	}
	return ps.with(loc).bassin(w, snap, bassin, false, locale.Normalize(lang))
}

// RenderActivity writes the page of job runs and file loads, most recent
// first as given.
func RenderActivity(w io.Writer, runs []warehouse.JobRun, loads []warehouse.Load, quarantined map[uint64][]warehouse.QuarantinedRow,
	deliveries []warehouse.Delivery, lang string, loc *time.Location) error {
	ps, err := loadPageSet()
	if err != nil {
		return err
	}
	return ps.with(loc).activity(w, runs, loads, quarantined, deliveries, nil, false, nil, locale.Normalize(lang))
}

// page is what layout.html receives.
type page struct {
	Lang  string
	L     map[string]string
	Title string
	// LinkFR and LinkNL are the same page in each language.
	LinkFR, LinkNL string
	Nav            []navLink
	// ComputedAt, Month and RunID describe the snapshot shown; empty without one.
	ComputedAt string
	Month      string
	RunID      string
	// Stale is the banner of a page served from the last snapshot read
	// while the store cannot be read; empty otherwise.
	Stale string
	// Privacy explains suppression; empty on pages without figures.
	Privacy string
	// Estimated adds the footnote for values marked "*".
	Estimated bool
	// Charts loads the ECharts script.
	Charts       bool
	ActivityHref string
	// Download links to the published values as CSV; empty without figures.
	Download string
	Body     any
}

type navLink struct {
	Label   string
	Href    string
	Current bool
}

// newPage fills the parts every page shares. path is the page's own path,
// used by the language switch and to mark the current navigation entry.
func (ps *pageSet) newPage(snap *indicators.Snapshot, path, title, lang string) *page {
	p := &page{Lang: lang, L: labelsFor(ps.locale(lang)), Title: title,
		LinkFR: path, LinkNL: path + "?lang=nl"}
	p.Nav = append(p.Nav, navLink{Label: p.L["nav_overview"], Href: "/"})
	if geo := ps.geography(snap); geo != nil {
		for _, b := range geo.Bassins {
			p.Nav = append(p.Nav, navLink{Label: pick(lang, b.NameFR, b.NameNL), Href: bassinPath(b.Code)})
		}
	}
	p.Nav = append(p.Nav, navLink{Label: p.L["nav_activity"], Href: "/activite"})
	p.ActivityHref = href("/activite", lang)
	for i := range p.Nav {
		p.Nav[i].Current = p.Nav[i].Href == path
		p.Nav[i].Href = href(p.Nav[i].Href, lang)
	}
	if !isEmpty(snap) {
		p.ComputedAt = ps.locale(lang).DateTime(snap.ComputedAt)
		p.Month = ps.locale(lang).Month(snap.LastPeriod())
		p.RunID = snap.RunID
		p.Download = downloadPath
		if snap.MinCount > 1 {
			p.Privacy = privacyNote(snap.MinCount, lang)
		}
	}
	return p
}

// markStale puts the banner of a page served from the last snapshot read,
// dated by its computation, when stale is set.
func (ps *pageSet) markStale(p *page, snap *indicators.Snapshot, stale bool) {
	if !stale {
		return
	}
	var at time.Time
	if snap != nil {
		at = snap.ComputedAt
	}
	p.Stale = ps.locale(p.Lang).DataOf(at) + pick(p.Lang,
		"\u00a0: l'entrepôt de données est momentanément injoignable, les chiffres seront mis à jour dès son retour.",
		": het datawarehouse is tijdelijk onbereikbaar, de cijfers worden bijgewerkt zodra het weer bereikbaar is.")
}

// geography returns the snapshot's geography, or the default one; nil when
// neither is available.
func (ps *pageSet) geography(snap *indicators.Snapshot) *geography.Geography {
	if snap != nil && snap.Geography != nil {
		return snap.Geography
	}
	return ps.defaultGeo
}

// isEmpty reports whether nothing has been computed yet.
func isEmpty(snap *indicators.Snapshot) bool {
	return snap == nil || len(snap.Values) == 0
}

func bassinPath(code string) string { return "/bassins/" + code }

// href adds the language to a link within the site.
func href(path, lang string) string {
	if lang == locale.Dutch {
		return path + "?lang=nl"
	}
	return path
}

func privacyNote(minCount int, lang string) string {
	return fmt.Sprintf(pick(lang,
		"Protection de la vie privée : les nombres de personnes ou d'événements compris entre 1 et %[1]d sont masqués et affichés « < %[2]d », de même que les taux et évolutions calculés à partir d'eux. Quand un seul bassin ou une seule commune est masqué, une autre valeur est aussi retenue (« n.p. », non publié) pour qu'il ne puisse être retrouvé par soustraction du total. Dans les graphiques, ces points sont laissés vides et la courbe s'interrompt.",
		"Bescherming van de privacy: aantallen personen of gebeurtenissen tussen 1 en %[1]d worden verborgen en als „< %[2]d” getoond, net als de cijfers per inwoner en de evoluties die erop steunen. Wanneer slechts één zorgzone of gemeente verborgen is, wordt nog een andere waarde achtergehouden („n.g.”, niet gepubliceerd), zodat ze niet uit het totaal kan worden afgeleid. In de grafieken blijven die punten leeg en wordt de lijn onderbroken."),
		minCount-1, minCount)
}

// dict builds the argument of a shared template: dict "Page" $ "Chart" .
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		k, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", pairs[i])
		}
		m[k] = pairs[i+1]
	}
	return m, nil
}

// execute renders a page into a buffer first, so that a failed render writes
// nothing, then writes it out.
func (ps *pageSet) execute(w io.Writer, name string, p *page) error {
	var buf bytes.Buffer
	if err := ps.pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return fmt.Errorf("dashboards: render %s: %w", name, err)
	}
	if _, err := w.Write(withoutExternalAddresses(buf.Bytes())); err != nil {
		return fmt.Errorf("dashboards: write %s: %w", name, err)
	}
	return nil
}

// externalAddress matches the scheme of a web address. Pages must make no
// request outside the server, and texts from the warehouse (error messages,
// file names) may quote an address: the scheme is broken ("hxxp://") so that
// the address stays readable but is never followed or fetched.
var externalAddress = regexp.MustCompile(`(?i)\bhttp(s?)://`)

func withoutExternalAddresses(html []byte) []byte {
	return externalAddress.ReplaceAll(html, []byte("hxxp$1://"))
}

// pending renders the page shown before the first computation.
func (ps *pageSet) pending(w io.Writer, snap *indicators.Snapshot, path, title string, stale bool, lang string) error {
	p := ps.newPage(snap, path, title, lang)
	ps.markStale(p, snap, stale)
	return ps.execute(w, "pending", p)
}

// notFound renders the 404 page; path is the requested one.
func (ps *pageSet) notFound(w io.Writer, snap *indicators.Snapshot, path, lang string) error {
	p := ps.newPage(snap, sitePath(path), labels["notfound_title"][locale.New(lang, nil).Index()], lang)
	return ps.execute(w, "notfound", p)
}

// unavailable renders the page shown when the store cannot be read and no
// snapshot was read before; path is the requested one.
func (ps *pageSet) unavailable(w io.Writer, path, lang string) error {
	p := ps.newPage(nil, sitePath(path), labels["unavailable_title"][locale.New(lang, nil).Index()], lang)
	p.Body = labels["unavailable_body"][locale.New(lang, nil).Index()]
	return ps.execute(w, "unavailable", p)
}

// internalError renders the page shown when a page fails to render; path is
// the requested one.
func (ps *pageSet) internalError(w io.Writer, path, lang string) error {
	p := ps.newPage(nil, sitePath(path), labels["error_title"][locale.New(lang, nil).Index()], lang)
	p.Body = labels["error_body"][locale.New(lang, nil).Index()]
	return ps.execute(w, "unavailable", p)
}

// plainPath is a path within the site that is safe to link back to.
var plainPath = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)*/?$`)

// sitePath returns a requested path for the language switch, or "/" when it
// is not a plain path: "//host" or "/\host" would lead browsers elsewhere.
func sitePath(path string) string {
	if path == "" || !plainPath.MatchString(path) {
		return "/"
	}
	return path
}
