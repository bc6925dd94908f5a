package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		{"wrong-type.bad.yaml", 2, "cannot unmarshal !!str `five` into int"},
		{"cluster-managed.bad.yaml", 2, `clickhouse.cluster: "bassins-cluster" is not a valid cluster name`},
		{"cluster-managed.bad.yaml", 2, "clickhouse.cluster: a cluster needs the address of one of its servers"},
		{"password-in-data-dir.bad.yaml", 3, "clickhouse.password_file: var/ch/password is inside data_dir var/ch"},
		{"code-table.bad.yaml", 12, `sources[0].fields.living_where.map_file: testdata/codes/sciensano-living-where.bad.csv line 3: "squat" is not a code of field living_where`},
		{"code-table.bad.yaml", 13, `sources[0].fields.primary_drug.map: "6" is mapped to "cocaine", not a code of field primary_drug`},
		{"bad-service.bad.yaml", 2, "service.shutdown_grace: must not be negative, not -5s"},
		{"bad-service.bad.yaml", 3, "service.lease_check: must be more than 0"},
		{"bad-service.bad.yaml", 5, "jobs[0].retries: must be between 0 and 20, not 50"},
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
