package sources_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/sources"
)

// teamCSV reads a mobile team's ';' CSV with the given fields changed.
func teamCSV(change func(*sources.Spec)) *sources.Spec {
	s := &sources.Spec{Name: "transit", Path: "transit/*.csv", Format: "csv", Dataset: "contacts", Delimiter: ";",
		Fields: sources.Columns(map[string]string{"contact_date": "date", "team": "team", "postcode": "cp",
			"person_key": "person", "syringes": "syringes", "place_type": "lieu", "referral_destination": "orientation"})}
	if change != nil {
		change(s)
	}
	return s
}

const teamHeader = "date;team;cp;person;syringes;lieu;orientation\n"

// TestEachRule gives one fixture per rule: a good line, then the line that
// breaks the rule. The expected reason is written by hand.
func TestEachRule(t *testing.T) {
	good := "2025-03-03;Transit;1000;P-1;2;rue;\n"
	limits := func(s *sources.Spec) { s.MaxFieldBytes, s.MaxLineBytes = 64, 300 }
	tests := []struct {
		name   string
		spec   *sources.Spec
		line   string
		code   string
		field  string
		detail string // a substring of the reason's detail
	}{
		{"required", teamCSV(nil), "2025-03-03;;1000;P-2;2;rue;\n", sources.ProblemRequired, "team", ""},
		{"negative count", teamCSV(nil), "2025-03-03;Transit;1000;P-2;-4;rue;\n", sources.ProblemNegative, "syringes", ""},
		{"not a whole number", teamCSV(nil), "2025-03-03;Transit;1000;P-2;2,5;rue;\n", sources.ProblemInteger, "syringes", ""},
		{"after the delivery day", teamCSV(nil), "2031-03-03;Transit;1000;P-2;2;rue;\n", sources.ProblemDateFuture, "contact_date", "2025-06-01"},
		{"before the start", teamCSV(func(s *sources.Spec) { s.Start = "2024-01-01" }), "2023-12-31;Transit;1000;P-2;2;rue;\n",
			sources.ProblemDateEarly, "contact_date", "2024-01-01"},
		{"a day that does not exist", teamCSV(nil), "2025-02-31;Transit;1000;P-2;2;rue;\n", sources.ProblemDateInvalid, "contact_date", ""},
		{"not a date", teamCSV(nil), "mars 2025;Transit;1000;P-2;2;rue;\n", sources.ProblemDate, "contact_date", "yyyy-mm-dd"},
		{"outside the Region", teamCSV(nil), "2025-03-03;Transit;1300;P-2;2;rue;\n", sources.ProblemOutside, "postcode", ""},
		{"not a postcode", teamCSV(nil), "2025-03-03;Transit;10000;P-2;2;rue;\n", sources.ProblemPostcode, "postcode", ""},
		{"a cell missing", teamCSV(nil), "2025-03-03;Transit;1000;P-2;2;rue\n", sources.ProblemCells, "", "6 cells, header 7"},
		{"a cell too many", teamCSV(nil), "2025-03-03;Transit;1000;P-2;2;rue;;x\n", sources.ProblemCells, "", "8 cells, header 7"},
		{"invalid UTF-8", teamCSV(nil), "2025-03-03;Trans\xe9t;1000;P-2;2;rue;\n", sources.ProblemEncoding, "", "5"},
		{"a value too long", teamCSV(limits), "2025-03-03;" + strings.Repeat("T", 65) + ";1000;P-2;2;rue;\n",
			sources.ProblemFieldTooLong, "", "64"},
		{"a line too long", teamCSV(limits), "2025-03-03;Transit;1000;P-2;2;rue;" + strings.Repeat("o", 400) + "\n",
			sources.ProblemLineTooLong, "", "300"},
		{"above max", teamCSV(func(s *sources.Spec) {
			hi := 100.0
			s.Fields["syringes"] = sources.Mapping{Column: "syringes", Max: &hi}
		}),
			"2025-03-03;Transit;1000;P-2;101;rue;\n", sources.ProblemRange, "syringes", "≤ 100"},
		{"not an accepted value", teamCSV(func(s *sources.Spec) {
			s.Fields["team"] = sources.Mapping{Column: "team", Values: []string{"Transit"}}
		}), "2025-03-03;Dune;1000;P-2;2;rue;\n", sources.ProblemValue, "team", "Transit"},
		{"unmapped value", teamCSV(func(s *sources.Spec) {
			s.Fields["place_type"] = sources.Mapping{Column: "lieu", Map: map[string]string{"rue": "street"}}
		}), "2025-03-03;Transit;1000;P-2;2;parc;\n", sources.ProblemUnmapped, "place_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "f.csv")
			if err := os.WriteFile(path, []byte(teamHeader+good+tt.line), 0o644); err != nil {
				t.Fatal(err)
			}
			res := readAll(t, tt.spec, path)
			if len(res.rows) != 1 || res.summary.Loaded != 1 {
				t.Errorf("%d rows loaded, want the good line only", len(res.rows))
			}
			if len(res.rejected) != 1 || res.rejected[0].Line != 3 {
				t.Fatalf("quarantined %+v, want line 3", res.rejected)
			}
			r := res.rejected[0].Reasons[0]
			if r.Code != tt.code || r.Field != tt.field || !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("reason %+v, want code %s, field %q, detail with %q", r, tt.code, tt.field, tt.detail)
			}
			if strings.Contains(res.rejected[0].Raw, "P-2") {
				t.Errorf("the quarantined raw line %q holds the raw person id", res.rejected[0].Raw)
			}
		})
	}
}

func TestEveryProblemOfARowIsListed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	body := teamHeader + "2031-03-03;;1300;P-2;-1;rue;\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, teamCSV(nil), path)
	if len(res.rejected) != 1 {
		t.Fatalf("quarantined %+v", res.rejected)
	}
	var codes []string
	for _, r := range res.rejected[0].Reasons {
		codes = append(codes, r.Code+":"+r.Field)
	}
	want := "date_future:contact_date required:team outside:postcode negative:syringes"
	if got := strings.Join(sortedCopy(codes), " "); got != strings.Join(sortedCopy(strings.Fields(want)), " ") {
		t.Errorf("reasons %v, want %s", codes, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func TestRegionOnlyMarkersAndMaps(t *testing.T) {
	spec := teamCSV(func(s *sources.Spec) {
		other := "other"
		s.Fields["place_type"] = sources.Mapping{Column: "lieu", Map: map[string]string{"rue": "street", "Hôtel": "hotel"}, Default: &other}
	})
	path := filepath.Join(t.TempDir(), "f.csv")
	body := teamHeader +
		"2025-03-03;Transit;SDF;P-1;1;hôtel;CPAS\n" + // no fixed address: Region only; a mapped value, case aside
		"2025-03-04;Transit;1030;P-2;1;parc;\n" + // an unmapped value takes the default
		"2025-03-05;Transit;inconnu;P-3;1;RUE;\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, spec, path)
	if len(res.rejected) != 0 || len(res.rows) != 3 {
		t.Fatalf("rows %d, rejected %+v; want 3 rows", len(res.rows), res.rejected)
	}
	want := []struct{ area, nis, place string }{{"04000", "", "hotel"}, {"21015", "21015", "other"}, {"04000", "", "street"}}
	for i, w := range want {
		r := res.rows[i]
		if r["area_key"] != w.area || r["nis"] != w.nis || r["place_type"] != w.place {
			t.Errorf("row %d: area %v nis %v place %v, want %+v", i, r["area_key"], r["nis"], r["place_type"], w)
		}
	}
	// referral is not mapped: it comes from the destination.
	if res.rows[0]["referral"] != uint8(1) || res.rows[1]["referral"] != uint8(0) {
		t.Errorf("referral %v and %v, want 1 (a destination) and 0", res.rows[0]["referral"], res.rows[1]["referral"])
	}
}

func TestDatesWithoutAFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.csv")
	body := teamHeader +
		"2025-03-08T15:28:00+01:00;Transit;1000;P-1;1;rue;\n" +
		"2025-03-08T23:30:00Z;Transit;1000;P-2;1;rue;\n" + // 00:30 on the 9th in Brussels
		"45724;Transit;1000;P-3;1;rue;\n" + // an Excel serial number
		"2025-03-10;Transit;1000;P-4;1;rue;\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// The time of day comes from the same column.
	res := readAll(t, teamCSV(func(s *sources.Spec) { s.Fields["contact_time"] = sources.Column("date") }), path)
	want := []time.Time{day(2025, 3, 8), day(2025, 3, 9), day(2025, 3, 8), day(2025, 3, 10)}
	wantTime := []string{"15:28", "00:30", "", ""}
	if len(res.rows) != len(want) {
		t.Fatalf("%d rows, rejected %+v", len(res.rows), res.rejected)
	}
	for i, w := range want {
		if got := res.rows[i]["contact_date"].(time.Time); !got.Equal(w) {
			t.Errorf("line %d: %v, want %v", i+2, got, w)
		}
		if got := res.rows[i]["contact_time"]; got != wantTime[i] {
			t.Errorf("line %d: time %q, want %q", i+2, got, wantTime[i])
		}
	}
}

func TestTreatmentDemandWithoutPostcodeCountsAtRegionLevel(t *testing.T) {
	spec := &sources.Spec{Name: "tdi", Path: "tdi/*.csv", Format: "csv", Dataset: "treatment_demands", Delimiter: ";",
		Fields: sources.Columns(map[string]string{"demand_date": "date", "postcode": "cp", "person_key": "id", "age": "age"})}
	path := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(path, []byte("date;cp;id;age\n2025-03-03;;T-1;34\n2025-03-04;1060;T-2;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, spec, path)
	if len(res.rows) != 2 || len(res.rejected) != 0 {
		t.Fatalf("rows %d, rejected %+v", len(res.rows), res.rejected)
	}
	if res.rows[0]["area_key"] != "04000" || res.rows[0]["age"] != 34 || res.rows[1]["area_key"] != "21013" || res.rows[1]["age"] != nil {
		t.Errorf("rows %+v", res.rows)
	}
}
