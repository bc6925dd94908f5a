package compute_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/brusano/bassins/config"
	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/ingest"
	"github.com/brusano/bassins/pipeline/privacy"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/warehousetest"
)

// The fixture, small enough to count by hand. Postcodes: 1080 Molenbeek
// (21012, Centre-Ouest), 1030 Schaerbeek (21015, Nord-Est), 1210
// Saint-Josse (21014, Nord-Est).
//
//	#  date        person  postcode  place   poles            referral      syringes kits naloxone
//	1  2024-01-10  A       1080      rue     medical          -             5        0    0
//	2  2024-01-20  B       1030      gare    social, medical  CPAS          0        0    1
//	3  2025-01-05  A       1080      rue     medical          -             2        0    0
//	4  2025-01-06  A       1030      rue     -                -             0        0    2
//	5  2025-01-15  C       1030      gare    social           hôpital       0        0    0
//	6  2025-02-03  C       1210      rue     -                -             0        3    0
//	7  2025-02-10  D       1080      squat   -                CPAS          10       0    0
//	8  2025-03-01  B       1080      rue     -                -             0        0    0
const combo2024 = `{"date":"2024-01-10","time":"10:00","team":"t1","place_type":"rue","postcode":"1080","person":"A","poles":["medical"],"referral":false,"referral_destination":"","syringes":5,"kits":0,"naloxone":0}
{"date":"2024-01-20","time":"10:00","team":"t1","place_type":"gare","postcode":"1030","person":"B","poles":["social","medical"],"referral":true,"referral_destination":"CPAS","syringes":0,"kits":0,"naloxone":1}
`

const combo2025 = `{"date":"2025-01-05","time":"10:00","team":"t1","place_type":"rue","postcode":"1080","person":"A","poles":["medical"],"referral":false,"referral_destination":"","syringes":2,"kits":0,"naloxone":0}
{"date":"2025-01-06","time":"10:00","team":"t1","place_type":"rue","postcode":"1030","person":"A","poles":[],"referral":false,"referral_destination":"","syringes":0,"kits":0,"naloxone":2}
{"date":"2025-01-15","time":"10:00","team":"t2","place_type":"gare","postcode":"1030","person":"C","poles":["social"],"referral":true,"referral_destination":"hôpital","syringes":0,"kits":0,"naloxone":0}
{"date":"2025-02-03","time":"10:00","team":"t2","place_type":"rue","postcode":"1210","person":"C","poles":[],"referral":false,"referral_destination":"","syringes":0,"kits":3,"naloxone":0}
{"date":"2025-02-10","time":"10:00","team":"t1","place_type":"squat","postcode":"1080","person":"D","poles":[],"referral":true,"referral_destination":"CPAS","syringes":10,"kits":0,"naloxone":0}
{"date":"2025-03-01","time":"10:00","team":"t1","place_type":"rue","postcode":"1080","person":"B","poles":[],"referral":false,"referral_destination":"","syringes":0,"kits":0,"naloxone":0}
`

// Two federations report the same service kinds: their measures stay apart.
//
//	FEDITO January 2025: S1 1080 consultations 10, persons 4, hours 7,5; S2 1030 consultations 6, persons 2, hours 3
//	LBSM   January 2025: L1 1030 consultations 20, persons 9, hours 12
const fedito = "Période;Code service;Nom du service;Code postal;Consultations;Personnes suivies;Heures prestées\r\n" +
	"01/01/2025;S1;Service un;1080;10;4;7,5\r\n" +
	"01/01/2025;S2;Service deux;1030;6;2;3\r\n"

const lbsm = "Période;Code service;Nom du service;Code postal;Consultations;Personnes suivies;Heures prestées\r\n" +
	"01/01/2025;L1;Service L;1030;20;9;12\r\n"

// Inventories: on 1 December 2024 three services (two in 1080, one in
// 1030); on 1 February 2025 a fourth one in 1210.
const inventory2024 = "Code service;Nom;Type;Fédération;Adresse;Code postal;Commune (NIS);Date de référence\r\n" +
	"S1;Service un;service en assuétudes;FEDITO BXL;rue A 1;1080;;01/12/2024\r\n" +
	"S3;Service trois;maison médicale;FMM;rue B 2;1080;;01/12/2024\r\n" +
	"S2;Service deux;service en assuétudes;FEDITO BXL;rue C 3;1030;;01/12/2024\r\n"

const inventory2025 = "Code service;Nom;Type;Fédération;Adresse;Code postal;Commune (NIS);Date de référence\r\n" +
	"S1;Service un;service en assuétudes;FEDITO BXL;rue A 1;1080;;01/02/2025\r\n" +
	"S3;Service trois;maison médicale;FMM;rue B 2;1080;;01/02/2025\r\n" +
	"S2;Service deux;service en assuétudes;FEDITO BXL;rue C 3;1030;;01/02/2025\r\n" +
	"S4;Service quatre;maison médicale;FMM;rue D 4;1210;;01/02/2025\r\n"

func writeFile(t *testing.T, dir, name, body string, latin1 bool) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte(body)
	if latin1 {
		var err error
		if data, err = charmap.Windows1252.NewEncoder().Bytes(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

type cellKey struct {
	indicator, ptype, period, level, code, breakdown, category string
}

// computeFixture ingests the fixture with the default configuration's
// sources and computes the default catalogue as of now.
func computeFixture(t *testing.T, now time.Time, extra ...string) map[cellKey]indicators.Value {
	return computeFiles(t, now, geography.Files{}, fixtureFiles, 6, extra...)
}

// fixtureFiles are the deliveries of the fixture above.
var fixtureFiles = []struct {
	name, body string
	latin1     bool
}{
	{"mobile-teams/combo-2024-01.jsonl", combo2024, false},
	{"mobile-teams/combo-2025-q1.jsonl", combo2025, false},
	{"federations/fedito/2025-01.csv", fedito, true},
	{"federations/lbsm/2025-01.csv", lbsm, true},
	{"offre/inventaire-2024-12.csv", inventory2024, true},
	{"offre/inventaire-2025-02.csv", inventory2025, true},
}

// computeFiles ingests files with the default configuration's sources and
// the given geography, and computes the default catalogue as of now.
func computeFiles(t *testing.T, now time.Time, geoFiles geography.Files, files []struct {
	name, body string
	latin1     bool
}, loaded int, extra ...string) map[cellKey]indicators.Value {
	t.Helper()
	var out map[cellKey]indicators.Value
	computeFilesWith(t, now, geoFiles, files, loaded, func(compute func(bool) map[cellKey]indicators.Value) {
		out = compute(false)
	}, extra...)
	return out
}

// computeFilesWith ingests files as computeFiles does, then calls use with
// a function computing the catalogue, from partials or (readRows) from the
// rows alone, as many times as use calls it.
func computeFilesWith(t *testing.T, now time.Time, geoFiles geography.Files, files []struct {
	name, body string
	latin1     bool
}, loaded int, use func(compute func(readRows bool) map[cellKey]indicators.Value), extra ...string) {
	t.Helper()
	ctx := t.Context()
	inbox := t.TempDir()
	for _, f := range files {
		writeFile(t, inbox, f.name, f.body, f.latin1)
	}
	wh, srv := warehousetest.Open(t)
	cfg, err := config.Parse("bassins.yaml", config.Default)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Indicators.Files = extra
	g, err := geography.Load(geoFiles)
	if err != nil {
		t.Fatal(err)
	}
	p, err := privacy.New([]byte("engine-test-secret-0123456"))
	if err != nil {
		t.Fatal(err)
	}
	version, err := wh.SaveGeography(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ingest.New(ingest.Options{Warehouse: wh, Sources: cfg.Sources, Inbox: inbox, StateDir: t.TempDir(),
		Pseudonymiser: p, Geography: g, Location: cfg.Location()}).Run(ctx, now, "ingest-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != loaded {
		t.Fatalf("%d files loaded, want %d: %+v", res.Loaded, loaded, res)
	}
	runs := 0
	computeWith := func(readRows bool) map[cellKey]indicators.Value {
		t.Helper()
		w := wh
		if readRows {
			var err error
			w, err = warehouse.Open(ctx, warehouse.Options{Addr: srv.Addr(), Database: warehousetest.Database,
				User: srv.User(), Password: srv.Password(), ReadRows: true})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
		}
		runs++
		run := fmt.Sprintf("compute-%d", runs)
		job := compute.New(compute.Options{Warehouse: w, Geography: g, GeoVersion: version, Catalogue: cfg.Catalogue})
		if _, err := job.Run(ctx, now, run); err != nil {
			t.Fatal(err)
		}
		values, err := w.Values(ctx, run)
		if err != nil {
			t.Fatal(err)
		}
		out := map[cellKey]indicators.Value{}
		for _, v := range values {
			k := cellKey{v.Indicator, v.PeriodType, indicators.PeriodLabel(v.PeriodType, v.Period), v.Level, v.Code, v.Breakdown, v.Category}
			if _, dup := out[k]; dup {
				t.Errorf("two values for %+v", k)
			}
			out[k] = v
		}
		return out
	}
	use(computeWith)
}

const (
	R = geography.LevelRegion
	B = geography.LevelBassin
	C = geography.LevelCommune
)

func TestTheEngineComputesTheDefaultCatalogueOnAHandCountedFixture(t *testing.T) {
	got := computeFixture(t, time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC))
	_, _, nordEst := populations(t)
	rc := geography.RegionCode
	tests := []want{
		// Contacts, rolled up from areas and months.
		{k: cellKey{"contacts", "month", "2025-01", R, rc, "", ""}, value: 3, num: 3},
		{k: cellKey{"contacts", "month", "2025-01", B, "nord-est", "", ""}, value: 2, num: 2},
		{k: cellKey{"contacts", "month", "2025-01", B, "centre-ouest", "", ""}, value: 1, num: 1},
		{k: cellKey{"contacts", "month", "2025-01", B, "nord", "", ""}, value: 0, num: 0},
		{k: cellKey{"contacts", "month", "2025-01", C, "21015", "", ""}, value: 2, num: 2},
		{k: cellKey{"contacts", "month", "2025-02", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"contacts", "quarter", "2025-Q1", R, rc, "", ""}, value: 6, num: 6},
		{k: cellKey{"contacts", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 3, num: 3},
		{k: cellKey{"contacts", "quarter", "2025-Q1", B, "centre-ouest", "", ""}, value: 3, num: 3},
		// A quarter with two months without data, a year not over.
		{k: cellKey{"contacts", "quarter", "2024-Q1", R, rc, "", ""}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"contacts", "year", "2025", R, rc, "", ""}, value: 6, num: 6, incomplete: true},
		// No rows in the month: no value at all.
		{k: cellKey{"contacts", "month", "2024-06", R, rc, "", ""}, absent: true},
		// Breakdowns: a list field counts a contact in each of its poles.
		{k: cellKey{"contacts", "month", "2025-01", R, rc, "poles", "medical"}, value: 1, num: 1},
		{k: cellKey{"contacts", "month", "2025-01", R, rc, "poles", "social"}, value: 1, num: 1},
		{k: cellKey{"contacts", "month", "2025-01", R, rc, "poles", "unknown"}, value: 1, num: 1},
		{k: cellKey{"contacts", "month", "2024-01", R, rc, "poles", "medical"}, value: 2, num: 2},
		{k: cellKey{"contacts", "quarter", "2025-Q1", R, rc, "place_type", "rue"}, value: 4, num: 4},
		{k: cellKey{"contacts", "quarter", "2025-Q1", B, "nord-est", "place_type", "squat"}, value: 0, num: 0},
		// Communes have totals only: broken down, their counts would mostly
		// be too small to publish.
		{k: cellKey{"contacts", "quarter", "2025-Q1", C, "21015", "place_type", "rue"}, absent: true},
		{k: cellKey{"persons", "quarter", "2025-Q1", C, "21015", "place_type", "rue"}, absent: true},
		// Distinct persons over the whole period, not summed.
		{k: cellKey{"persons", "month", "2025-01", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"persons", "month", "2025-01", B, "nord-est", "", ""}, value: 2, num: 2},
		{k: cellKey{"persons", "month", "2025-01", B, "centre-ouest", "", ""}, value: 1, num: 1},
		{k: cellKey{"persons", "quarter", "2025-Q1", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"persons", "quarter", "2025-Q1", B, "nord-est", "", ""}, value: 2, num: 2},
		{k: cellKey{"persons", "quarter", "2025-Q1", B, "centre-ouest", "", ""}, value: 3, num: 3},
		{k: cellKey{"persons", "quarter", "2025-Q1", C, "21014", "", ""}, value: 1, num: 1},
		{k: cellKey{"persons", "year", "2024", R, rc, "", ""}, value: 2, num: 2, incomplete: true},
		// New persons: none of their contacts in the 12 months before.
		{k: cellKey{"new_persons", "month", "2025-01", R, rc, "", ""}, value: 1, num: 1},
		{k: cellKey{"new_persons", "month", "2025-01", B, "nord-est", "", ""}, value: 1, num: 1},
		{k: cellKey{"new_persons", "month", "2025-01", B, "centre-ouest", "", ""}, value: 0, num: 0},
		{k: cellKey{"new_persons", "month", "2025-02", R, rc, "", ""}, value: 1, num: 1},
		{k: cellKey{"new_persons", "month", "2025-03", R, rc, "", ""}, value: 1, num: 1},
		{k: cellKey{"new_persons", "quarter", "2025-Q1", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"new_persons", "quarter", "2025-Q1", B, "centre-ouest", "", ""}, value: 1, num: 1},
		// Left-censored: no 12 months of data before January 2024.
		{k: cellKey{"new_persons", "month", "2024-01", R, rc, "", ""}, absent: true},
		{k: cellKey{"contacts_per_person", "quarter", "2025-Q1", R, rc, "", ""}, value: 1.5, num: 6, den: 4},
		{k: cellKey{"contacts_per_person", "quarter", "2025-Q1", B, "centre-ouest", "", ""}, value: 1, num: 3, den: 3},
		{k: cellKey{"contacts_per_10k", "quarter", "2025-Q1", B, "nord-est", "", ""},
			value: 3 / float64(nordEst) * 10000, num: 3, den: float64(nordEst)},
		{k: cellKey{"referrals", "quarter", "2025-Q1", R, rc, "", ""}, value: 2, num: 2},
		{k: cellKey{"referrals", "quarter", "2025-Q1", R, rc, "referral_destination", "CPAS"}, value: 1, num: 1},
		{k: cellKey{"referrals", "quarter", "2025-Q1", R, rc, "referral_destination", "hôpital"}, value: 1, num: 1},
		{k: cellKey{"referrals", "month", "2024-01", B, "nord-est", "referral_destination", "CPAS"}, value: 1, num: 1},
		{k: cellKey{"referral_share", "quarter", "2025-Q1", R, rc, "", ""}, value: 100 * 2.0 / 6, num: 2, den: 6},
		{k: cellKey{"referral_share", "month", "2025-03", R, rc, "", ""}, value: 0, num: 0, den: 1},
		{k: cellKey{"referrals_cpas", "year", "2025", R, rc, "", ""}, value: 1, num: 1, incomplete: true},
		{k: cellKey{"contacts_hospital_referral", "month", "2025-01", B, "nord-est", "", ""}, value: 1, num: 1},
		{k: cellKey{"syringes", "quarter", "2025-Q1", R, rc, "", ""}, value: 12, num: 12},
		{k: cellKey{"syringes", "month", "2024-01", C, "21012", "", ""}, value: 5, num: 5},
		{k: cellKey{"kits", "month", "2025-02", C, "21014", "", ""}, value: 3, num: 3},
		{k: cellKey{"naloxone", "year", "2025", B, "nord-est", "", ""}, value: 2, num: 2, incomplete: true},
		{k: cellKey{"naloxone", "month", "2024-01", R, rc, "place_type", "gare"}, value: 1, num: 1},
		{k: cellKey{"contacts_with_naloxone", "quarter", "2025-Q1", R, rc, "", ""}, value: 1, num: 1},
		// Federations: each federation apart, never a total.
		{k: cellKey{"federation_consultations", "month", "2025-01", R, rc, "federation", "FEDITO BXL"}, value: 16, num: 16},
		{k: cellKey{"federation_consultations", "month", "2025-01", R, rc, "federation", "LBSM"}, value: 20, num: 20},
		{k: cellKey{"federation_consultations", "month", "2025-01", B, "nord-est", "federation", "FEDITO BXL"}, value: 6, num: 6},
		{k: cellKey{"federation_consultations", "month", "2025-01", R, rc, "", ""}, absent: true},
		{k: cellKey{"federation_hours", "month", "2025-01", R, rc, "federation", "FEDITO BXL"}, value: 10.5, num: 10.5},
		{k: cellKey{"federation_persons", "month", "2025-01", B, "nord-est", "federation", "LBSM"}, value: 9, num: 9},
		{k: cellKey{"federation_persons", "quarter", "2025-Q1", R, rc, "federation", "LBSM"}, absent: true},
		// Services: the inventory in force at the end of each period.
		{k: cellKey{"services", "month", "2025-01", R, rc, "", ""}, value: 3, num: 3},
		{k: cellKey{"services", "month", "2025-02", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"services", "quarter", "2025-Q1", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"services", "month", "2025-01", B, "centre-ouest", "", ""}, value: 2, num: 2},
		{k: cellKey{"services", "month", "2025-02", B, "nord-est", "service_type", "maison médicale"}, value: 1, num: 1},
		{k: cellKey{"services", "month", "2025-01", R, rc, "federation", "FMM"}, value: 1, num: 1},
		// No inventory before December 2024.
		{k: cellKey{"services", "month", "2024-01", R, rc, "", ""}, absent: true},
		{k: cellKey{"services_per_10k", "month", "2025-02", B, "nord-est", "", ""},
			value: 2 / float64(nordEst) * 10000, num: 2, den: float64(nordEst)},
	}
	checkValues(t, got, tests)
	// Every count of 1 to 4, and every rate, share or ratio on one, is
	// withheld.
	for k, v := range got {
		if v.Numerator >= 1 && v.Numerator <= 4 && !v.Suppressed {
			t.Errorf("%+v: numerator %v published", k, v.Numerator)
		}
	}
	if v := got[cellKey{"federation_hours", "month", "2025-01", B, "nord-est", "federation", "FEDITO BXL"}]; !v.Suppressed || v.Value != 3 {
		t.Errorf("FEDITO's 3 hours in Nord-Est: %+v, want withheld", v)
	}

	// Zero-filled: every geography has a value in every period with data.
	n := 0
	for k := range got {
		if k.indicator == "contacts" && k.ptype == "month" && k.breakdown == "" {
			n++
		}
	}
	if want := 4 * geos; n != want {
		t.Errorf("%d monthly contacts values, want 4 months × %d geographies = %d", n, geos, want)
	}
	if strings.Contains(strings.Join(keysOf(got), " "), "federation_consultations/month/2025-01/region/04000//") {
		t.Error("federations were summed")
	}
}

// want is a value written by hand: its value, numerator and denominator,
// whether its period is incomplete, or that there is none.
type want struct {
	k                  cellKey
	value, num, den    float64
	incomplete, absent bool
}

// checkValues compares computed values with those written by hand.
func checkValues(t *testing.T, got map[cellKey]indicators.Value, tests []want) {
	t.Helper()
	for _, tt := range tests {
		v, ok := got[tt.k]
		if tt.absent {
			if ok {
				t.Errorf("%+v: a value %v, want none", tt.k, v.Value)
			}
			continue
		}
		if !ok {
			t.Errorf("%+v: no value", tt.k)
			continue
		}
		if math.Abs(v.Value-tt.value) > 1e-9 || v.Numerator != tt.num || v.Denominator != tt.den || v.Incomplete != tt.incomplete {
			t.Errorf("%+v = %v (numerator %v, denominator %v, incomplete %v), want %v (%v, %v, %v)", tt.k,
				v.Value, v.Numerator, v.Denominator, v.Incomplete, tt.value, tt.num, tt.den, tt.incomplete)
		}
	}
}

func keysOf(m map[cellKey]indicators.Value) []string {
	var out []string
	for k := range m {
		out = append(out, strings.Join([]string{k.indicator, k.ptype, k.period, k.level, k.code, k.breakdown, k.category}, "/"))
	}
	return out
}

// TestPartialsGiveTheValuesOfTheRows: the values computed from each load's
// partials, built by a first computation and read by the next, are those
// computed from the rows themselves.
func TestPartialsGiveTheValuesOfTheRows(t *testing.T) {
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	var runs []map[cellKey]indicators.Value
	computeFilesWith(t, now, geography.Files{}, fixtureFiles, 6, func(compute func(readRows bool) map[cellKey]indicators.Value) {
		runs = append(runs, compute(false), compute(false), compute(true))
	})
	built, read, rows := runs[0], runs[1], runs[2]
	if len(rows) == 0 {
		t.Fatal("no values")
	}
	for name, got := range map[string]map[cellKey]indicators.Value{"building partials": built, "reading partials": read} {
		if len(got) != len(rows) {
			t.Errorf("%s: %d values, %d from the rows", name, len(got), len(rows))
		}
		for k, v := range rows {
			w, ok := got[k]
			if !ok || w.Value != v.Value || w.Numerator != v.Numerator || w.Denominator != v.Denominator || w.Suppressed != v.Suppressed {
				t.Errorf("%s: %+v: %+v, from the rows %+v", name, k, w, v)
			}
		}
	}
}

// TestAnOperatorsIndicatorsAreComputed: indicators written in an operator's
// file, among them a count of an inventory's rows (each period shows the
// inventory in force) and a distinct count by a list field.
func TestAnOperatorsIndicatorsAreComputed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(file, []byte(`indicators:
  - id: inventory_rows
    theme: offer
    name: {fr: Lignes de l'inventaire, nl: Rijen van de inventaris}
    definition: {fr: "Lignes de l'inventaire en vigueur.", nl: "Rijen van de geldende inventaris."}
    unit: {fr: lignes, nl: rijen}
    numerator: {dataset: services, aggregate: count}
    periods: [month]
  - id: persons_by_pole
    theme: outreach
    name: {fr: Personnes par pôle, nl: Personen per pool}
    definition: {fr: "Personnes distinctes par pôle.", nl: "Afzonderlijke personen per pool."}
    unit: {fr: personnes, nl: personen}
    numerator: {dataset: contacts, aggregate: distinct, field: person_key}
    periods: [quarter]
    breakdowns: [poles]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	got := computeFixture(t, time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC), file)
	rc := geography.RegionCode
	checkValues(t, got, []want{
		// Three rows in the inventory of 1 December 2024, four in that of
		// 1 February 2025.
		{k: cellKey{"inventory_rows", "month", "2025-01", R, rc, "", ""}, value: 3, num: 3},
		{k: cellKey{"inventory_rows", "month", "2025-03", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"inventory_rows", "month", "2025-03", B, "nord-est", "", ""}, value: 2, num: 2},
		// 2025-Q1: medical A (contact 3); social C (5); no pole A, C, D, B
		// (4, 6, 7, 8).
		{k: cellKey{"persons_by_pole", "quarter", "2025-Q1", R, rc, "poles", "medical"}, value: 1, num: 1},
		{k: cellKey{"persons_by_pole", "quarter", "2025-Q1", R, rc, "poles", "social"}, value: 1, num: 1},
		{k: cellKey{"persons_by_pole", "quarter", "2025-Q1", R, rc, "poles", "unknown"}, value: 4, num: 4},
		{k: cellKey{"persons_by_pole", "quarter", "2025-Q1", R, rc, "", ""}, value: 4, num: 4},
		{k: cellKey{"persons_by_pole", "quarter", "2025-Q1", B, "nord-est", "poles", "unknown"}, value: 2, num: 2},
	})
}
