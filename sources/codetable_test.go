package sources_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/brusano/bassins/sources"
)

// sciensanoSpec reads the Sciensano-like delivery of testdata/sciensano,
// whose numeric codes map to TDI codes through code table files.
func sciensanoSpec() *sources.Spec {
	dir := filepath.Join("testdata", "sciensano")
	return &sources.Spec{Name: "sciensano", Path: "tdi/*.csv", Format: "csv", Dataset: "treatment_demands", Delimiter: ";",
		Fields: map[string]sources.Mapping{
			"demand_date":        sources.Column("date"),
			"person_key":         sources.Column("id"),
			"postcode":           sources.Column("cp"),
			"primary_drug":       {Column: "prod", MapFile: filepath.Join(dir, "primary-drug.csv")},
			"secondary_drugs":    {Column: "prod2", MapFile: filepath.Join(dir, "primary-drug.csv")},
			"previously_treated": {Column: "deja", MapFile: filepath.Join(dir, "previously-treated.csv")},
			"living_where":       {Column: "logement", MapFile: filepath.Join(dir, "living-where.csv")},
		}}
}

func TestSciensanoCodesLoadThroughCodeTables(t *testing.T) {
	spec := sciensanoSpec()
	if ps := spec.LoadCodeTables(); len(ps) > 0 {
		t.Fatalf("code tables: %+v", ps)
	}
	if ps := spec.Validate(); len(ps) > 0 {
		t.Fatalf("spec: %+v", ps)
	}
	path := filepath.Join("testdata", "sciensano", "delivery.csv")
	res := readAll(t, spec, path)

	// Written by hand from delivery.csv and the code tables.
	type want struct {
		drug, treated, where, centre string
		secondary                    []string
	}
	wants := []want{
		{"cocaine_powder", "previously", "stable", "unknown", []string{"alcohol", "cannabis"}},
		{"crack", "never", "unstable", "unknown", []string{}},
		{"other_hypnotics", "unknown", "unknown", "unknown", []string{"heroin"}},
		{"heroin", "never", "institution", "unknown", []string{}},
	}
	if len(res.rows) != len(wants) {
		t.Fatalf("%d rows loaded, want %d", len(res.rows), len(wants))
	}
	for i, w := range wants {
		r := res.rows[i]
		got := want{r["primary_drug"].(string), r["previously_treated"].(string), r["living_where"].(string),
			r["centre_type"].(string), r["secondary_drugs"].([]string)}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("row %d: %+v, want %+v", i, got, w)
		}
	}

	// Lines 5 and 6 hold provider codes the tables do not list.
	wantRejected := []struct {
		line         int
		field, value string
	}{{5, "primary_drug", "77"}, {6, "secondary_drugs", "66"}}
	if len(res.rejected) != len(wantRejected) {
		t.Fatalf("quarantined %+v, want lines 5 and 6", res.rejected)
	}
	for i, w := range wantRejected {
		rej := res.rejected[i]
		if rej.Line != w.line || len(rej.Reasons) != 1 {
			t.Errorf("quarantined %+v, want line %d with one reason", rej, w.line)
			continue
		}
		r := rej.Reasons[0]
		if r.Code != sources.ProblemUnmapped || r.Field != w.field || r.Value != w.value {
			t.Errorf("line %d: reason %+v, want %s of field %s (value %s)", w.line, r, sources.ProblemUnmapped, w.field, w.value)
		}
		if msg := r.Message(); !strings.Contains(msg, w.field) || strings.Contains(msg, w.value) {
			t.Errorf("line %d: message %q must name the field and not the value", w.line, msg)
		}
	}
}

// A canonical code outside the field's codes is refused when the code
// tables are loaded, naming the file and its line.
func TestCodeTableProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body string
		inline     map[string]string
		want       string
	}{
		{"unknown target", "code;tdi_code\n1;stable\n2;squat\n", nil, `line 3: "squat" is not a code of field living_where`},
		{"duplicate code", "code;tdi_code\n1;stable\n 1 ;unstable\n", nil, `line 3: code "1" is already given on line 2`},
		{"wrong header", "code;tdi\n1;stable\n", nil, "line 1: the header must be code;tdi_code"},
		{"cells", "code;tdi_code\n1;stable;x\n", nil, "line 2: wrong number of fields"},
		{"also inline", "code;tdi_code\n1;stable\n", map[string]string{"1": "unstable"}, `line 2: code "1" is also in the field's map`},
		{"empty", "", nil, "the code table is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(strings.ReplaceAll(tt.name, " ", "-")+".csv", tt.body)
			spec := sciensanoSpec()
			spec.Fields["living_where"] = sources.Mapping{Column: "logement", MapFile: path, Map: tt.inline}
			ps := spec.LoadCodeTables()
			var found bool
			for _, p := range ps {
				if p.Path == "fields.living_where.map_file" && strings.Contains(p.Message, tt.want) &&
					strings.HasPrefix(p.Message, path) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %+v, want %q", ps, tt.want)
			}
		})
	}
	spec := sciensanoSpec()
	spec.Fields["living_where"] = sources.Mapping{Column: "logement", MapFile: filepath.Join(dir, "missing.csv")}
	if ps := spec.LoadCodeTables(); len(ps) != 1 || !strings.Contains(ps[0].Message, "cannot read the code table") {
		t.Errorf("a missing file: %+v", ps)
	}
	// A Spec whose code table was not loaded is not read with an empty map.
	spec = sciensanoSpec()
	if _, err := sources.Read(t.Context(), spec, filepath.Join("testdata", "sciensano", "delivery.csv"), testEnv(t), 0,
		sources.Sink{}); err == nil || !strings.Contains(err.Error(), "not loaded") {
		t.Errorf("reading without loading the code tables: %v", err)
	}
}

// Inline maps, defaults and values of a coded field must give its codes.
func TestValidateChecksMapsAgainstCodes(t *testing.T) {
	other := "elsewhere"
	spec := sciensanoSpec()
	spec.Fields["living_where"] = sources.Mapping{Column: "logement", Map: map[string]string{"1": "stable", "2": "squat"},
		Default: &other}
	spec.Fields["sex"] = sources.Mapping{Column: "sexe", Values: []string{"M", "X"}}
	spec.Fields["primary_drug"] = sources.Column("prod")
	spec.Fields["secondary_drugs"] = sources.Column("prod2")
	spec.Fields["previously_treated"] = sources.Column("deja")
	var got []string
	for _, p := range spec.Validate() {
		got = append(got, p.Path+": "+p.Message)
	}
	want := []string{
		`fields.living_where.map: "2" is mapped to "squat", not a code of field living_where`,
		`fields.living_where.default: "elsewhere" is not a code of field living_where`,
		`fields.sex.values: "X" is not a code of field sex`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %q, want %q", got[i], want[i])
		}
	}
}

// Coded fields store their code as the dataset writes it, an empty cell as
// unknown, and quarantine any other value without logging it.
func TestCodedFields(t *testing.T) {
	spec := &sources.Spec{Name: "tdi", Path: "tdi/*.csv", Format: "csv", Dataset: "treatment_demands", Delimiter: ";",
		Fields: sources.Columns(map[string]string{"demand_date": "date", "person_key": "id", "sex": "sexe",
			"primary_drug": "prod", "secondary_drugs": "prod2", "treatment_start": "debut"})}
	path := filepath.Join(t.TempDir(), "f.csv")
	body := "date;id;sexe;prod;prod2;debut\n" +
		"2025-03-03;T-1;m;Crack;ALCOHOL | cannabis;2025-03-10\n" +
		"2025-03-04;T-2;;;;\n" +
		"2025-03-05;T-3;F;speedball;;\n" +
		"2025-03-06;T-4;F;heroin;crack|speed;\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, spec, path)
	if len(res.rows) != 2 {
		t.Fatalf("%d rows, want 2; quarantined %+v", len(res.rows), res.rejected)
	}
	r0, r1 := res.rows[0], res.rows[1]
	if r0["sex"] != "M" || r0["primary_drug"] != "crack" || !reflect.DeepEqual(r0["secondary_drugs"], []string{"alcohol", "cannabis"}) ||
		r0["treatment_start"].(interface{ Format(string) string }).Format("2006-01-02") != "2025-03-10" {
		t.Errorf("row 1: %+v", r0)
	}
	if r1["sex"] != "unknown" || r1["primary_drug"] != "unknown" || r1["living_with"] != "unknown" ||
		len(r1["secondary_drugs"].([]string)) != 0 ||
		r1["treatment_start"].(interface{ Format(string) string }).Format("2006-01-02") != "1970-01-01" {
		t.Errorf("row 2: %+v", r1)
	}
	if len(res.rejected) != 2 || res.rejected[0].Line != 4 || res.rejected[1].Line != 5 {
		t.Fatalf("quarantined %+v, want lines 4 and 5", res.rejected)
	}
	for i, field := range []string{"primary_drug", "secondary_drugs"} {
		r := res.rejected[i].Reasons[0]
		if r.Code != sources.ProblemValue || r.Field != field || !strings.Contains(r.Detail, "cocaine_powder, crack, other_cocaine") {
			t.Errorf("line %d: reason %+v, want a value outside the codes of %s", res.rejected[i].Line, r, field)
		}
		if msg := r.Message(); strings.Contains(msg, "speed") {
			t.Errorf("message %q shows the rejected value", msg)
		}
	}
}

func TestDescribeListsTheCodes(t *testing.T) {
	d, _ := sources.LookupDataset("treatment_demands")
	got := d.Describe()
	for _, want := range []string{"codes: never, previously, unknown",
		"codes: stable, unstable, institution, unknown",
		"codes: heroin, methadone, buprenorphine, fentanyl, other_opioids, cocaine_powder, crack, other_cocaine,"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe lacks %q:\n%s", want, got)
		}
	}
}
