package sources_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/sources"
)

var update = flag.Bool("update", false, "rewrite the Windows-1252 fixture from federationText")

// federationText is testdata/federation-2024-03.csv as a reader sees it; the
// file holds it encoded in Windows-1252, as Belgian Excel writes it.
const federationText = "Période;Code service;Nom du service;Code postal;Consultations;Personnes suivies;Heures prestées\r\n" +
	"15/03/2024;S01;Centre Médical Évasion;1020;120;45;152,5\r\n" +
	"01/03/2024;S02;Maison d'accueil « Le Pont »;1060;1.234;310;1.020,75\r\n" +
	"31/03/2024;S03;Équipe mobile Réseau Hépatite;1040;8;3;\r\n" +
	"\r\n"

const federationFile = "testdata/federation-2024-03.csv"

func TestFederationFixtureIsWindows1252(t *testing.T) {
	want, err := charmap.Windows1252.NewEncoder().Bytes([]byte(federationText))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(federationFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(federationFile)
	if err != nil {
		t.Fatalf("%v (run go test -run FederationFixture -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not federationText in Windows-1252", federationFile)
	}
	if utf8.Valid(got) || !bytes.Contains(got, []byte{0xE9}) || !bytes.Contains(got, []byte("\r\n")) {
		t.Fatalf("%s must be Windows-1252 (é = 0xE9, not valid UTF-8) with CRLF line ends", federationFile)
	}
}

// federationSpec reads a FEDITO-like export as Belgian Excel writes it.
func federationSpec(encoding string) *sources.Spec {
	return &sources.Spec{
		Name: "fedito", Path: "federations/fedito/*.csv", Format: "csv", Dataset: "federation_activity",
		Delimiter: ";", Encoding: encoding, DecimalComma: true, DateFormat: "dd/mm/yyyy",
		Fields: map[string]string{
			"period":       "Période",
			"service_id":   "Code service",
			"service_name": "Nom du service",
			"postcode":     "Code postal",
		},
		Constants: map[string]string{"federation": "fedito"},
		Measures: map[string]string{
			"consultations": "Consultations",
			"persons":       "Personnes suivies",
			"hours":         "Heures prestées",
		},
	}
}

func contactsSpec() *sources.Spec {
	return &sources.Spec{
		Name: "combo", Path: "combo/*.jsonl", Format: "jsonl", Dataset: "contacts",
		Fields: map[string]string{
			"contact_date": "date", "contact_time": "time", "team": "team", "place_type": "place_type",
			"postcode": "postcode", "person_key": "person", "poles": "poles", "referral": "referral",
			"referral_destination": "referral_destination", "syringes": "syringes", "kits": "kits", "naloxone": "naloxone",
		},
	}
}

// pseudonym is the test's stand-in for the keyed hash: it hides the raw id.
func pseudonym(dataset, raw string) string {
	sum := sha256.Sum256([]byte(dataset + "|" + raw))
	return "P:" + hex.EncodeToString(sum[:8])
}

func testEnv(t *testing.T) sources.Env {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return sources.Env{
		Pseudonymise: func(dataset, raw string) string {
			if dataset != "contacts" && dataset != "treatment_demands" {
				t.Errorf("Pseudonymise called for dataset %q", dataset)
			}
			return pseudonym(dataset, raw)
		},
		Locate:  g.ResolveNIS,
		AreaKey: geography.AreaKey,
		LoadID:  "load-42",
	}
}

// readAll reads a file in one chunk and returns its rows as column maps.
func readAll(t *testing.T, spec *sources.Spec, path string) []map[string]any {
	t.Helper()
	if ps := spec.Validate(); len(ps) > 0 {
		t.Fatalf("test spec is invalid: %v", ps)
	}
	d, ok := sources.LookupDataset(spec.Dataset)
	if !ok {
		t.Fatalf("no dataset %s", spec.Dataset)
	}
	cols := d.Columns()
	var rows []map[string]any
	n, err := sources.Read(t.Context(), spec, path, testEnv(t), 1000, func(chunk [][]any) error {
		for _, r := range chunk {
			if len(r) != len(cols) {
				t.Fatalf("row of %d values, want %d (%v)", len(r), len(cols), cols)
			}
			m := map[string]any{}
			for i, c := range cols {
				m[c] = r[i]
			}
			rows = append(rows, m)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if n != len(rows) {
		t.Errorf("Read returned %d, emitted %d rows", n, len(rows))
	}
	return rows
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestReadFederationExportFromBelgianExcel(t *testing.T) {
	rows := readAll(t, federationSpec("windows-1252"), federationFile)

	type measureRow struct {
		line                               uint32
		service, name, postcode, nis, area string
		measure                            string
		value                              float64
	}
	// Three file rows; the third has no hours, so 3+3+2 stored rows.
	want := []measureRow{
		{2, "S01", "Centre Médical Évasion", "1020", "21004", "21004-1020", "consultations", 120},
		{2, "S01", "Centre Médical Évasion", "1020", "21004", "21004-1020", "persons", 45},
		{2, "S01", "Centre Médical Évasion", "1020", "21004", "21004-1020", "hours", 152.5},
		{3, "S02", "Maison d'accueil « Le Pont »", "1060", "21013", "21013", "consultations", 1234},
		{3, "S02", "Maison d'accueil « Le Pont »", "1060", "21013", "21013", "persons", 310},
		{3, "S02", "Maison d'accueil « Le Pont »", "1060", "21013", "21013", "hours", 1020.75},
		{4, "S03", "Équipe mobile Réseau Hépatite", "1040", "21005", "21005", "consultations", 8},
		{4, "S03", "Équipe mobile Réseau Hépatite", "1040", "21005", "21005", "persons", 3},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(rows), len(want), rows)
	}
	got := map[[2]any]map[string]any{}
	for _, r := range rows {
		got[[2]any{r["line"], r["measure"]}] = r
	}
	for _, w := range want {
		r, ok := got[[2]any{w.line, w.measure}]
		if !ok {
			t.Errorf("no row for line %d measure %s", w.line, w.measure)
			continue
		}
		if p := r["period"].(time.Time); !p.Equal(day(2024, time.March, 1)) {
			t.Errorf("line %d: period %v, want 2024-03-01 (first day of the month)", w.line, p)
		}
		checks := []struct {
			col       string
			got, want any
		}{
			{"federation", r["federation"], "fedito"},
			{"service_id", r["service_id"], w.service},
			{"service_name", r["service_name"], w.name},
			{"postcode", r["postcode"], w.postcode},
			{"nis", r["nis"], w.nis},
			{"area_key", r["area_key"], w.area},
			{"value", r["value"], w.value},
			{"load_id", r["load_id"], "load-42"},
			{"source", r["source"], "fedito"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("line %d %s: %s = %#v, want %#v", w.line, w.measure, c.col, c.got, c.want)
			}
		}
	}
}

func TestReadContactsJSONLines(t *testing.T) {
	rows := readAll(t, contactsSpec(), "testdata/contacts.jsonl")
	type contact struct {
		line                         uint32
		date                         time.Time
		clock, team, place, postcode string
		nis, area, person            string
		poles                        []string
		referral                     uint8
		destination                  string
		syringes, kits, naloxone     uint32
	}
	want := []contact{
		{1, day(2024, 3, 4), "14:30", "COMBO", "street", "1020", "21004", "21004-1020", "LAMA-0042",
			[]string{"medical", "harm_reduction"}, 1, "Projet Lama", 10, 2, 1},
		{2, day(2024, 3, 5), "09:05", "COMBO", "shelter", "1210", "21014", "21014", "MASS-0007",
			[]string{}, 0, "", 0, 0, 0},
		// line 3 is blank; 1300 (Wavre) is outside the region: kept, no commune
		{4, day(2024, 3, 6), "", "RENFORT", "home", "1300", "", "", "ENA-0001",
			[]string{"psychological"}, 1, "", 0, 1, 2},
		{5, day(2024, 3, 7), "23:59", "COMBO", "hotel", "1000", "21004", "21004-1000", "LAMA-0042",
			[]string{"social"}, 0, "", 5, 0, 0},
		{6, day(2024, 3, 31), "00:00", "COMBO", "street", "1050", "21009", "21009", "TRANSIT-12",
			[]string{"harm_reduction"}, 0, "", 20, 4, 0},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if d := r["contact_date"].(time.Time); !d.Equal(w.date) {
			t.Errorf("line %d: contact_date %v, want %v", w.line, d, w.date)
		}
		checks := []struct {
			col       string
			got, want any
		}{
			{"line", r["line"], w.line},
			{"contact_time", r["contact_time"], w.clock},
			{"team", r["team"], w.team},
			{"place_type", r["place_type"], w.place},
			{"postcode", r["postcode"], w.postcode},
			{"nis", r["nis"], w.nis},
			{"area_key", r["area_key"], w.area},
			{"person_key", r["person_key"], pseudonym("contacts", w.person)},
			{"referral", r["referral"], w.referral},
			{"referral_destination", r["referral_destination"], w.destination},
			{"syringes", r["syringes"], w.syringes},
			{"kits", r["kits"], w.kits},
			{"naloxone", r["naloxone"], w.naloxone},
			{"load_id", r["load_id"], "load-42"},
			{"source", r["source"], "combo"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("line %d: %s = %#v, want %#v", w.line, c.col, c.got, c.want)
			}
		}
		if poles, _ := r["poles"].([]string); poles == nil || !slices.Equal(poles, w.poles) {
			t.Errorf("line %d: poles %#v, want %#v", w.line, r["poles"], w.poles)
		}
		for col, v := range r {
			if s, ok := v.(string); ok && strings.Contains(s, w.person) {
				t.Errorf("line %d: column %s holds the raw person id %q", w.line, col, w.person)
			}
		}
	}
	if rows[0]["person_key"] != rows[3]["person_key"] {
		t.Errorf("the same person on lines 1 and 5 must get the same key")
	}
}

// readError reads path and returns its *RowError, failing when there is none.
func readError(t *testing.T, spec *sources.Spec, path string) *sources.RowError {
	t.Helper()
	_, err := sources.Read(t.Context(), spec, path, testEnv(t), 1000, func([][]any) error { return nil })
	if err == nil {
		t.Fatalf("%s read without error", path)
	}
	var re *sources.RowError
	if !errors.As(err, &re) {
		t.Fatalf("error %T %v is not a *sources.RowError", err, err)
	}
	return re
}

func TestReadBadInputNamesFileLineAndField(t *testing.T) {
	csv := federationSpec("utf-8")
	jsonl := contactsSpec()
	tests := []struct {
		file    string
		spec    *sources.Spec
		line    int
		field   string // "" for errors of the file's structure
		message string // a substring of the message
	}{
		{"date-line4.csv", csv, 4, `period (column "Période")`, `"mars 2024" is not a date written dd/mm/yyyy`},
		{"postcode.csv", csv, 3, `postcode (column "Code postal")`, `"10000" is not a Belgian postcode`},
		{"header.csv", csv, 1, "", `column "Code postal" not found in the header`},
		{"missing-service.csv", csv, 2, `service_id (column "Code service")`, "a value is required"},
		{"short-row.csv", csv, 3, `postcode (column "Code postal")`, "a value is required"},
		{"measure.csv", csv, 3, `consultations (column "Consultations")`, `"douze" is not a number`},
		{"quote.csv", csv, 3, "", `bare "`},
		{"broken.jsonl", jsonl, 3, "", "not a JSON object"},
		{"no-person.jsonl", jsonl, 2, `person_key (column "person")`, "a value is required"},
		{"time.jsonl", jsonl, 1, `contact_time (column "time")`, `"25:61" is not a time of day`},
		{"poles.jsonl", jsonl, 3, "poles", "list item 1 is not a string"},
		{"team-list.jsonl", jsonl, 1, `team (column "team")`, "a list where one value is expected"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			re := readError(t, tt.spec, path)
			if re.File != path || re.Line != tt.line || re.Field != tt.field {
				t.Errorf("got File %q Line %d Field %q, want %q %d %q", re.File, re.Line, re.Field, path, tt.line, tt.field)
			}
			if !strings.Contains(re.Message, tt.message) {
				t.Errorf("message %q does not contain %q", re.Message, tt.message)
			}
			msg := re.Error()
			for _, part := range []string{path, "line " + strconv.Itoa(tt.line), tt.field, tt.message} {
				if !strings.Contains(msg, part) {
					t.Errorf("Error() %q does not name %q", msg, part)
				}
			}
		})
	}
}

// countRecords counts the non-blank lines of a JSON Lines file.
func countRecords(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.TrimSpace(l) != "" {
			n++
		}
	}
	return n
}

func TestReadEmitsChunks(t *testing.T) {
	const path = "testdata/contacts.jsonl"
	records := countRecords(t, path)
	if records != 5 {
		t.Fatalf("fixture has %d records, the sizes below assume 5", records)
	}
	tests := []struct {
		chunk int
		sizes []int
	}{
		{1, []int{1, 1, 1, 1, 1}},
		{2, []int{2, 2, 1}},
		{4, []int{4, 1}},
		{5, []int{5}},
		{100, []int{5}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.chunk), func(t *testing.T) {
			var sizes []int
			var lines []uint32
			n, err := sources.Read(t.Context(), contactsSpec(), path, testEnv(t), tt.chunk, func(rows [][]any) error {
				sizes = append(sizes, len(rows))
				for _, r := range rows {
					lines = append(lines, r[len(r)-1].(uint32))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != records || !slices.Equal(sizes, tt.sizes) {
				t.Errorf("read %d rows in chunks %v, want %d in %v", n, sizes, records, tt.sizes)
			}
			if want := []uint32{1, 2, 4, 5, 6}; !slices.Equal(lines, want) {
				t.Errorf("lines %v, want %v in file order", lines, want)
			}
		})
	}
}

func TestReadStopsOnEmitErrorAndCancelledContext(t *testing.T) {
	diskFull := errors.New("disk full")
	calls := 0
	_, err := sources.Read(t.Context(), contactsSpec(), "testdata/contacts.jsonl", testEnv(t), 2, func([][]any) error {
		calls++
		return diskFull
	})
	if !errors.Is(err, diskFull) || calls != 1 {
		t.Errorf("got %v after %d emits, want the emit error after the first", err, calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = sources.Read(ctx, contactsSpec(), "testdata/contacts.jsonl", testEnv(t), 2, func([][]any) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want context.Canceled", err)
	}
}

func TestReadSkipsBOMAndBlankTrailingLines(t *testing.T) {
	raw, err := os.ReadFile("testdata/bom-utf8.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte{0xEF, 0xBB, 0xBF}) || !bytes.HasSuffix(raw, []byte("\r\n\r\n   \r\n\r\n")) {
		t.Fatal("fixture must start with a UTF-8 BOM and end with blank lines")
	}
	rows := readAll(t, federationSpec(""), "testdata/bom-utf8.csv")
	// Two file rows, three measures each.
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	got := map[string]any{}
	for _, r := range rows {
		got[r["service_id"].(string)+"/"+r["measure"].(string)] = r["value"]
		if p := r["period"].(time.Time); !p.Equal(day(2024, 2, 1)) {
			t.Errorf("period %v, want 2024-02-01", p)
		}
	}
	want := map[string]any{
		"S01/consultations": 4.0, "S01/persons": 2.0, "S01/hours": 3.5,
		"S02/consultations": 6.0, "S02/persons": 5.0, "S02/hours": 10.0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("values %v, want %v", got, want)
	}
	if rows[0]["service_name"] != "Café social" {
		t.Errorf("service_name %q, want %q", rows[0]["service_name"], "Café social")
	}
}

func TestReadRejectsUnusableSpec(t *testing.T) {
	tests := []struct {
		name   string
		change func(*sources.Spec)
		want   string
	}{
		{"unknown dataset", func(s *sources.Spec) { s.Dataset = "activity" }, `unknown dataset "activity"`},
		{"unknown format", func(s *sources.Spec) { s.Format = "xlsx" }, `unknown format "xlsx"`},
		{"unknown encoding", func(s *sources.Spec) { s.Encoding = "utf-16" }, `unknown encoding "utf-16"`},
		{"bad date format", func(s *sources.Spec) { s.DateFormat = "dd/mm/yy" }, `"dd/mm/yy" is not a date format`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := federationSpec("windows-1252")
			tt.change(s)
			_, err := sources.Read(t.Context(), s, federationFile, testEnv(t), 10, func([][]any) error {
				t.Error("emit called for an unusable spec")
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
