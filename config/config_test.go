package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brusano/bassins/sources"
)

func TestDefaultConfigIsValid(t *testing.T) {
	cfg, err := LoadFile("")
	if err != nil {
		t.Fatalf("default configuration: %v", err)
	}
	if !cfg.ClickHouse.Managed() {
		t.Errorf("the default must run a managed ClickHouse server")
	}
	for _, name := range []string{"ingest", "compute", "monthly-report"} {
		if _, ok := cfg.Job(name); !ok {
			t.Errorf("default configuration lacks job %q", name)
		}
	}
	if len(cfg.Sources) < 5 {
		t.Errorf("default configuration declares %d sources, want the demo's 7", len(cfg.Sources))
	}
}

func TestGoodFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadFile(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadFixtures(t *testing.T) {
	tests := []struct {
		file string
		line int
		want string
	}{
		{"unknown-key.bad.yaml", 2, `field adress is unknown in config.ClickHouse`},
		{"bad-cron.bad.yaml", 4, `jobs[0].schedule: "61 * * * *" is not a cron schedule`},
		{"bad-kind.bad.yaml", 3, `jobs[0].kind: unknown job kind "ingestion"`},
		{"duplicate-job.bad.yaml", 3, `jobs[1].name: job "ingest" is declared twice`},
		{"unknown-dataset.bad.yaml", 5, `sources[0].dataset: unknown dataset "contact"`},
		{"unmapped-field.bad.yaml", 6, `required field "person_key" of dataset contacts is not mapped`},
		{"unknown-field.bad.yaml", 10, `sources[0].fields.drug: dataset treatment_demands has no field "drug"`},
		{"bad-format.bad.yaml", 4, `sources[0].format: unknown format "excel" (known: csv, jsonl, xlsx)`},
		{"bad-format.bad.yaml", 6, `sources[0].encoding: unknown encoding "ebcdic"`},
		{"bad-database.bad.yaml", 2, `clickhouse.database: "bassins; DROP TABLE x" is not a valid database name`},
		{"bad-timezone.bad.yaml", 1, `timezone: "Europe/Bruxelles" is not a known time zone`},
		{"syntax.bad.yaml", 3, `mapping values are not allowed in this context`},
		{"bad-date-format.bad.yaml", 6, `sources[0].date_format: "dd/mm/yy" is not a date format`},
		{"missing-geography.bad.yaml", 2, `geography.population: cannot read /nonexistent/TF_SOC_POP_STRUCT_2024.txt`},
		{"population-list.bad.yaml", 4, `geography.population[1]: cannot read /nonexistent/TF_SOC_POP_STRUCT_2024.txt`},
		{"population-list.bad.yaml", 5, `geography.population[2]: no file matches testdata/statbel/TF_SOC_POP_STRUCT_19*.txt`},
		{"population-list.bad.yaml", 6, `geography.population[3]: "testdata/statbel/TF_SOC_POP_STRUCT_[.txt" is not a valid file pattern`},
		{"wrong-type.bad.yaml", 2, "cannot unmarshal !!str `five` into int"},
		{"cluster-managed.bad.yaml", 2, `clickhouse.cluster: "bassins-cluster" is not a valid cluster name`},
		{"cluster-managed.bad.yaml", 2, "clickhouse.cluster: a cluster needs the address of one of its servers"},
		{"password-in-data-dir.bad.yaml", 3, "clickhouse.password_file: var/ch/password is inside data_dir var/ch"},
		{"code-table.bad.yaml", 12, `sources[0].fields.living_where.map_file: testdata/codes/sciensano-living-where.bad.csv line 3: "squat" is not a code of field living_where`},
		{"code-table.bad.yaml", 13, `sources[0].fields.primary_drug.map: "6" is mapped to "cocaine", not a code of field primary_drug`},
		{"bad-service.bad.yaml", 2, "service.shutdown_grace: must not be negative, not -5s"},
		{"bad-service.bad.yaml", 3, "service.lease_check: must be more than 0"},
		{"bad-service.bad.yaml", 5, "jobs[0].retries: must be between 0 and 20, not 50"},
		{"expected-and-due-day.bad.yaml", 7, `sources[0].expected: source "combo" declares both expected and the deprecated due_day`},
		{"bad-expected.bad.yaml", 7, `sources[0].expected.every: unknown period "week" (month, quarter, year)`},
		{"bad-expected.bad.yaml", 8, `sources[0].expected.due_day: 31 is not a day between 1 and 28`},
		{"bad-expected.bad.yaml", 9, `sources[0].expected.from: "2024/01" is not a month written yyyy-mm`},
		{"bad-expected.bad.yaml", 15, `sources[1].expected.from: 2024-02 is not the first month of a quarter`},
		{"expected-unknown-key.bad.yaml", 6, `field start is unknown in sources.Expected`},
		{"deliveries-dataset.bad.yaml", 5, `sources[0].dataset: dataset deliveries is computed by bassins, not delivered`},
		{"bad-service.bad.yaml", 7, `alerts.webhook_url: "ftp://alerts.example/hook" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := LoadFile(path)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want a *config.Error, got %v", err)
			}
			var found bool
			for _, p := range ce.Problems {
				if strings.Contains(p.String(), tt.want) {
					found = true
					if p.Line != tt.line {
						t.Errorf("%q reported at line %d, want %d", tt.want, p.Line, tt.line)
					}
					if p.File != path {
						t.Errorf("problem names file %q, want %q", p.File, path)
					}
				}
			}
			if !found {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestPopulationIsOnePathOrAList(t *testing.T) {
	for _, tt := range []struct {
		yaml string
		want []string
	}{
		{`population: ""`, nil},
		{`population: testdata/statbel/TF_SOC_POP_STRUCT_2024.txt`, []string{"testdata/statbel/TF_SOC_POP_STRUCT_2024.txt"}},
		{`population: [testdata/statbel/TF_SOC_POP_STRUCT_2023.txt, "testdata/statbel/*.txt"]`,
			[]string{"testdata/statbel/TF_SOC_POP_STRUCT_2023.txt", "testdata/statbel/*.txt"}},
		{"population:\n    - testdata/statbel/TF_SOC_POP_STRUCT_2024.txt", []string{"testdata/statbel/TF_SOC_POP_STRUCT_2024.txt"}},
	} {
		cfg, err := Parse("test.yaml", []byte("geography:\n  "+tt.yaml+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		if got := []string(cfg.Geography.Population); !slices.Equal(got, tt.want) {
			t.Errorf("%s: population %q, want %q", tt.yaml, got, tt.want)
		}
	}
	_, err := Parse("test.yaml", []byte("geography:\n  population: {file: x}\n"))
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Line != 2 || !strings.Contains(ce.Problems[0].Message, "cannot unmarshal") {
		t.Errorf("a mapping is neither a path nor a list: %v, want a problem at line 2", err)
	}
}

func TestExpectedDeliveries(t *testing.T) {
	cfg, err := LoadFile("testdata/expected.good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]sources.Expected{
		"combo":  {Every: "month", DueDay: 10},
		"fedito": {Every: "quarter", DueDay: 28, From: "2024-04"},
		"offer":  {Every: "year", DueDay: 1},
		"legacy": {Every: "month", DueDay: 15}, // the deprecated due_day
	}
	for _, s := range cfg.Sources {
		if e, ok := s.Expectation(); !ok || e != want[s.Name] {
			t.Errorf("source %s owes %+v (%v), want %+v", s.Name, e, ok, want[s.Name])
		}
	}
	def, err := LoadFile("")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range def.Sources {
		if s.DueDay != 0 {
			t.Errorf("the default configuration declares the deprecated due_day on source %s", s.Name)
		}
	}
}

// A code table file becomes the field's map when the configuration loads.
func TestCodeTableFileIsReadIntoTheMap(t *testing.T) {
	cfg, err := LoadFile(filepath.Join("testdata", "code-table.good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand from testdata/codes/sciensano-primary-drug.csv.
	want := map[string]string{"1": "heroin", "6": "cocaine_powder", "7": "crack", "21": "other_hypnotics", "30": "alcohol",
		"99": "unknown"}
	for _, field := range []string{"primary_drug", "secondary_drugs"} {
		got := cfg.Sources[0].Fields[field].Map
		if len(got) != len(want) {
			t.Errorf("%s: map %v, want %v", field, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: code %s maps to %q, want %q", field, k, got[k], v)
			}
		}
	}
}

func TestPasswordSource(t *testing.T) {
	t.Setenv("CH_TEST_PASSWORD", "s3cret")
	c := ClickHouse{Password: "inline", PasswordEnv: "CH_TEST_PASSWORD", PasswordFile: "var/secret/ch.password"}
	if p, f := c.PasswordSource(); p != "s3cret" || f != "" {
		t.Errorf("password source = %q, %q; want the environment's", p, f)
	}
	os.Unsetenv("CH_TEST_PASSWORD")
	if p, f := c.PasswordSource(); p != "inline" || f != "" {
		t.Errorf("password source = %q, %q; want the inline one when the variable is unset", p, f)
	}
	c.Password = ""
	if p, f := c.PasswordSource(); p != "" || f != "var/secret/ch.password" {
		t.Errorf("password source = %q, %q; want the file", p, f)
	}
}

// TestCatalogueProblemsNameTheirFile: a mistake in an operator's catalogue
// file is reported at its own file and line, a missing or unreadable file
// (a folder) at the configuration's line.
func TestCatalogueProblemsNameTheirFile(t *testing.T) {
	_, err := LoadFile("testdata/catalogue.bad.yaml")
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want a *config.Error, got %v", err)
	}
	want := map[string]bool{
		`testdata/operator-catalogue.yaml:11: indicator street_contacts: filter on "place": dataset contacts has no such field`: false,
		`testdata/catalogue.bad.yaml:2: indicators.files[1]: cannot read testdata/no-such-catalogue.yaml`:                       false,
		`testdata/catalogue.bad.yaml:2: indicators.files[2]: cannot read testdata: is a directory`:                              false,
	}
	for _, p := range ce.Problems {
		for w := range want {
			if strings.HasPrefix(p.String(), w) {
				want[w] = true
			}
		}
	}
	for w, found := range want {
		if !found {
			t.Errorf("no problem %q in:\n%v", w, err)
		}
	}
}
