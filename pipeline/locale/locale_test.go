package locale_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/locale"
)

const nnbsp = "\u202f"

func brussels(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestNumber(t *testing.T) {
	tests := []struct {
		x        float64
		decimals int
		lang     string
		want     string
	}{
		{10000, 0, "fr", "10" + nnbsp + "000"},
		{10000, 0, "nl", "10.000"},
		{1234.5, 1, "fr", "1" + nnbsp + "234,5"},
		{1234.5, 1, "nl", "1.234,5"},
		{1234567, 0, "fr", "1" + nnbsp + "234" + nnbsp + "567"},
		{1234567, 0, "nl", "1.234.567"},
		{12.345, 1, "fr", "12,3"},
		{-1234.5, 1, "fr", "-1" + nnbsp + "234,5"},
		{-1234567, 0, "nl", "-1.234.567"},
		{-0.04, 1, "fr", "0,0"}, // rounds to zero: no minus sign
		{0, 0, "fr", "0"},
		{999, 0, "fr", "999"},
		{999.96, 1, "fr", "1" + nnbsp + "000,0"}, // the rounding carries into a new group
		{100000, 0, "nl", "100.000"},
		{0.75, 2, "fr", "0,75"},
		{5, 0, "de", "5"}, // an unknown language is French
	}
	for _, tt := range tests {
		if got := locale.New(tt.lang, nil).Number(tt.x, tt.decimals); got != tt.want {
			t.Errorf("Number(%v, %d) in %s = %q, want %q", tt.x, tt.decimals, tt.lang, got, tt.want)
		}
	}
}

func TestIntPercentChangePer(t *testing.T) {
	fr, nl := locale.New("fr", nil), locale.New("nl", nil)
	tests := []struct{ name, got, want string }{
		{"int fr", fr.Int(1208000), "1" + nnbsp + "208" + nnbsp + "000"},
		{"int nl", nl.Int(1208000), "1.208.000"},
		{"int negative", fr.Int(-12), "-12"},
		{"percent fr", fr.Percent(12.34, 1), "12,3" + nnbsp + "%"},
		{"percent nl", nl.Percent(12.34, 1), "12,3%"},
		{"change up fr", fr.Change(12.34), "+12,3" + nnbsp + "%"},
		{"change up nl", nl.Change(12.34), "+12,3%"},
		{"change down", fr.Change(-4), "-4,0" + nnbsp + "%"},
		{"change rounding to zero", nl.Change(0.04), "0,0%"},
		{"change of minus zero", fr.Change(-0.04), "0,0" + nnbsp + "%"},
		{"per fr", fr.PerInhabitants(10000), "pour 10" + nnbsp + "000 habitants"},
		{"per nl", nl.PerInhabitants(10000), "per 10.000 inwoners"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestMonths(t *testing.T) {
	fullFR := []string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	fullNL := []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}
	shortFR := []string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
	shortNL := []string{"jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."}
	fr, nl := locale.New("fr", nil), locale.New("nl", nil)
	for i := range 12 {
		m := time.Month(i + 1)
		for _, tt := range []struct{ got, want string }{
			{fr.MonthName(m), fullFR[i]}, {nl.MonthName(m), fullNL[i]},
			{fr.ShortMonthName(m), shortFR[i]}, {nl.ShortMonthName(m), shortNL[i]},
		} {
			if tt.got != tt.want {
				t.Errorf("month %d: got %q, want %q", m, tt.got, tt.want)
			}
		}
	}
	march := time.Date(2024, time.March, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct{ got, want string }{
		{fr.Month(march), "mars 2024"},
		{nl.Month(march), "maart 2024"},
		{nl.ShortMonth(march), "mrt. 2024"},
		{fr.ShortMonth(time.Date(2023, time.February, 1, 0, 0, 0, 0, time.UTC)), "févr. 2023"},
		{fr.MonthSpan(time.Date(2022, time.April, 1, 0, 0, 0, 0, time.UTC), march), "d'avril 2022 à mars 2024"},
		{fr.MonthSpan(time.Date(2022, time.March, 1, 0, 0, 0, 0, time.UTC), march), "de mars 2022 à mars 2024"},
		{nl.MonthSpan(time.Date(2022, time.April, 1, 0, 0, 0, 0, time.UTC), march), "van april 2022 tot maart 2024"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestDates(t *testing.T) {
	bxl := brussels(t)
	// 31 December 2024 at 23:30 UTC is already 1 January 2025 in Brussels.
	newYear := time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC)
	summer := time.Date(2024, time.July, 14, 21, 59, 0, 0, time.UTC) // 23:59 in Brussels
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"date fr, first of the month", locale.New("fr", bxl).Date(time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)), "1er janvier 2020"},
		{"date nl, first of the month", locale.New("nl", bxl).Date(time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC)), "1 januari 2020"},
		{"date is not converted", locale.New("fr", bxl).Date(time.Date(2024, time.May, 31, 0, 0, 0, 0, time.UTC)), "31 mai 2024"},
		{"midnight in Brussels", locale.New("fr", bxl).DateTime(newYear), "1er janvier 2025 à 00:30"},
		{"midnight in UTC", locale.New("fr", time.UTC).DateTime(newYear), "31 décembre 2024 à 23:30"},
		{"midnight in Brussels nl", locale.New("nl", bxl).DateTime(newYear), "1 januari 2025 om 00:30"},
		{"nil location is UTC", locale.New("nl", nil).DateTime(newYear), "31 december 2024 om 23:30"},
		{"summer time", locale.New("fr", bxl).DateTime(summer), "14 juillet 2024 à 23:59"},
		{"zero time", locale.New("fr", bxl).DateTime(time.Time{}), "—"},
		{"data of", locale.New("fr", bxl).DataOf(summer), "Données du 14 juillet 2024 à 23:59"},
		{"data of nl", locale.New("nl", time.UTC).DataOf(summer), "Gegevens van 14 juli 2024 om 21:59"},
		{"zone Brussels", locale.New("fr", bxl).Zone(), "heure de Bruxelles"},
		{"zone Brussels nl", locale.New("nl", bxl).Zone(), "Brusselse tijd"},
		{"zone UTC", locale.New("fr", nil).Zone(), "heure UTC"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestPreviousMonth(t *testing.T) {
	bxl := brussels(t)
	month := func(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }
	newYear := time.Date(2024, time.December, 31, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		loc  *time.Location
		now  time.Time
		want time.Time
	}{
		{"new year in Brussels", bxl, newYear, month(2024, time.December)},
		{"still December in UTC", time.UTC, newYear, month(2024, time.November)},
		{"first of March, 06:00 Brussels", bxl, time.Date(2025, time.March, 1, 6, 0, 0, 0, bxl), month(2025, time.February)},
	}
	for _, tt := range tests {
		got := locale.New("fr", tt.loc).PreviousMonth(tt.now)
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestWords(t *testing.T) {
	fr, nl := locale.New("fr", nil), locale.New("nl", nil)
	tests := []struct{ got, want string }{
		{fr.Jobs(), "Tâches"}, {nl.Jobs(), "Taken"},
		{fr.Job(), "Tâche"}, {nl.Job(), "Taak"},
		{fr.Status("ok"), "réussi"}, {nl.Status("ok"), "geslaagd"},
		{fr.Status("failed"), "échec"}, {nl.Status("failed"), "mislukt"},
		{fr.Status("cancelled"), "annulé"}, {fr.Status("interrupted"), "interrompu"},
		{fr.Status("running"), "en cours"}, {nl.Status("running"), "bezig"},
		{fr.Status("something new"), "something new"},
		{fr.NoValueNote(), "« — » : pas de valeur pour ce mois."},
		{nl.NoValueNote(), "„—”: geen waarde voor deze maand."},
		{fr.List([]string{"a", "b", "c"}), "a, b et c"}, {nl.List([]string{"a", "b"}), "a en b"},
		{fr.Withheld(), "n.p."}, {nl.Withheld(), "n.g."},
		{fr.Interval(5.26, 1234.5, 1), "5,3 – 1\u202f234,5"}, {nl.Interval(0.04, 12, 1), "0,0 – 12,0"},
		{fr.Incomplete(), "incomplet"}, {nl.Incomplete(), "onvolledig"},
		{fr.PopulationOf(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), "population au 1er janvier 2024"},
		{nl.PopulationOf(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)), "bevolking op 1 januari 2024"},
		{fr.Tag(), "fr-BE"}, {nl.Tag(), "nl-BE"},
		{fr.OutdatedPopulation(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), locale.NoBreak),
			"Attention\u00a0: pour mars 2025, des taux reposent sur une population au 1er janvier 2022, plus de deux ans avant ce mois\u00a0; la population a pu changer depuis."},
		{fr.OutdatedPopulation(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), locale.Plain),
			"Attention : pour mars 2025, des taux reposent sur une population au 1er janvier 2022, plus de deux ans avant ce mois ; la population a pu changer depuis."},
		{nl.OutdatedPopulation(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), locale.NoBreak),
			"Opgelet: voor maart 2025 steunen cijfers op de bevolking op 1 januari 2022, meer dan twee jaar vóór die maand; de bevolking kan sindsdien veranderd zijn."},
		{fr.DiffersMark(), "L'intervalle du bassin exclut la valeur de la Région"},
		{nl.DiffersMark(), "Het interval van de zorgzone sluit de waarde van het Gewest uit"},
		{fr.DiffersNote(locale.NoBreak), "◆\u00a0: l'intervalle de confiance à 95\u202f% de la valeur du bassin exclut la valeur de la Région\u00a0; l'écart ne s'explique probablement pas par le seul hasard."},
		{fr.DiffersNote(locale.Plain), "◆ : l'intervalle de confiance à 95\u202f% de la valeur du bassin exclut la valeur de la Région ; l'écart ne s'explique probablement pas par le seul hasard."},
		{nl.DiffersNote(locale.Plain), "◆: het 95%-betrouwbaarheidsinterval van de waarde van de zorgzone sluit de waarde van het Gewest uit; het verschil is waarschijnlijk niet louter toeval."},
		{fr.IncompleteNote(locale.NoBreak), "«\u00a0incomplet\u00a0»\u00a0: des livraisons manquent pour ce mois\u00a0; la valeur peut encore changer."},
		{fr.IncompleteNote(locale.Plain), "« incomplet » : des livraisons manquent pour ce mois ; la valeur peut encore changer."},
		{nl.IncompleteNote(locale.NoBreak), "„onvolledig”: voor deze maand ontbreken leveringen; de waarde kan nog veranderen."},
		{locale.Normalize(" NL "), "nl"}, {locale.Normalize("de"), "fr"}, {locale.Normalize(""), "fr"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := locale.Languages(); len(got) != 2 || got[0] != "fr" || got[1] != "nl" {
		t.Errorf("Languages() = %v, want [fr nl]", got)
	}
}

// TestOneSourceOfFormats scans the Go sources and templates of the module
// (tests and comments aside): month names are written in this package only,
// thousands are never grouped with a plain space, the jobs are never called
// « traitements », the bassins are never "bekkens" in Dutch and the missing
// value is never the en dash.
func TestOneSourceOfFormats(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	own, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	rules := []struct {
		what string
		re   *regexp.Regexp
	}{
		{"a month name", regexp.MustCompile(`(?i)\b(janvier|januari|février|februari|juillet|augustus|décembre)\b|"(janv|févr|mrt|juil|déc)\.`)},
		{"thousands grouped with a plain space", regexp.MustCompile(`\b\d{1,3} \d{3}\b`)},
		{"jobs called traitements", regexp.MustCompile(`"Traitements?"|traitements? (programmé|enregistré)`)},
		{"bassins called bekkens", regexp.MustCompile(`(?i)\bbekkens?\b`)},
		{"an en dash as the missing value", regexp.MustCompile(`"–"|'–'|« – »|„–”`)},
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			if path == own {
				return filepath.SkipDir
			}
			return nil
		}
		// Tests write their expected texts by hand, as they must.
		if strings.HasSuffix(path, "_test.go") ||
			!strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") && !strings.HasSuffix(path, ".tmpl") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for n, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, r := range rules {
				if r.re.MatchString(line) {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s:%d: %s outside package locale: %s", rel, n+1, r.what, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("only %d source files checked: the walk missed the module", checked)
	}
}
