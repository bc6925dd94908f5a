package reports

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"html"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/locale"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// reportMonth is the month the test reports cover; the snapshot holds 26
// months up to it.
var reportMonth = time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC)

// Values the tests look for.
const (
	sudContacts = 1465 // contacts of Sud in March 2024
	suppressed  = 3    // contacts of Nord-Est in March 2024: below MinCount
)

// testSnapshot builds 26 months of values for every indicator, bassin and the
// region, with a suppressed count in the report month, a suppressed month in
// the line chart's range and a missing value.
func testSnapshot(t *testing.T) *indicators.Snapshot {
	t.Helper()
	g := loadGeography(t)
	first := reportMonth.AddDate(0, -25, 0)
	var values []indicators.Value
	// The rates of the default catalogue and the counts that are their
	// numerators, written by hand.
	rates := map[string]string{"contacts": "contacts_per_10k", "services": "services_per_10k"}
	popDate := time.Date(2023, time.January, 1, 0, 0, 0, 0, time.UTC)
	add := func(code, level, geo string, m time.Time, count float64) {
		v := indicators.Value{Indicator: code, PeriodType: "month", Level: level, Code: geo, Period: m,
			Value: count, Numerator: count, RunID: "run-test"}
		if code == "federation_consultations" {
			// Kept apart by federation: one federation's measure.
			v.Breakdown, v.Category = "federation", "fedito"
		}
		values = append(values, v)
		if rate, ok := rates[code]; ok {
			pop, est := g.Population(level, geo)
			values = append(values, indicators.Value{Indicator: rate, PeriodType: "month", Level: level, Code: geo, Period: m,
				Value: count / float64(pop) * 10000, Numerator: count, Denominator: float64(pop),
				RunID: "run-test", Estimated: est, PopulationDate: popDate})
		}
	}
	for k := range 26 {
		m := first.AddDate(0, k, 0)
		totals := map[string]float64{}
		for i, b := range g.Bassins {
			fi, fk := float64(i), float64(k)
			counts := map[string]float64{
				"contacts":                 900 + 120*fi + 13*fk,
				"persons":                  300 + 40*fi + 4*fk,
				"new_persons":              30 + 4*fi + float64(k%6),
				"syringes":                 1800 + 250*fi + 20*fk,
				"naloxone":                 6 + fi + float64(k%4),
				"referrals":                10 + 2*fi + float64(k%7),
				"treatment_demands":        20 + 3*fi + float64(k%5),
				"services":                 40 + 5*fi,
				"federation_consultations": 3000 + 100*fi + 7*fk,
			}
			switch {
			case b.Code == "nord-est" && m.Equal(reportMonth):
				counts["contacts"] = suppressed
			case b.Code == "nord-est" && m.Equal(time.Date(2023, time.July, 1, 0, 0, 0, 0, time.UTC)):
				counts["contacts"] = 2
			}
			for _, code := range fixtureIndicators {
				c := counts[code]
				totals[code] += c
				if code == "federation_consultations" && b.Code == "centre-ouest" && m.Equal(reportMonth) {
					continue // missing: the federation's export did not arrive
				}
				add(code, geography.LevelBassin, b.Code, m, c)
			}
		}
		for _, code := range fixtureIndicators {
			// The unassigned area counts in the region only.
			add(code, geography.LevelRegion, geography.RegionCode, m, totals[code]+25)
		}
	}
	return indicators.NewSnapshot("run-2024-04-02-0600", time.Date(2024, time.April, 2, 4, 0, 0, 0, time.UTC), g, nil, 5, values)
}

// fixtureIndicators are the counts of the fixture.
var fixtureIndicators = []string{"contacts", "persons", "new_persons", "syringes", "naloxone", "referrals",
	"treatment_demands", "services", "federation_consultations"}

// loadGeography loads the embedded default geography.
func loadGeography(t *testing.T) *geography.Geography {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// brussels is the time zone of the reports in the tests, the default one of
// the product's configuration.
func brussels(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func newTestWriter(t *testing.T, dir string) *Writer {
	t.Helper()
	w, err := New(Options{Dir: dir, Location: brussels(t)})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func render(t *testing.T, w *Writer, snap *indicators.Snapshot, lang string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := w.Render(&buf, snap, reportMonth, lang); err != nil {
		t.Fatalf("Render(%s): %v", lang, err)
	}
	return buf.String()
}

var cellPattern = regexp.MustCompile(`<td class="value[^"]*" data-indicator="([^"]+)" data-geography="([^"]+)">(.*?)</td>`)

// summaryCells returns the value printed in each cell of the summary table,
// by "indicator/geography", without the change line under it.
func summaryCells(t *testing.T, doc string) map[string]string {
	t.Helper()
	cells := map[string]string{}
	for _, m := range cellPattern.FindAllStringSubmatch(doc, -1) {
		value, _, _ := strings.Cut(m[3], `<span class="change">`)
		cells[m[1]+"/"+m[2]] = html.UnescapeString(value)
	}
	// 22 indicators of the default catalogue have a monthly total; the
	// fixture adds one federation's consultations.
	if want := (22 + 1) * 6; len(cells) != want {
		t.Fatalf("summary table has %d cells, want %d", len(cells), want)
	}
	return cells
}

func TestRender(t *testing.T) {
	snap := testSnapshot(t)
	w := newTestWriter(t, t.TempDir())
	tests := []struct {
		lang  string
		title string
		names []string
	}{
		{"fr", "Rapport mensuel des bassins d&#39;aide et de soins — mars 2024", []string{"Nord", "Nord-Est", "Sud", "Sud-Est", "Centre-Ouest"}},
		{"nl", "Maandrapport van de zorgzones — maart 2024", []string{"Noord", "Noord-Oost", "Zuid", "Zuid-Oost", "Centrum-West"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			doc := render(t, w, snap, tt.lang)
			if !strings.Contains(doc, "<h1>"+tt.title+"</h1>") {
				t.Errorf("title %q not found", tt.title)
			}
			for _, name := range tt.names {
				if !strings.Contains(doc, `<th scope="col">`+name) {
					t.Errorf("no column for bassin %q", name)
				}
			}
			for _, s := range []string{"http://", "https://"} {
				if strings.Contains(doc, s) {
					t.Errorf("report contains %q: it must not reference any external resource", s)
				}
			}
			if !strings.Contains(doc, "run-2024-04-02-0600") {
				t.Error("run id missing")
			}

			cells := summaryCells(t, doc)
			if got, want := cells["contacts/sud"], locale.New(tt.lang, nil).Number(sudContacts, 0); got != want {
				t.Errorf("contacts of Sud: got %q, want %q", got, want)
			}
			for _, key := range []string{"contacts/nord-est", "contacts_per_10k/nord-est"} {
				if got := cells[key]; got != "< 5" {
					t.Errorf("%s: got %q, want the suppressed mark %q", key, got, "< 5")
				}
			}
			cell := cellPattern.FindStringSubmatch(doc[strings.Index(doc, `data-indicator="contacts" data-geography="nord-est"`)-40:])
			if cell == nil || strings.Contains(cell[3], "3") || strings.Contains(cell[3], "change") {
				t.Errorf("suppressed cell shows more than its mark: %v", cell)
			}
			if got := cells["federation_consultations/centre-ouest"]; got != "—" {
				t.Errorf("missing value: got %q, want %q", got, "—")
			}
			if got := cells["services_per_10k/04000"]; got == "" || got == "—" {
				t.Errorf("region rate missing: %q", got)
			}

			images := imagePattern.FindAllStringSubmatch(doc, -1)
			if len(images) != 3 {
				t.Fatalf("found %d embedded charts, want 3", len(images))
			}
			for i, img := range images {
				if strings.TrimSpace(html.UnescapeString(img[2])) == "" {
					t.Errorf("chart %d has no alt text", i)
				}
				// html/template writes "+" as "&#43;" in attributes; browsers decode it.
				raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(img[1]))
				if err != nil {
					t.Fatalf("chart %d: %v", i, err)
				}
				pic, err := png.Decode(bytes.NewReader(raw))
				if err != nil {
					t.Fatalf("chart %d is not a PNG: %v", i, err)
				}
				if b := pic.Bounds(); len(raw) < 5000 || b.Dx() < 400 || b.Dy() < 200 {
					t.Errorf("chart %d is trivially small: %d bytes, %v", i, len(raw), b)
				}
			}
		})
	}
}

// TestRenderComparisons checks the year before, the interval, the marker,
// the incomplete mark and the warning on an old population.
func TestRenderComparisons(t *testing.T) {
	snap := testSnapshot(t)
	values := append([]indicators.Value(nil), snap.Values...)
	for i, v := range values {
		if v.Indicator == "contacts" && v.Code == "sud" && v.Period.Equal(reportMonth) {
			values[i].Incomplete = true
		}
		if v.Indicator == "services_per_10k" && v.Code == "nord" && v.Period.Equal(reportMonth) {
			values[i].PopulationDate = time.Date(2021, time.January, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	old := indicators.NewSnapshot(snap.RunID, snap.ComputedAt, snap.Geography, nil, 5, values)
	w := newTestWriter(t, t.TempDir())
	tests := []struct {
		lang, yearBefore, interval, incomplete, warning, popDates string
	}{
		// Sud's contacts a year before: 900 + 120×2 + 13×13.
		{"fr", "un an avant : 1\u202f309", "IC 95\u202f% : ", "incomplet",
			"Attention : pour mars 2024, des taux reposent sur une population au 1er janvier 2021, plus de deux ans avant ce mois",
			"population au 1er janvier 2021 et 1er janvier 2023"},
		{"nl", "een jaar eerder: 1.309", "BI 95%: ", "onvolledig",
			"Opgelet: voor maart 2024 steunen cijfers op de bevolking op 1 januari 2021, meer dan twee jaar vóór die maand",
			"bevolking op 1 januari 2021 en 1 januari 2023"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			cellOf := func(doc, key string) string {
				for _, m := range cellPattern.FindAllStringSubmatch(doc, -1) {
					if m[1]+"/"+m[2] == key {
						return html.UnescapeString(m[3])
					}
				}
				t.Fatalf("no cell %s", key)
				return ""
			}
			doc := html.UnescapeString(render(t, w, snap, tt.lang))
			if c := cellOf(doc, "contacts/sud"); !strings.Contains(c, tt.yearBefore) || strings.Contains(c, tt.interval) {
				t.Errorf("contacts of Sud %q: want %q and no interval", c, tt.yearBefore)
			}
			// About 1 500 contacts for 313 203 inhabitants against about 0,8
			// per 10 000 for the whole Region with fewer contacts each.
			if c := cellOf(doc, "contacts_per_10k/sud"); !strings.Contains(c, tt.interval) || !strings.Contains(c, "◆") {
				t.Errorf("rate of Sud %q: want an interval and the marker", c)
			}
			if c := cellOf(doc, "contacts_per_10k/04000"); strings.Contains(c, tt.interval+"") && strings.Contains(c, "◆") {
				t.Errorf("the Region %q is not marked against itself", c)
			}
			if strings.Contains(doc, tt.warning) || strings.Contains(doc, tt.incomplete+"<") {
				t.Error("a warning or an incomplete mark without cause")
			}
			doc = html.UnescapeString(render(t, w, old, tt.lang))
			if c := cellOf(doc, "contacts/sud"); !strings.Contains(c, tt.incomplete) {
				t.Errorf("contacts of Sud %q lack %q", c, tt.incomplete)
			}
			for _, want := range []string{tt.warning, tt.popDates} {
				if !strings.Contains(doc, want) {
					t.Errorf("report lacks %q", want)
				}
			}
		})
	}
}

var imagePattern = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)" alt="([^"]*)"`)

func TestRenderNotes(t *testing.T) {
	snap := testSnapshot(t)
	w := newTestWriter(t, t.TempDir())
	tests := []struct {
		lang string
		want []string
	}{
		{"fr", []string{
			snap.Geography.SplitSource,
			"Nord : population estimée pour Bruxelles 1020 (Laeken), Bruxelles 1120 (Neder-Over-Heembeek) et Bruxelles 1130 (Haren).",
			"Sud : répartition par défaut et population estimée pour Bruxelles 1050 (Louise / Bois de la Cambre).",
			"Bruxelles 1040 (Quartier européen)",
			"Centre-Ouest&nbsp;*",
			"Sud-Est</th>",
			"les nombres inférieurs à 5 ne sont pas publiés",
			"Contacts au cours desquels la personne a été orientée vers un autre service, par destination.",
			"Travail de rue / équipes mobiles</th>",
			"Activité des fédérations</th>",
			"Consultations déclarées par fédération — fedito",
			"population au 1er janvier 2023",
			"◆ : l&#39;intervalle de confiance à 95\u202f% de la valeur du bassin exclut la valeur de la Région",
			"Contacts des équipes mobiles, par mois et par bassin, d&#39;avril 2022 à mars 2024",
			"Calcul run-2024-04-02-0600, effectué le 2 avril 2024 à 06:00",
			"situation au 1er janvier 2020",
		}},
		{"nl", []string{
			snap.Geography.SplitSource,
			"Noord: geschatte bevolking voor Brussel 1020, Brussel 1120 en Brussel 1130.",
			"Zuid: standaardverdeling en geschatte bevolking voor Brussel 1050.",
			"(Brussel 1040; 10.000 inwoners)",
			"aantallen kleiner dan 5 niet gepubliceerd",
			"Contacten waarbij de persoon naar een andere dienst werd doorverwezen, per bestemming.",
			"Outreach / mobiele teams</th>",
			"Activiteit van de federaties</th>",
			"bevolking op 1 januari 2023",
			"◆: het 95%-betrouwbaarheidsinterval van de waarde van de zorgzone sluit de waarde van het Gewest uit",
			"van april 2022 tot maart 2024",
			"uitgevoerd op 2 april 2024 om 06:00",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			t.Parallel()
			doc := render(t, w, snap, tt.lang)
			for _, s := range tt.want {
				if !strings.Contains(doc, s) {
					t.Errorf("report lacks %q", s)
				}
			}
		})
	}
}

func TestRenderNoData(t *testing.T) {
	snap := testSnapshot(t)
	dir := t.TempDir()
	w := newTestWriter(t, dir)
	tests := []struct {
		name   string
		snap   *indicators.Snapshot
		period time.Time
	}{
		{"month after the snapshot", snap, time.Date(2024, time.April, 1, 0, 0, 0, 0, time.UTC)},
		{"month before the snapshot", snap, time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)},
		{"empty snapshot", indicators.NewSnapshot("run-empty", time.Now(), snap.Geography, nil, 5, nil), reportMonth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := w.Render(&buf, tt.snap, tt.period, "fr")
			if !errors.Is(err, ErrNoData) {
				t.Fatalf("Render: got %v, want ErrNoData", err)
			}
			if buf.Len() != 0 {
				t.Errorf("Render wrote %d bytes for a month without data", buf.Len())
			}
			paths, err := w.WriteMonthly(t.Context(), tt.snap, tt.period)
			if !errors.Is(err, ErrNoData) || len(paths) != 0 {
				t.Fatalf("WriteMonthly: got %v, %v; want ErrNoData and no file", paths, err)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.period.Format("2006-01"))); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a folder was created for a month without data: %v", err)
			}
		})
	}
}

func TestWriteMonthly(t *testing.T) {
	snap := testSnapshot(t)
	tests := []struct {
		languages []string
		files     []string
	}{
		{nil, []string{"rapport-mensuel-2024-03.fr.html", "maandrapport-2024-03.nl.html"}},
		{[]string{"nl"}, []string{"maandrapport-2024-03.nl.html"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.files, "+"), func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "var", "reports")
			w, err := New(Options{Dir: dir, Languages: tt.languages, Location: brussels(t)})
			if err != nil {
				t.Fatal(err)
			}
			// A stale file from an earlier run is replaced.
			if err := os.MkdirAll(filepath.Join(dir, "2024-03"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "2024-03", tt.files[0]), []byte("stale"), 0o644); err != nil {
				t.Fatal(err)
			}
			for run := range 2 {
				paths, err := w.WriteMonthly(t.Context(), snap, reportMonth)
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				if len(paths) != len(tt.files) {
					t.Fatalf("run %d: wrote %v, want %v", run, paths, tt.files)
				}
				for i, p := range paths {
					if want := filepath.Join(dir, "2024-03", tt.files[i]); p != want {
						t.Errorf("path %d: got %s, want %s", i, p, want)
					}
					b, err := os.ReadFile(p)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) || !bytes.HasSuffix(b, []byte("</html>\n")) {
						t.Errorf("%s is not a whole HTML document", p)
					}
				}
			}
			entries, err := os.ReadDir(filepath.Join(dir, "2024-03"))
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(tt.files) {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("folder holds %v, want only %v (no temporary file left)", names, tt.files)
			}
		})
	}
}

func TestWriteMonthlyCancelled(t *testing.T) {
	snap := testSnapshot(t)
	w := newTestWriter(t, t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := w.WriteMonthly(ctx, snap, reportMonth); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		err  string
	}{
		{"defaults", Options{Dir: "var/reports", Location: time.UTC}, ""},
		{"dutch only", Options{Dir: "var/reports", Languages: []string{"nl"}, Location: time.UTC}, ""},
		{"no folder", Options{Location: time.UTC}, "no output folder"},
		{"no time zone", Options{Dir: "var/reports"}, "no time zone"},
		{"unknown language", Options{Dir: "var/reports", Languages: []string{"fr", "de"}, Location: time.UTC}, `"de" is not a report language`},
		{"language twice", Options{Dir: "var/reports", Languages: []string{"fr", "fr"}, Location: time.UTC}, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("got error %v, want %q", err, tt.err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "reports: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestRenderUnknownLanguage(t *testing.T) {
	w := newTestWriter(t, t.TempDir())
	var buf bytes.Buffer
	if err := w.Render(&buf, testSnapshot(t), reportMonth, "de"); err == nil || errors.Is(err, ErrNoData) {
		t.Fatalf("got %v, want an unknown language error", err)
	}
}

// TestLocation checks that the computation time is written in the configured
// time zone, named as such.
func TestLocation(t *testing.T) {
	snap := testSnapshot(t) // computed on 2 April 2024 at 04:00 UTC
	tests := []struct {
		name string
		loc  *time.Location
		lang string
		want string
	}{
		{"Brussels", brussels(t), "fr", "effectué le 2 avril 2024 à 06:00 (heure de Bruxelles)."},
		{"Brussels nl", brussels(t), "nl", "uitgevoerd op 2 april 2024 om 06:00 (Brusselse tijd)."},
		{"UTC", time.UTC, "fr", "effectué le 2 avril 2024 à 04:00 (heure UTC)."},
		{"UTC nl", time.UTC, "nl", "uitgevoerd op 2 april 2024 om 04:00 (UTC-tijd)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := New(Options{Dir: t.TempDir(), Location: tt.loc})
			if err != nil {
				t.Fatal(err)
			}
			if doc := render(t, w, snap, tt.lang); !strings.Contains(doc, tt.want) {
				t.Errorf("the %s report does not contain %q", tt.lang, tt.want)
			}
		})
	}
}

func TestReportPeriod(t *testing.T) {
	brussels := brussels(t)
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"first of March, 06:00", time.Date(2025, time.March, 1, 6, 0, 0, 0, brussels), month(2025, time.February)},
		{"middle of a month", time.Date(2024, time.July, 17, 12, 0, 0, 0, time.UTC), month(2024, time.June)},
		{"new year in Brussels, still 31 December in UTC", time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC), month(2024, time.December)},
		{"last minutes of the year in Brussels", time.Date(2024, time.December, 31, 22, 59, 0, 0, time.UTC), month(2024, time.November)},
		{"January run covers December of the previous year", time.Date(2025, time.January, 2, 6, 0, 0, 0, brussels), month(2024, time.December)},
		// Summer time began on 30 March 2025: Brussels is UTC+2 on 1 April.
		{"after the spring DST change, 1 April 00:30 Brussels", time.Date(2025, time.March, 31, 22, 30, 0, 0, time.UTC), month(2025, time.March)},
		{"after the spring DST change, 31 March 23:30 Brussels", time.Date(2025, time.March, 31, 21, 30, 0, 0, time.UTC), month(2025, time.February)},
		// Summer time ended on 27 October 2024: Brussels is UTC+1 on 1 November.
		{"after the autumn DST change, 1 November 00:30 Brussels", time.Date(2024, time.October, 31, 23, 30, 0, 0, time.UTC), month(2024, time.October)},
		{"after the autumn DST change, 31 October 23:30 Brussels", time.Date(2024, time.October, 31, 22, 30, 0, 0, time.UTC), month(2024, time.September)},
		{"on the night of the spring DST change", time.Date(2025, time.March, 30, 2, 30, 0, 0, brussels), month(2025, time.February)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReportPeriod(tt.now, brussels); !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ReportPeriod(%s) = %s, want %s", tt.now.Format(time.RFC3339), got, tt.want)
			}
		})
	}
	// Counted in UTC, the last half hour of 2024 is still in December.
	if got, want := ReportPeriod(time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC), time.UTC), month(2024, time.November); !got.Equal(want) {
		t.Errorf("ReportPeriod in UTC = %s, want %s", got, want)
	}
}

// dataURIs stand for the charts in the golden files: PNG bytes depend on the
// font rasteriser, the table and text do not.
var dataURIs = regexp.MustCompile(`data:image/png;base64,[^"]+`)

func TestGolden(t *testing.T) {
	snap := testSnapshot(t)
	w := newTestWriter(t, t.TempDir())
	for _, lang := range []string{"fr", "nl"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			doc := dataURIs.ReplaceAllString(render(t, w, snap, lang), "data:image/png;base64,PLACEHOLDER")
			golden := filepath.Join("testdata", "monthly-2024-03."+lang+".golden.html")
			if *update {
				if err := os.WriteFile(golden, []byte(doc), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./reports/ -run TestGolden -update to create it)", err)
			}
			if doc != string(want) {
				t.Errorf("%s report differs from %s (run with -update and review the diff)", lang, golden)
			}
		})
	}
}
