package demo

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/brusano/bassins/pipeline/geography"
)

var until = time.Date(2025, 12, 15, 0, 0, 0, 0, time.UTC)

// readTree returns every file under dir by slash path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func write(t *testing.T, opts Options) (Summary, map[string][]byte) {
	t.Helper()
	opts.Dir = t.TempDir()
	s, err := Write(t.Context(), opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return s, readTree(t, opts.Dir)
}

func TestDeterministic(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		other Options // a different seed
	}{
		{"defaults", Options{Until: until}, Options{Until: until, Seed: 2}},
		{"small", Options{Until: until, Scale: 0.05, Months: 14, Seed: 7}, Options{Until: until, Scale: 0.05, Months: 14, Seed: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, a := write(t, tt.opts)
			_, b := write(t, tt.opts)
			if len(a) != len(b) {
				t.Fatalf("%d files, then %d", len(a), len(b))
			}
			for name, content := range a {
				if !bytes.Equal(content, b[name]) {
					t.Errorf("%s differs between two runs with the same options", name)
				}
			}
			_, c := write(t, tt.other)
			same := 0
			for name, content := range a {
				if bytes.Equal(content, c[name]) {
					same++
				}
			}
			if same == len(a) {
				t.Errorf("seed %d and seed %d give the same files", tt.opts.Seed, tt.other.Seed)
			}
		})
	}
}

func TestEveryFileKindEveryMonth(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		years []int
	}{
		{"scale 0.05", Options{Until: until, Scale: 0.05}, []int{2023, 2024, 2025}},
		{"scale 0.05, window across years", Options{Until: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Scale: 0.05, Months: 36},
			[]int{2023, 2024, 2025, 2026}},
		{"one month", Options{Until: until, Scale: 0.05, Months: 1}, []int{2025}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, files := write(t, tt.opts)
			months := coveredMonths(tt.opts.Until, tt.opts.Months)
			if tt.opts.Months == 0 {
				months = coveredMonths(tt.opts.Until, 36)
			}
			var want []string
			for _, y := range tt.years {
				want = append(want, "offre/inventaire-"+strconv.Itoa(y)+".csv")
			}
			for _, m := range months {
				ym := m.Format("2006-01")
				want = append(want, "mobile-teams/combo-"+ym+".jsonl", "mobile-teams/renfort-"+ym+".jsonl",
					"tdi/tdi-"+ym+".csv")
				for _, fed := range []string{"fedito", "lbsm", "fmm"} {
					want = append(want, "federations/"+fed+"/"+fed+"-activite-"+ym+".csv")
				}
			}
			for _, name := range want {
				content, ok := files[name]
				if !ok {
					t.Errorf("missing %s", name)
					continue
				}
				if lines(content) < 2 && !strings.HasSuffix(name, ".jsonl") || lines(content) < 1 {
					t.Errorf("%s has no data row", name)
				}
			}
			if len(files) != len(want) || s.Files != len(want) {
				t.Errorf("%d files on disk, Summary.Files %d, want %d", len(files), s.Files, len(want))
			}
		})
	}
}

func lines(b []byte) int { return bytes.Count(b, []byte("\n")) }

func TestSummaryCountsRows(t *testing.T) {
	s, files := write(t, Options{Until: until, Scale: 0.2, Seed: 3})
	got := map[string]int{}
	for name, content := range files {
		switch {
		case strings.HasPrefix(name, "mobile-teams/"):
			got[DatasetContacts] += lines(content)
		case strings.HasPrefix(name, "federations/"):
			got[DatasetFederationActivity] += lines(content) - 1
		case strings.HasPrefix(name, "offre/"):
			got[DatasetServices] += lines(content) - 1
		case strings.HasPrefix(name, "tdi/"):
			got[DatasetTreatmentDemands] += lines(content) - 1
		default:
			t.Errorf("unexpected file %s", name)
		}
	}
	for _, ds := range []string{DatasetContacts, DatasetFederationActivity, DatasetServices, DatasetTreatmentDemands} {
		if s.Rows[ds] != got[ds] || got[ds] == 0 {
			t.Errorf("%s: Summary.Rows %d, files hold %d", ds, s.Rows[ds], got[ds])
		}
	}
	if s.Files != len(files) {
		t.Errorf("Summary.Files %d, %d files on disk", s.Files, len(files))
	}
}

func TestExcelFiles(t *testing.T) {
	_, files := write(t, Options{Until: until, Scale: 0.3, Months: 13})
	tests := []struct {
		prefix string
		header string
		fields int
	}{
		{"federations/", "Période;Code service;Nom du service;Code postal;Consultations;Personnes suivies;Heures prestées", 7},
		{"offre/", "Code service;Nom;Type;Fédération;Adresse;Code postal;Commune (NIS);Date de référence", 8},
	}
	inventoryCodes := map[string]bool{}
	for name, content := range files {
		if strings.HasPrefix(name, "offre/") {
			for _, rec := range decodeExcel(t, name, content)[1:] {
				inventoryCodes[rec[0]] = true
			}
		}
	}
	decimal := regexp.MustCompile(`^\d+,\d$`)
	date := regexp.MustCompile(`^\d{2}/\d{2}/\d{4}$`)
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			n := 0
			for name, content := range files {
				if !strings.HasPrefix(name, tt.prefix) {
					continue
				}
				n++
				if bytes.Contains(content, []byte("Période")) || bytes.Contains(content, []byte("Fédération")) {
					t.Errorf("%s: UTF-8 text, want Windows-1252", name)
				}
				if c := bytes.Count(content, []byte("\n")); c != bytes.Count(content, []byte("\r\n")) {
					t.Errorf("%s: %d line ends, %d of them CRLF", name, c, bytes.Count(content, []byte("\r\n")))
				}
				recs := decodeExcel(t, name, content)
				if got := strings.Join(recs[0], ";"); got != tt.header {
					t.Errorf("%s: header %q, want %q", name, got, tt.header)
				}
				for _, rec := range recs[1:] {
					if len(rec) != tt.fields {
						t.Fatalf("%s: %d fields in %q", name, len(rec), rec)
					}
					switch tt.prefix {
					case "federations/":
						if !date.MatchString(rec[0]) || !strings.HasPrefix(rec[0], "01/") {
							t.Errorf("%s: period %q", name, rec[0])
						}
						if !decimal.MatchString(rec[6]) {
							t.Errorf("%s: hours %q, want one decimal after a comma", name, rec[6])
						}
						if !inventoryCodes[rec[1]] {
							t.Errorf("%s: service %s is in no inventory", name, rec[1])
						}
						consultations, err1 := strconv.Atoi(rec[4])
						followed, err2 := strconv.Atoi(rec[5])
						if err1 != nil || err2 != nil || followed > consultations {
							t.Errorf("%s: consultations %q, persons %q", name, rec[4], rec[5])
						}
					case "offre/":
						if !date.MatchString(rec[7]) || !strings.HasPrefix(rec[7], "01/01/") || len(rec[6]) != 5 {
							t.Errorf("%s: reference date %q, NIS %q", name, rec[7], rec[6])
						}
					}
				}
			}
			if n == 0 {
				t.Errorf("no %s files", tt.prefix)
			}
		})
	}
}

func decodeExcel(t *testing.T, name string, content []byte) [][]string {
	t.Helper()
	utf8, err := charmap.Windows1252.NewDecoder().Bytes(content)
	if err != nil {
		t.Fatalf("%s: not Windows-1252: %v", name, err)
	}
	r := csv.NewReader(bytes.NewReader(utf8))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return recs
}

func TestInventory(t *testing.T) {
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	_, files := write(t, Options{Until: until})
	byYear := map[string]map[string]bool{}
	total := 0
	for _, year := range []string{"2023", "2024", "2025"} {
		name := "offre/inventaire-" + year + ".csv"
		recs := decodeExcel(t, name, files[name])[1:]
		byYear[year] = map[string]bool{}
		perFederation := map[string]int{}
		for _, rec := range recs {
			byYear[year][rec[0]] = true
			perFederation[rec[3]]++
			nis := g.Postcodes[rec[5]]
			if rec[6] != nis && (rec[6] != geography.SplitNIS || rec[5] != "1040" && rec[5] != "1050") {
				t.Errorf("%s: %s at %s in commune %s", name, rec[0], rec[5], rec[6])
			}
		}
		for _, fed := range []string{"FMM", "LBSM", "FEDITO BXL"} {
			if n := perFederation[fed]; n < 8 || n > 25 {
				t.Errorf("%s: %d services of %s, want 8 to 25", name, n, fed)
			}
		}
		total += len(recs)
	}
	if avg := total / 3; avg < 200 || avg > 300 {
		t.Errorf("%d services a year, want about 250", avg)
	}
	changed := 0
	for code := range byYear["2024"] {
		if !byYear["2025"][code] {
			changed++
		}
	}
	for code := range byYear["2025"] {
		if !byYear["2024"][code] {
			changed++
		}
	}
	if changed == 0 {
		t.Error("no service opens or closes between 2024 and 2025")
	}
}

func TestContactsJSONL(t *testing.T) {
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	_, files := write(t, Options{Until: until, Scale: 0.2, Months: 6})
	places := []string{"rue", "centre d'hébergement", "hôtel", "domicile", "gare", "squat", "autre"}
	destinations := []string{"maison médicale", "service de santé mentale", "centre d'accueil de jour", "hôpital",
		"CPAS", "service en assuétudes", "maison d'accueil"}
	teams := map[string]string{"Projet Lama": "LAMA", "MASS": "MASS", "Transit": "TRANSIT", "SAMPAS": "SAMPAS", "RENFORT": "RENFORT"}
	keys := []string{"date", "kits", "naloxone", "person", "place_type", "poles", "postcode", "referral",
		"referral_destination", "syringes", "team", "time"}
	clockRe := regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	for name, content := range files {
		if !strings.HasPrefix(name, "mobile-teams/") {
			continue
		}
		month := strings.TrimSuffix(name[strings.LastIndex(name, "-")-4:], ".jsonl")
		sc := bufio.NewScanner(bytes.NewReader(content))
		for line := 1; sc.Scan(); line++ {
			var raw map[string]json.RawMessage
			if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			var got []string
			for k := range raw {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, keys) {
				t.Fatalf("%s:%d: keys %v", name, line, got)
			}
			var c contactRecord
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("%s:%d: %v", name, line, err)
			}
			d, err := time.Parse(time.DateOnly, c.Date)
			if err != nil || d.Format("2006-01") != month {
				t.Errorf("%s:%d: date %q outside the file's month", name, line, c.Date)
			}
			prefix, ok := teams[c.Team]
			if !ok || strings.HasPrefix(name, "mobile-teams/renfort") != (c.Team == "RENFORT") {
				t.Errorf("%s:%d: team %q", name, line, c.Team)
			}
			if !regexp.MustCompile(`^` + prefix + `-\d{6}$`).MatchString(c.Person) {
				t.Errorf("%s:%d: person %q", name, line, c.Person)
			}
			if _, ok := g.Postcodes[c.Postcode]; !ok {
				t.Errorf("%s:%d: postcode %q not in the region", name, line, c.Postcode)
			}
			if !clockRe.MatchString(c.Time) || !slices.Contains(places, c.PlaceType) {
				t.Errorf("%s:%d: time %q, place %q", name, line, c.Time, c.PlaceType)
			}
			if len(c.Poles) == 0 || !slices.IsSortedFunc(c.Poles, func(a, b string) int {
				return slices.Index(poleNames[:], a) - slices.Index(poleNames[:], b)
			}) {
				t.Errorf("%s:%d: poles %q", name, line, c.Poles)
			}
			for _, p := range c.Poles {
				if !slices.Contains(poleNames[:], p) {
					t.Errorf("%s:%d: pole %q", name, line, p)
				}
			}
			if c.Referral != (c.ReferralDestination != "") || c.Referral && !slices.Contains(destinations, c.ReferralDestination) {
				t.Errorf("%s:%d: referral %v to %q", name, line, c.Referral, c.ReferralDestination)
			}
			if c.Syringes < 0 || c.Kits < 0 || c.Naloxone < 0 {
				t.Errorf("%s:%d: negative material", name, line)
			}
		}
	}
}

func TestTreatmentDemands(t *testing.T) {
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	_, files := write(t, Options{Until: until, Scale: 0.3, Months: 12})
	// The codes of the TDI protocol the register must use, written by hand
	// (sources' dataset must accept them: see the cli end-to-end test).
	drugs := []string{"heroin", "methadone", "buprenorphine", "fentanyl", "other_opioids", "cocaine_powder", "crack",
		"other_cocaine", "amphetamines", "methamphetamine", "mdma", "cathinones", "other_stimulants", "barbiturates",
		"benzodiazepines", "ghb", "other_hypnotics", "lsd", "ketamine", "other_hallucinogens", "volatile_inhalants",
		"cannabis", "synthetic_cannabinoids", "alcohol", "other", "unknown"}
	allowed := map[int][]string{
		tdiCentre:       {"outpatient", "inpatient", "prison", "gp", "low_threshold", "other"},
		tdiTreated:      {"never", "previously", "unknown"},
		tdiSex:          {"M", "F", "unknown"},
		tdiReferral:     {"self", "family_friends", "other_drug_centre", "gp", "hospital", "other_health", "social_services", "education", "court_police", "other", "unknown"},
		tdiLivingWith:   {"alone", "parents", "partner", "partner_children", "alone_children", "friends_others", "other", "unknown"},
		tdiChildren:     {"yes", "no", "unknown"},
		tdiLivingWhere:  {"stable", "unstable", "institution", "unknown"},
		tdiNationality:  {"belgian", "other_eu", "non_eu", "unknown"},
		tdiLabour:       {"employed", "student", "unemployed", "inactive", "other", "unknown"},
		tdiEducation:    {"none", "primary", "lower_secondary", "upper_secondary", "higher", "unknown"},
		tdiPrimary:      drugs,
		tdiRoute:        {"inject", "smoke", "eat_drink", "sniff", "other", "unknown"},
		tdiFrequency:    {"daily", "4_6_days", "2_3_days", "weekly_or_less", "not_used", "unknown"},
		tdiInjecting:    {"never", "last_30_days", "last_12_months", "over_12_months", "unknown"},
		tdiSubstitution: {"never", "ever", "current", "unknown"},
	}
	counts := map[int]map[string]int{tdiPrimary: {}, tdiLivingWhere: {}, tdiNationality: {}}
	rows := 0
	id := regexp.MustCompile(`^TDI-\d{7}$`)
	for name, content := range files {
		if !strings.HasPrefix(name, "tdi/") {
			continue
		}
		if bytes.Contains(content, []byte("\r")) {
			t.Errorf("%s: CR in a LF file", name)
		}
		r := csv.NewReader(bytes.NewReader(content))
		r.Comma = ';'
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.Join(recs[0], ";"); got != strings.Join(tdiHeader, ";") {
			t.Fatalf("%s: header %q", name, got)
		}
		for i, rec := range recs[1:] {
			if _, err := time.Parse("02/01/2006", rec[0]); err != nil {
				t.Errorf("%s:%d: date %q", name, i+2, rec[0])
			}
			for col, values := range allowed {
				if !slices.Contains(values, rec[col]) {
					t.Errorf("%s:%d: %s %q", name, i+2, tdiHeader[col], rec[col])
				}
			}
			age, err := strconv.Atoi(rec[tdiAge])
			if rec[tdiAge] != "" && (err != nil || age < 15 || age > 75) {
				t.Errorf("%s:%d: age %q", name, i+2, rec[tdiAge])
			}
			if _, err := strconv.Atoi(rec[tdiFirstUse]); rec[tdiFirstUse] != "" && err != nil {
				t.Errorf("%s:%d: age at first use %q", name, i+2, rec[tdiFirstUse])
			}
			if inj, err := strconv.Atoi(rec[tdiFirstInjection]); rec[tdiFirstInjection] != "" &&
				(err != nil || rec[tdiInjecting] == "never" || rec[tdiAge] != "" && inj > age) {
				t.Errorf("%s:%d: age at first injection %q, injecting %q, age %q", name, i+2, rec[tdiFirstInjection],
					rec[tdiInjecting], rec[tdiAge])
			}
			if rec[tdiStart] != "" {
				start, err := time.Parse("02/01/2006", rec[tdiStart])
				demand, _ := time.Parse("02/01/2006", rec[tdiDate])
				if err != nil || start.Before(demand) || start.Month() != demand.Month() {
					t.Errorf("%s:%d: treatment start %q for a demand on %q", name, i+2, rec[tdiStart], rec[tdiDate])
				}
			}
			if rec[tdiSecondary] != "" {
				for _, d := range strings.Split(rec[tdiSecondary], "|") {
					if !slices.Contains(drugs, d) || d == rec[tdiPrimary] {
						t.Errorf("%s:%d: secondary drug %q with primary %q", name, i+2, d, rec[tdiPrimary])
					}
				}
			}
			if (rec[tdiLivingWith] == "partner_children" || rec[tdiLivingWith] == "alone_children") && rec[tdiChildren] != "yes" {
				t.Errorf("%s:%d: living with %q and children %q", name, i+2, rec[tdiLivingWith], rec[tdiChildren])
			}
			if _, ok := g.Postcodes[rec[tdiPostcode]]; !ok || !id.MatchString(rec[tdiPersonID]) {
				t.Errorf("%s:%d: postcode %q, person %q", name, i+2, rec[tdiPostcode], rec[tdiPersonID])
			}
			for col, byCode := range counts {
				byCode[rec[col]]++
			}
			rows++
		}
	}
	// The Brussels mix: alcohol and cocaine powder lead, crack is notable,
	// some pregabalin (other hypnotics); one demand in six or so from
	// unstable housing; a mix of nationalities.
	share := func(col int, code string) float64 { return float64(counts[col][code]) / float64(rows) }
	for _, c := range []struct {
		col      int
		code     string
		low, top float64
	}{
		{tdiPrimary, "alcohol", 0.22, 0.40}, {tdiPrimary, "cocaine_powder", 0.10, 0.25}, {tdiPrimary, "crack", 0.04, 0.15},
		{tdiPrimary, "heroin", 0.06, 0.20}, {tdiPrimary, "cannabis", 0.10, 0.25}, {tdiPrimary, "other_hypnotics", 0.003, 0.03},
		{tdiLivingWhere, "unstable", 0.12, 0.22}, {tdiNationality, "belgian", 0.5, 0.75}, {tdiNationality, "non_eu", 0.1, 0.3},
	} {
		if got := share(c.col, c.code); got < c.low || got > c.top {
			t.Errorf("%s %s: share %.3f of %d demands, want %.3f to %.3f", tdiHeader[c.col], c.code, got, rows, c.low, c.top)
		}
	}
}

func TestWriteContactsCSV(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"none", 0},
		{"thousand", 1000},
		{"fifty thousand", 50000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := WriteContactsCSV(&a, tt.n, 5, until); err != nil {
				t.Fatal(err)
			}
			if err := WriteContactsCSV(&b, tt.n, 5, until); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("two runs with the same seed differ")
			}
			if got := lines(a.Bytes()); got != tt.n+1 {
				t.Errorf("%d lines, want %d", got, tt.n+1)
			}
			r := csv.NewReader(&a)
			r.Comma = ';'
			header, err := r.Read()
			if err != nil || strings.Join(header, ";") != ContactsCSVHeader {
				t.Fatalf("header %q: %v", header, err)
			}
			first := coveredMonths(until, 36)[0]
			for {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				d, err := time.Parse(time.DateOnly, rec[0])
				if err != nil || d.Before(first) || d.After(until.AddDate(0, 1, 0)) {
					t.Fatalf("date %q outside the 36 months", rec[0])
				}
				if rec[6] == "" || (rec[7] == "0") != (rec[8] == "") {
					t.Fatalf("poles %q, referral %q to %q", rec[6], rec[7], rec[8])
				}
			}
			if tt.n > 0 && bytes.Contains(a.Bytes(), []byte(`"`)) {
				t.Error("a field is quoted though none needs it")
			}
		})
	}
}

// csvMonths reads a ';'-separated file with a header and counts its rows by
// the month of the date in column col, parsed with layout.
func csvMonths(t *testing.T, b []byte, header string, col int, layout string) map[time.Time]int {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(recs[0], ";"); got != header {
		t.Fatalf("header %q", got)
	}
	months := map[time.Time]int{}
	for i, rec := range recs[1:] {
		d, err := time.Parse(layout, rec[col])
		if err != nil {
			t.Fatalf("line %d: date %q", i+2, rec[col])
		}
		months[time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)]++
	}
	return months
}

func TestWriteContactsCSVMonths(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteContactsCSVMonths(&a, 6000, 60, 5, until); err != nil {
		t.Fatal(err)
	}
	if err := WriteContactsCSVMonths(&b, 6000, 60, 5, until); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with the same seed differ")
	}
	months := csvMonths(t, a.Bytes(), ContactsCSVHeader, 0, time.DateOnly)
	// 60 months: January 2021 to December 2025, each with about 100 rows
	// (winter peak and upward trend: from some 75 to some 130).
	total := 0
	for m := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC); !m.After(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		if months[m] < 70 || months[m] > 135 {
			t.Errorf("%s: %d rows, want about 100", m.Format("2006-01"), months[m])
		}
		total += months[m]
	}
	if total != 6000 || len(months) != 60 {
		t.Errorf("%d rows in %d months, want 6000 in 60", total, len(months))
	}
	if err := WriteContactsCSVMonths(io.Discard, 10, 0, 5, until); err == nil {
		t.Error("no error for 0 months")
	}
}

func TestWriteTreatmentDemandsCSV(t *testing.T) {
	var a, b bytes.Buffer
	if err := WriteTreatmentDemandsCSV(&a, 3000, 60, 5, until); err != nil {
		t.Fatal(err)
	}
	if err := WriteTreatmentDemandsCSV(&b, 3000, 60, 5, until); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two runs with the same seed differ")
	}
	months := csvMonths(t, a.Bytes(), strings.Join(tdiHeader, ";"), 0, "02/01/2006")
	// 60 months of about 50 demands; August, the quietest, about 40.
	total := 0
	for m := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC); !m.After(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)); m = m.AddDate(0, 1, 0) {
		if months[m] < 35 || months[m] > 60 {
			t.Errorf("%s: %d demands, want about 50", m.Format("2006-01"), months[m])
		}
		total += months[m]
	}
	if total != 3000 || len(months) != 60 {
		t.Errorf("%d demands in %d months, want 3000 in 60", total, len(months))
	}
	// Some persons come back: fewer distinct persons than demands.
	r := csv.NewReader(&b)
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	person := slices.Index(recs[0], "id_personne")
	if person < 0 {
		t.Fatalf("no id_personne column in %v", recs[0])
	}
	persons := map[string]bool{}
	for _, rec := range recs[1:] {
		persons[rec[person]] = true
	}
	if len(persons) >= 3000 || len(persons) < 2400 {
		t.Errorf("%d persons for 3000 demands, want some coming back (about one demand in eight)", len(persons))
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no dir", Options{Until: until}, "demo: no folder"},
		{"no until", Options{Dir: t.TempDir()}, "demo: no last month"},
		{"negative scale", Options{Dir: t.TempDir(), Until: until, Scale: -1}, "demo: scale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Write(t.Context(), tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestVolumesAtScaleOne(t *testing.T) {
	s, files := write(t, Options{Until: until})
	persons := map[string]map[string]bool{} // person → months
	postcodes := map[string]int{}
	renfort := 0
	for name, content := range files {
		if !strings.HasPrefix(name, "mobile-teams/") {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(content))
		for sc.Scan() {
			var c contactRecord
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatal(err)
			}
			if persons[c.Person] == nil {
				persons[c.Person] = map[string]bool{}
			}
			persons[c.Person][c.Date[:7]] = true
			postcodes[c.Postcode]++
			if c.Team == "RENFORT" {
				renfort++
			}
		}
	}
	perMonth := s.Rows[DatasetContacts] / 36
	if perMonth < 1300 || perMonth > 1700 {
		t.Errorf("%d contacts a month, want about 1,500", perMonth)
	}
	if share := float64(renfort) / float64(s.Rows[DatasetContacts]); share < 0.07 || share > 0.13 {
		t.Errorf("RENFORT does %.0f%% of the contacts, want about 10%%", 100*share)
	}
	if n := len(persons); n < 2000 || n > 3000 {
		t.Errorf("%d distinct persons, want about 2,500", n)
	}
	recurring := 0
	for _, months := range persons {
		if len(months) > 1 {
			recurring++
		}
	}
	if recurring < len(persons)/3 {
		t.Errorf("%d of %d persons met in more than one month", recurring, len(persons))
	}
	for _, busy := range []string{"1000", "1030", "1070", "1080", "1210", "1060"} {
		for _, quiet := range []string{"1150", "1160", "1170", "1082", "1130"} {
			if postcodes[busy] <= postcodes[quiet] {
				t.Errorf("%s has %d contacts, %s %d", busy, postcodes[busy], quiet, postcodes[quiet])
			}
		}
	}
	if perMonth := s.Rows[DatasetTreatmentDemands] / 36; perMonth < 100 || perMonth > 140 {
		t.Errorf("%d treatment demands a month, want about 120", perMonth)
	}
}

func BenchmarkWriteContactsCSV(b *testing.B) {
	for b.Loop() {
		if err := WriteContactsCSV(io.Discard, 100000, 1, until); err != nil {
			b.Fatal(err)
		}
	}
}
