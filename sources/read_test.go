package sources_test

import (
	"bytes"
	"context"
	"crypto/sha256"
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
		Fields: sources.Columns(map[string]string{
			"period":       "Période",
			"service_id":   "Code service",
			"service_name": "Nom du service",
			"postcode":     "Code postal",
		}),
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
		Fields: sources.Columns(map[string]string{
			"contact_date": "date", "contact_time": "time", "team": "team", "place_type": "place_type",
			"postcode": "postcode", "person_key": "person", "poles": "poles", "referral": "referral",
			"referral_destination": "referral_destination", "syringes": "syringes", "kits": "kits", "naloxone": "naloxone",
		}),
	}
}

// pseudonym is the test's stand-in for the keyed hash: it hides the raw id.
func pseudonym(dataset, raw string) [16]byte {
	sum := sha256.Sum256([]byte(dataset + "|" + raw))
	var k [16]byte
	copy(k[:], sum[:])
	return k
}

// delivered is the delivery day of the test files: later dates are refused.
var delivered = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

func testEnv(t *testing.T) sources.Env {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	brussels, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		t.Fatal(err)
	}
	return sources.Env{
		Pseudonymise: func(dataset string, raw []byte) [16]byte {
			if dataset != "contacts" && dataset != "treatment_demands" {
				t.Errorf("Pseudonymise called for dataset %q", dataset)
			}
			return pseudonym(dataset, string(raw))
		},
		RecordKey:  func(source string, id []byte) string { return "R:" + source + ":" + string(id) },
		Locate:     g.ResolveNIS,
		AreaKey:    geography.AreaKey,
		RegionOnly: geography.RegionOnlyKey,
		LoadID:     42,
		Delivered:  delivered,
		Location:   brussels,
	}
}

// result is what reading a file gave.
type result struct {
	rows     []map[string]any
	rejected []sources.Rejected
	summary  sources.Summary
	blocks   []int
}

// read reads a file in chunks of chunk rows.
func read(t *testing.T, spec *sources.Spec, path string, chunk int) (result, error) {
	t.Helper()
	if ps := spec.Validate(); len(ps) > 0 {
		t.Fatalf("test spec is invalid: %v", ps)
	}
	var res result
	var err error
	res.summary, err = sources.Read(t.Context(), spec, path, testEnv(t), chunk, sources.Sink{
		Rows: func(b *sources.Block) error {
			res.blocks = append(res.blocks, b.Len())
			res.rows = append(res.rows, blockRows(t, b)...)
			b.Done()
			return nil
		},
		Reject: func(r sources.Rejected) error {
			res.rejected = append(res.rejected, r)
			return nil
		},
	})
	return res, err
}

// readAll reads a file that must read without a file error.
func readAll(t *testing.T, spec *sources.Spec, path string) result {
	t.Helper()
	res, err := read(t, spec, path, 1000)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if res.summary.Stored != len(res.rows) || res.summary.Quarantined != len(res.rejected) {
		t.Errorf("summary %+v, emitted %d rows and %d rejected", res.summary, len(res.rows), len(res.rejected))
	}
	return res
}

// blockRows turns a block into one map per row, column name to value.
func blockRows(t *testing.T, b *sources.Block) []map[string]any {
	t.Helper()
	cols := b.Columns()
	if want := b.Dataset.Columns(); !slices.Equal(cols, want) {
		t.Fatalf("block columns %v, want %v", cols, want)
	}
	rows := make([]map[string]any, b.Len())
	for i := range rows {
		rows[i] = map[string]any{}
	}
	for c, v := range b.Values() {
		rv := reflect.ValueOf(v)
		if rv.Len() != b.Len() {
			t.Fatalf("column %s holds %d values for %d rows", cols[c], rv.Len(), b.Len())
		}
		for i := range rows {
			x := rv.Index(i).Interface()
			switch y := x.(type) {
			case []byte:
				x = string(y)
			case *uint8:
				if y != nil {
					x = int(*y)
				} else {
					x = nil
				}
			}
			rows[i][cols[c]] = x
		}
	}
	return rows
}

func key(k [16]byte) string { return string(k[:]) }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestReadFederationExportFromBelgianExcel(t *testing.T) {
	res := readAll(t, federationSpec("windows-1252"), federationFile)
	rows := res.rows
	if res.summary.Read != 3 || res.summary.Loaded != 3 || res.summary.Stored != 8 || len(res.rejected) != 0 {
		t.Errorf("summary %+v, want 3 read and loaded, 8 stored, none quarantined", res.summary)
	}
	if want := []time.Time{day(2024, 3, 1)}; !slices.EqualFunc(res.summary.Months, want, time.Time.Equal) {
		t.Errorf("months %v, want %v", res.summary.Months, want)
	}

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
			{"load_id", r["load_id"], uint64(42)},
			{"record_key", r["record_key"], ""},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("line %d %s: %s = %#v, want %#v", w.line, w.measure, c.col, c.got, c.want)
			}
		}
	}
}

func TestReadContactsJSONLines(t *testing.T) {
	res := readAll(t, contactsSpec(), "testdata/contacts.jsonl")
	rows := res.rows
	// Line 4 is in Wavre (1300), outside the Region: quarantined, with the
	// person pseudonymised in the raw line kept.
	if len(res.rejected) != 1 || res.rejected[0].Line != 4 || len(res.rejected[0].Reasons) != 1 ||
		res.rejected[0].Reasons[0].Code != sources.ProblemOutside || res.rejected[0].Reasons[0].Field != "postcode" {
		t.Fatalf("rejected %+v, want line 4 outside the Region", res.rejected)
	}
	if raw := res.rejected[0].Raw; strings.Contains(raw, "ENA-0001") || !strings.Contains(raw, `"postcode":"1300"`) {
		t.Errorf("quarantined raw line %q must keep the record but not the raw person id", raw)
	}
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
		// line 3 is blank; line 4 is quarantined
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
			{"person_key", r["person_key"], key(pseudonym("contacts", w.person))},
			{"referral", r["referral"], w.referral},
			{"referral_destination", r["referral_destination"], w.destination},
			{"syringes", r["syringes"], w.syringes},
			{"kits", r["kits"], w.kits},
			{"naloxone", r["naloxone"], w.naloxone},
			{"load_id", r["load_id"], uint64(42)},
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
	if rows[0]["person_key"] != rows[2]["person_key"] {
		t.Errorf("the same person on lines 1 and 5 must get the same key")
	}
}

func TestReadBadRowsAreQuarantinedWithFileLineAndField(t *testing.T) {
	csv := federationSpec("utf-8")
	jsonl := contactsSpec()
	tests := []struct {
		file          string
		spec          *sources.Spec
		line          int
		code          string
		field, column string // empty for a problem of the whole row
		loaded        int
	}{
		{"date-line4.csv", csv, 4, sources.ProblemDate, "period", "Période", 2},
		{"postcode.csv", csv, 3, sources.ProblemPostcode, "postcode", "Code postal", 1},
		{"missing-service.csv", csv, 2, sources.ProblemRequired, "service_id", "Code service", 0},
		{"short-row.csv", csv, 3, sources.ProblemCells, "", "", 1},
		{"measure.csv", csv, 3, sources.ProblemNumber, "consultations", "Consultations", 1},
		{"quote.csv", csv, 3, sources.ProblemSyntax, "", "", 1},
		{"broken.jsonl", jsonl, 3, sources.ProblemSyntax, "", "", 3},
		{"no-person.jsonl", jsonl, 2, sources.ProblemRequired, "person_key", "person", 1},
		{"time.jsonl", jsonl, 1, sources.ProblemTime, "contact_time", "time", 0},
		{"poles.jsonl", jsonl, 3, sources.ProblemSyntax, "", "poles", 1},
		{"team-list.jsonl", jsonl, 1, sources.ProblemList, "team", "team", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			res := readAll(t, tt.spec, path)
			if len(res.rejected) != 1 {
				t.Fatalf("%d rows quarantined, want 1: %+v", len(res.rejected), res.rejected)
			}
			q := res.rejected[0]
			if q.Line != tt.line || len(q.Reasons) != 1 {
				t.Fatalf("quarantined line %d with %+v, want line %d with one reason", q.Line, q.Reasons, tt.line)
			}
			r := q.Reasons[0]
			if r.Code != tt.code || r.Field != tt.field || r.Column != tt.column {
				t.Errorf("reason %+v, want code %s field %q column %q", r, tt.code, tt.field, tt.column)
			}
			if res.summary.Loaded != tt.loaded {
				t.Errorf("%d records loaded, want %d (the good ones)", res.summary.Loaded, tt.loaded)
			}
			if q.Raw == "" {
				t.Errorf("the raw record is not kept")
			}
		})
	}
}

func TestReadMissingColumnRefusesTheFile(t *testing.T) {
	path := filepath.Join("testdata", "bad", "header.csv")
	res, err := read(t, federationSpec("utf-8"), path, 1000)
	var fe *sources.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *sources.FileError", err)
	}
	if fe.File != path || fe.Line != 1 || fe.Reason.Code != sources.ProblemColumn || fe.Reason.Column != "Code postal" {
		t.Errorf("got %+v, want line 1, column Code postal missing", fe)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `column "Code postal" not found`) {
		t.Errorf("message %q must name the file and the column", err)
	}
	if len(res.rows) != 0 {
		t.Errorf("rows emitted for a file without its columns")
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
		t.Fatalf("fixture has %d records, the sizes below assume 5 (one quarantined)", records)
	}
	tests := []struct {
		chunk int
		sizes []int
	}{
		{1, []int{1, 1, 1, 1}},
		{2, []int{2, 2}},
		{3, []int{3, 1}},
		{4, []int{4}},
		{100, []int{4}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.chunk), func(t *testing.T) {
			res, err := read(t, contactsSpec(), path, tt.chunk)
			if err != nil {
				t.Fatal(err)
			}
			if res.summary.Read != records || !slices.Equal(res.blocks, tt.sizes) {
				t.Errorf("read %d records in blocks %v, want %d in %v", res.summary.Read, res.blocks, records, tt.sizes)
			}
			var lines []uint32
			for _, r := range res.rows {
				lines = append(lines, r["line"].(uint32))
			}
			if want := []uint32{1, 2, 5, 6}; !slices.Equal(lines, want) {
				t.Errorf("lines %v, want %v in file order", lines, want)
			}
		})
	}
}

func TestReadStopsOnSinkErrorAndCancelledContext(t *testing.T) {
	diskFull := errors.New("disk full")
	calls := 0
	_, err := sources.Read(t.Context(), contactsSpec(), "testdata/contacts.jsonl", testEnv(t), 2, sources.Sink{
		Rows:   func(b *sources.Block) error { calls++; b.Done(); return diskFull },
		Reject: func(sources.Rejected) error { return nil },
	})
	if !errors.Is(err, diskFull) || calls != 1 {
		t.Errorf("got %v after %d blocks, want the sink's error after the first", err, calls)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = sources.Read(ctx, contactsSpec(), "testdata/contacts.jsonl", testEnv(t), 2, sources.Sink{
		Rows:   func(b *sources.Block) error { b.Done(); return nil },
		Reject: func(sources.Rejected) error { return nil },
	})
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
	rows := readAll(t, federationSpec(""), "testdata/bom-utf8.csv").rows
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
		{"unknown format", func(s *sources.Spec) { s.Format = "ods" }, `unknown format "ods"`},
		{"unknown encoding", func(s *sources.Spec) { s.Encoding = "utf-16" }, `unknown encoding "utf-16"`},
		{"bad date format", func(s *sources.Spec) { s.DateFormat = "dd/mm/yy" }, `"dd/mm/yy" is not a date format`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := federationSpec("windows-1252")
			tt.change(s)
			_, err := sources.Read(t.Context(), s, federationFile, testEnv(t), 10, sources.Sink{
				Rows:   func(*sources.Block) error { t.Error("rows emitted for an unusable spec"); return nil },
				Reject: func(sources.Rejected) error { t.Error("rows rejected for an unusable spec"); return nil },
			})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
