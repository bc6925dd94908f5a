package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// renderPage returns a page as rendered by one of the Render functions.
func renderPage(t *testing.T, fn func(*bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := fn(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// text returns the page with HTML entities decoded, to look for what a reader
// sees.
func text(page string) string { return html.UnescapeString(page) }

func TestLabelsHaveBothLanguages(t *testing.T) {
	for key, l := range labels {
		if l[0] == "" || l[1] == "" {
			t.Errorf("label %q: French %q, Dutch %q: both are needed", key, l[0], l[1])
		}
	}
}

func TestOverviewNamesBassins(t *testing.T) {
	snap := testSnapshot(t)
	tests := []struct {
		lang    string
		htmlTag string
		names   []string
		region  string
	}{
		{"fr", `<html lang="fr">`, []string{"Nord", "Nord-Est", "Sud", "Sud-Est", "Centre-Ouest"}, "Région de Bruxelles-Capitale"},
		{"nl", `<html lang="nl">`, []string{"Noord", "Noord-Oost", "Zuid", "Zuid-Oost", "Centrum-West"}, "Brussels Hoofdstedelijk Gewest"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := renderPage(t, func(b *bytes.Buffer) error { return RenderOverview(b, snap, tt.lang, brussels()) })
			if !strings.Contains(page, tt.htmlTag) {
				t.Errorf("page does not declare %s", tt.htmlTag)
			}
			for i, b := range snap.Geography.Bassins {
				// Each bassin has a card whose title links to its page.
				card := `<h3><a href="` + href(bassinPath(b.Code), tt.lang) + `">` + tt.names[i] + `</a>`
				if !strings.Contains(page, card) {
					t.Errorf("no card for bassin %s: want %s", tt.names[i], card)
				}
			}
			if !strings.Contains(page, "<h3>"+tt.region+"</h3>") {
				t.Errorf("no card for the region %q", tt.region)
			}
		})
	}
}

func TestBassinShowsValueAndChange(t *testing.T) {
	snap := testSnapshot(t)
	tests := []struct {
		lang, value, change string
	}{
		{"fr", "1\u202f234", "+23,4\u202f%"},
		{"nl", "1.234", "+23,4%"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			if got := locale.New(tt.lang, nil).Int(int64(nordContactsLast)); got != tt.value {
				t.Fatalf("fixture out of date: locale gives %q, test expects %q", got, tt.value)
			}
			page := text(renderPage(t, func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord", tt.lang, brussels()) }))
			contacts, _ := snap.Lookup("contacts")
			row := rowOf(t, page, contacts.Name.Text(tt.lang))
			for _, want := range []string{">" + tt.value, ">" + locale.New(tt.lang, nil).Int(int64(nordContactsPrev)) + "<", ">" + tt.change + "<"} {
				if !strings.Contains(row, want) {
					t.Errorf("row %q lacks %q", row, want)
				}
			}
		})
	}
}

// rowOf returns the table row whose header cell is name.
func rowOf(t *testing.T, page, name string) string {
	t.Helper()
	i := strings.Index(page, `<th scope="row">`+name+`</th>`)
	if i < 0 {
		t.Fatalf("no table row for %q", name)
	}
	end := strings.Index(page[i:], "</tr>")
	return page[i : i+end]
}

var (
	chartOption = regexp.MustCompile(`let option_(\w+) = (.*)\n`)
	jsFunction  = regexp.MustCompile(`function \(\w+\) \{[^}]*\}`)
	// A table cell holding the suppressed count as a number.
	suppressedCell = regexp.MustCompile(`<t[dh][^>]*>\s*3\s*<`)
)

type chartData struct {
	XAxis []struct {
		Data []string `json:"data"`
	} `json:"xAxis"`
	Series []struct {
		Name string `json:"name"`
		Data []struct {
			Value any `json:"value"`
		} `json:"data"`
	} `json:"series"`
}

// chartsOf decodes the ECharts options written in a page, by chart id.
func chartsOf(t *testing.T, page string) map[string]chartData {
	t.Helper()
	out := map[string]chartData{}
	for _, m := range chartOption.FindAllStringSubmatch(page, -1) {
		var c chartData
		if err := json.Unmarshal([]byte(jsFunction.ReplaceAllString(m[2], "null")), &c); err != nil {
			t.Fatalf("chart %s: %v", m[1], err)
		}
		out[m[1]] = c
	}
	return out
}

func TestSuppressedValuesNeverShown(t *testing.T) {
	snap := testSnapshot(t)
	geo := snap.Geography
	jette := geo.Name(geography.LevelCommune, suppressedCommune, "fr")
	// The trend charts start 24 months before the last month.
	tdiIndex := suppressedTDIMonth - (26 - trendMonths)
	for _, lang := range []string{"fr", "nl"} {
		t.Run(lang, func(t *testing.T) {
			page := renderPage(t, func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord", lang, brussels()) })
			charts := chartsOf(t, page)
			for _, id := range []string{"bassin_activity", "bassin_treatment_demands", "bassin_communes_contacts"} {
				if _, ok := charts[id]; !ok {
					t.Fatalf("no chart %s in the page", id)
				}
			}
			for id, c := range charts {
				for _, s := range c.Series {
					for i, d := range s.Data {
						if d.Value == float64(suppressedCount) {
							t.Errorf("chart %s, series %q, point %d: the suppressed count %d is in the page", id, s.Name, i, suppressedCount)
						}
					}
				}
			}
			if got := charts["bassin_treatment_demands"].Series[0].Data[tdiIndex].Value; got != gap {
				t.Errorf("treatment demands chart: suppressed month is %v, want the gap %q", got, gap)
			}
			communes := charts["bassin_communes_contacts"]
			i := slices.Index(communes.XAxis[0].Data, geo.Name(geography.LevelCommune, suppressedCommune, lang))
			if i < 0 || communes.Series[0].Data[i].Value != gap {
				t.Errorf("communes chart: %s should be the gap %q, got index %d", jette, gap, i)
			}
			if m := suppressedCell.FindString(page); m != "" {
				t.Errorf("a table cell shows the suppressed count: %q", m)
			}
			readable := text(page)
			naloxone, _ := snap.Lookup("naloxone")
			if row := rowOf(t, readable, naloxone.Name.Text(lang)); !strings.Contains(row, ">< 5") {
				t.Errorf("naloxone row %q does not show \"< 5\"", row)
			}
			if row := rowOf(t, readable, geo.Name(geography.LevelCommune, suppressedCommune, lang)); !strings.Contains(row, ">< 5<") {
				t.Errorf("commune row %q does not show \"< 5\"", row)
			}
		})
	}
}

func TestNotesOnDefaultsAndUnassignedAreas(t *testing.T) {
	snap := testSnapshot(t)
	tests := []struct {
		name       string
		render     func(*bytes.Buffer) error
		want, omit []string
	}{
		{"overview fr", func(b *bytes.Buffer) error { return RenderOverview(b, snap, "fr", brussels()) },
			[]string{snap.Geography.SplitSource, "Quartier européen (1040, Bruxelles)", "mais dans aucun bassin", "Laeken (1020, Bruxelles)"}, nil},
		{"overview nl", func(b *bytes.Buffer) error { return RenderOverview(b, snap, "nl", brussels()) },
			[]string{snap.Geography.SplitSource, "Quartier européen (1040, Brussel)", "maar voor geen enkele zorgzone"}, nil},
		{"bassin with part of Bruxelles-Ville", func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord", "fr", brussels()) },
			[]string{snap.Geography.SplitSource, "Laeken (1020, Bruxelles)", "découpage par défaut", "dont une partie seulement appartient au bassin Nord"}, nil},
		{"bassin of whole communes", func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord-est", "fr", brussels()) },
			nil, []string{"découpage par défaut de Bruxelles-Ville par code postal", snap.Geography.SplitSource}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := text(renderPage(t, tt.render))
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(page, o) {
					t.Errorf("page should not say %q", o)
				}
			}
		})
	}
}

// anyAddress finds any web address in a page.
var anyAddress = regexp.MustCompile(`(?i)https?://`)

func TestPagesHaveNoExternalAddress(t *testing.T) {
	snap := testSnapshot(t)
	empty := indicators.NewSnapshot("", time.Time{}, snap.Geography, nil, 5, nil)
	pages := map[string]func(*bytes.Buffer) error{
		"overview":    func(b *bytes.Buffer) error { return RenderOverview(b, snap, "fr", brussels()) },
		"overview nl": func(b *bytes.Buffer) error { return RenderOverview(b, snap, "nl", brussels()) },
		"activity": func(b *bytes.Buffer) error {
			return RenderActivity(b, testRuns(), testLoads(), testQuarantine(), testDeliveries(), "fr", brussels())
		},
		"empty overview":   func(b *bytes.Buffer) error { return RenderOverview(b, empty, "fr", brussels()) },
		"empty bassin":     func(b *bytes.Buffer) error { return RenderBassin(b, empty, "sud", "nl", brussels()) },
		"overview, no run": func(b *bytes.Buffer) error { return RenderOverview(b, nil, "fr", brussels()) },
	}
	for _, b := range snap.Geography.Bassins {
		for _, lang := range []string{"fr", "nl"} {
			pages["bassin "+b.Code+" "+lang] = func(buf *bytes.Buffer) error { return RenderBassin(buf, snap, b.Code, lang, brussels()) }
		}
	}
	for name, fn := range pages {
		t.Run(name, func(t *testing.T) {
			page := renderPage(t, fn)
			if m := anyAddress.FindAllStringIndex(page, -1); m != nil {
				t.Errorf("page holds %d web addresses, first near %q", len(m), page[max(0, m[0][0]-40):min(len(page), m[0][1]+40)])
			}
		})
	}
}

// TestActivityTimeZone renders the activity page in UTC: the instants of the
// runs move by the offset of Brussels (one hour in March) and the page names
// the zone.
func TestActivityTimeZone(t *testing.T) {
	page := text(renderPage(t, func(b *bytes.Buffer) error {
		return RenderActivity(b, testRuns(), testLoads(), testQuarantine(), testDeliveries(), "fr", time.UTC)
	}))
	for _, want := range []string{"3 mars 2025 à 05:30", "date de référence\u00a0: 1er mars 2025 à 05:00", "(heure UTC)"} {
		if !strings.Contains(page, want) {
			t.Errorf("activity page in UTC lacks %q", want)
		}
	}
	if strings.Contains(page, "heure de Bruxelles") {
		t.Error("activity page in UTC speaks of Brussels time")
	}
}

func TestActivity(t *testing.T) {
	tests := []struct {
		lang string
		want []string
		// once must appear exactly once; omit never.
		once, omit []string
	}{
		{"fr", []string{"compute_indicators", "réussi", "échec", "en cours", "12\u202f345", "combo_2025-02.csv", "rejeté",
			"hxxps://clickhouse.internal:8443", "3 mars 2025 à 06:30", "2\u202f049",
			"Ligne 12, champ period (colonne « Période ») : cette date n'existe pas",
			"Ligne 12, champ hours (colonne « Heures ») : nombre négatif là où un compte est attendu",
			"Ligne 7, champ postcode (colonne « cp ») : hors de la Région de Bruxelles-Capitale",
			"30 lignes sur 40 en quarantaine, au-delà du seuil de la source : toute la livraison est refusée.",
			">annulé<", ">interrompu<", "tentative 2", ">Tâches<"},
			// Only the catch-up run shows its as-of time; the first attempt
			// shows no number.
			[]string{"date de référence\u00a0: 1er mars 2025 à 06:00", ">Tâche<", "(heure de Bruxelles)"}, []string{"tentative 1"}},
		{"nl", []string{"geslaagd", "mislukt", "bezig", "12.345", "geweigerd", "3 maart 2025 om 06:30",
			"Regel 12, veld period (kolom „Période”): deze datum bestaat niet",
			">geannuleerd<", ">onderbroken<", "poging 2", ">Taken<"},
			[]string{"peildatum: 1 maart 2025 om 06:00", ">Taak<", "(Brusselse tijd)"}, []string{"poging 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := text(renderPage(t, func(b *bytes.Buffer) error {
				return RenderActivity(b, testRuns(), testLoads(), testQuarantine(), testDeliveries(), tt.lang, brussels())
			}))
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("activity page lacks %q", w)
				}
			}
			for _, w := range tt.once {
				if n := strings.Count(page, w); n != 1 {
					t.Errorf("activity page shows %q %d times, want once", w, n)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(page, o) {
					t.Errorf("activity page shows %q", o)
				}
			}
			// Rejected values stay in the quarantine.
			for _, raw := range []string{"31/02/2025", "Dupont", "85.07.30", "1300", "-3"} {
				if strings.Contains(page, raw) {
					t.Errorf("activity page shows the rejected value %q", raw)
				}
			}
		})
	}
}

func TestEmptySnapshot(t *testing.T) {
	geo := testGeography(t)
	empty := indicators.NewSnapshot("", time.Time{}, geo, nil, 5, nil)
	tests := []struct {
		name   string
		render func(*bytes.Buffer) error
		want   string
	}{
		{"overview", func(b *bytes.Buffer) error { return RenderOverview(b, empty, "fr", brussels()) }, "Données pas encore calculées"},
		{"overview nl", func(b *bytes.Buffer) error { return RenderOverview(b, empty, "nl", brussels()) }, "Gegevens nog niet berekend"},
		{"nil snapshot", func(b *bytes.Buffer) error { return RenderOverview(b, nil, "fr", brussels()) }, "Données pas encore calculées"},
		{"bassin", func(b *bytes.Buffer) error { return RenderBassin(b, empty, "sud", "fr", brussels()) }, "Données pas encore calculées"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := text(renderPage(t, tt.render))
			if !strings.Contains(page, tt.want) {
				t.Errorf("page lacks %q", tt.want)
			}
			if strings.Contains(page, "<figure") {
				t.Error("page without values draws a chart")
			}
		})
	}
}

func TestUnknownBassin(t *testing.T) {
	snap := testSnapshot(t)
	for _, s := range []*indicators.Snapshot{snap, indicators.NewSnapshot("", time.Time{}, snap.Geography, nil, 5, nil)} {
		var buf bytes.Buffer
		err := RenderBassin(&buf, s, "inconnu", "fr", brussels())
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("RenderBassin(inconnu, brussels()) = %v, want ErrNotFound", err)
		}
		if buf.Len() != 0 {
			t.Errorf("RenderBassin(inconnu, brussels()) wrote %d bytes", buf.Len())
		}
	}
}

func TestServeHTTP(t *testing.T) {
	snap := testSnapshot(t)
	store := testStore(t, snap, testRuns(), testLoads())
	srv, err := New(Options{Location: brussels(), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	unavailable := unavailableStore(t)
	empty := testStore(t, indicators.NewSnapshot("", time.Time{}, snap.Geography, nil, 5, nil), nil, nil)
	tests := []struct {
		method, path string
		store        Store
		status       int
		contentType  string
		want         []string
		omit         []string
	}{
		{"GET", "/", nil, 200, "text/html", []string{"Vue régionale", `href="/?lang=nl"`, "Mois affiché", "février 2025"}, nil},
		{"GET", "/?lang=nl", nil, 200, "text/html", []string{"Gewestelijk overzicht", `<html lang="nl">`, "februari 2025"}, nil},
		{"GET", "/bassins/nord", nil, 200, "text/html", []string{"<h1>Bassin Nord</h1>", `href="/bassins/nord?lang=nl"`, `aria-current="page">Nord<`}, nil},
		{"GET", "/bassins/sud-est?lang=nl", nil, 200, "text/html", []string{"<h1>Zorgzone Zuid-Oost</h1>", `href="/bassins/sud-est" lang="fr"`, `href="/activite?lang=nl"`}, nil},
		{"GET", "/bassins/inconnu", nil, 404, "text/html", []string{"Page introuvable", `href="/bassins/nord"`}, nil},
		{"GET", "/bassins/inconnu?lang=nl", nil, 404, "text/html", []string{"Pagina niet gevonden"}, nil},
		{"GET", "/ailleurs", nil, 404, "text/html", []string{"Page introuvable"}, nil},
		{"GET", "/activite", nil, 200, "text/html", []string{"compute_indicators", "fedito_2025.xlsx", "Calcul du 3 mars 2025"}, nil},
		{"GET", "/healthz", nil, 200, "text/plain", []string{"ok"}, nil},
		{"GET", "/assets/echarts.min.js", nil, 200, "text/javascript", []string{"echarts"}, nil},
		{"POST", "/", nil, 405, "", nil, nil},
		{"GET", "/", unavailable, 503, "text/html", []string{"Données temporairement indisponibles"}, []string{"closed", "clickhouse"}},
		{"GET", "/activite", unavailable, 503, "text/html", []string{"Données temporairement indisponibles"}, nil},
		{"GET", "/activite?lang=nl", unavailable, 503, "text/html", []string{"Gegevens tijdelijk niet beschikbaar"}, nil},
		{"GET", "/", empty, 200, "text/html", []string{"Données pas encore calculées"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			s := srv
			if tt.store != nil {
				if s, err = New(Options{Location: brussels(), Store: tt.store}); err != nil {
					t.Fatal(err)
				}
			}
			req := httptest.NewRequestWithContext(t.Context(), tt.method, tt.path, nil)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Errorf("status %d, want %d", rec.Code, tt.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			body := text(rec.Body.String())
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q", w)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(body, o) {
					t.Errorf("body shows %q", o)
				}
			}
			if strings.HasPrefix(tt.contentType, "text/html") && anyAddress.MatchString(rec.Body.String()) {
				t.Error("page holds a web address")
			}
		})
	}
}

func TestSitePath(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/", "/"},
		{"/bassins/nord", "/bassins/nord"},
		{"/bassins/inconnu/", "/bassins/inconnu/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"/a b", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		if got := sitePath(tt.path); got != tt.want {
			t.Errorf("sitePath(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	if _, err := New(Options{Location: brussels()}); err == nil || !strings.Contains(err.Error(), "no store") {
		t.Errorf("New without a store: %v, want an error naming the store", err)
	}
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "no time zone") {
		t.Errorf("New without a time zone: %v, want an error naming the time zone", err)
	}
	_, err := readECharts(fstest.MapFS{"assets/README.md": {Data: []byte("copied at build")}})
	if err == nil || !strings.Contains(err.Error(), "run make") {
		t.Errorf("readECharts without the script: %v, want an error saying to run make", err)
	}
	if _, err := readECharts(assetsFS); err != nil {
		t.Errorf("embedded script: %v", err)
	}
}

func TestGolden(t *testing.T) {
	snap := testSnapshot(t)
	tests := []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"overview.fr.golden.html", func(b *bytes.Buffer) error { return RenderOverview(b, snap, "fr", brussels()) }},
		{"overview.nl.golden.html", func(b *bytes.Buffer) error { return RenderOverview(b, snap, "nl", brussels()) }},
		{"bassin-nord.fr.golden.html", func(b *bytes.Buffer) error { return RenderBassin(b, snap, "nord", "fr", brussels()) }},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := renderPage(t, tt.render)
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./dashboards/ -run TestGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the rendered page; check the change and run with -update to accept it\n%s", path, firstDifference(string(want), got))
			}
		})
	}
}

// firstDifference shows the first line that differs.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + wl + "\n  got: " + gl
		}
	}
	return ""
}

var _ http.Handler = (*Server)(nil)

var (
	scriptElement = regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)
	tag           = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>`)
	voidElements  = map[string]bool{"meta": true, "br": true, "img": true, "input": true, "link": true, "hr": true}
)

// TestPagesAreBalanced checks every element the templates open is closed:
// html/template does not, and a stray tag breaks the layout silently.
func TestPagesAreBalanced(t *testing.T) {
	snap := testSnapshot(t)
	pages := map[string]func(*bytes.Buffer) error{
		"overview": func(b *bytes.Buffer) error { return RenderOverview(b, snap, "fr", brussels()) },
		"bassin":   func(b *bytes.Buffer) error { return RenderBassin(b, snap, "sud", "nl", brussels()) },
		"activity": func(b *bytes.Buffer) error {
			return RenderActivity(b, testRuns(), testLoads(), testQuarantine(), testDeliveries(), "fr", brussels())
		},
		"empty": func(b *bytes.Buffer) error { return RenderOverview(b, nil, "fr", brussels()) },
	}
	for name, fn := range pages {
		t.Run(name, func(t *testing.T) {
			page := scriptElement.ReplaceAllString(renderPage(t, fn), "<script></script>")
			var open []string
			for _, m := range tag.FindAllStringSubmatch(page, -1) {
				el := strings.ToLower(m[2])
				switch {
				case voidElements[el]:
				case m[1] == "":
					open = append(open, el)
				case len(open) == 0 || open[len(open)-1] != el:
					t.Fatalf("</%s> closes %v", el, open)
				default:
					open = open[:len(open)-1]
				}
			}
			if len(open) != 0 {
				t.Errorf("elements left open: %v", open)
			}
		})
	}
}
