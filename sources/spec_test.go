package sources_test

import (
	"strings"
	"testing"

	"github.com/brusano/bassins/sources"
)

func TestSpecValidate(t *testing.T) {
	type problem struct{ path, message string } // message: a substring
	tests := []struct {
		name   string
		base   func() *sources.Spec
		change func(*sources.Spec)
		want   []problem
	}{
		{"contacts as declared", contactsSpec, func(*sources.Spec) {}, nil},
		{"federation as declared", func() *sources.Spec { return federationSpec("windows-1252") }, func(*sources.Spec) {}, nil},
		{"unknown dataset", contactsSpec, func(s *sources.Spec) { s.Dataset = "contact" },
			[]problem{{"dataset", `unknown dataset "contact" (known: `}}},
		{"unmapped required field", contactsSpec, func(s *sources.Spec) { delete(s.Fields, "person_key") },
			[]problem{{"fields", `required field "person_key" of dataset contacts is not mapped`}}},
		{"required field given as a constant", federationSpec1252, func(s *sources.Spec) {
			delete(s.Constants, "federation")
		}, []problem{{"fields", `required field "federation" of dataset federation_activity is not mapped`}}},
		{"unknown field", contactsSpec, func(s *sources.Spec) { s.Fields["age"] = "Age" },
			[]problem{{"fields.age", `dataset contacts has no field "age"`}}},
		{"field naming no column", contactsSpec, func(s *sources.Spec) { s.Fields["kits"] = "" },
			[]problem{{"fields.kits", "names no column"}}},
		{"unknown constant field", federationSpec1252, func(s *sources.Spec) { s.Constants["region"] = "04000" },
			[]problem{{"constants.region", `dataset federation_activity has no field "region"`}}},
		{"bad encoding", contactsSpec, func(s *sources.Spec) { s.Encoding = "utf-16" },
			[]problem{{"encoding", `unknown encoding "utf-16"`}}},
		{"bad date format, two-digit year", contactsSpec, func(s *sources.Spec) { s.DateFormat = "dd/mm/yy" },
			[]problem{{"date_format", `"dd/mm/yy" is not a date format made of dd, mm and yyyy`}}},
		{"bad date format, no month", contactsSpec, func(s *sources.Spec) { s.DateFormat = "dd/yyyy" },
			[]problem{{"date_format", `"dd/yyyy" is not a date format`}}},
		{"measures on a dataset without measures", contactsSpec, func(s *sources.Spec) {
			s.Measures = map[string]string{"contacts": "Nombre"}
		}, []problem{{"measures", "dataset contacts takes no measures"}}},
		{"no measure on a dataset with measures", federationSpec1252, func(s *sources.Spec) { s.Measures = nil },
			[]problem{{"measures", "dataset federation_activity needs at least one measure column"}}},
		{"bad measure name", federationSpec1252, func(s *sources.Spec) { s.Measures["Heures"] = "Heures prestées" },
			[]problem{{"measures.Heures", `"Heures" is not a valid measure name`}}},
		{"constant and column on the same field", federationSpec1252, func(s *sources.Spec) {
			s.Fields["federation"] = "Fédération"
		}, []problem{{"constants.federation", `field "federation" is also read from a column`}}},
		{"bad name", contactsSpec, func(s *sources.Spec) { s.Name = "Combo Contacts" },
			[]problem{{"name", `"Combo Contacts" is not a valid source name`}}},
		{"no path", contactsSpec, func(s *sources.Spec) { s.Path = "" },
			[]problem{{"path", "a path glob in the inbox is required"}}},
		{"path leaving the inbox", contactsSpec, func(s *sources.Spec) { s.Path = "../secrets/*.jsonl" },
			[]problem{{"path", "must stay inside the inbox"}}},
		{"absolute path", contactsSpec, func(s *sources.Spec) { s.Path = "/etc/*.jsonl" },
			[]problem{{"path", "must stay inside the inbox"}}},
		{"bad glob", contactsSpec, func(s *sources.Spec) { s.Path = "combo/[*.jsonl" },
			[]problem{{"path", "is not a valid glob"}}},
		{"unknown format", contactsSpec, func(s *sources.Spec) { s.Format = "xlsx" },
			[]problem{{"format", `unknown format "xlsx"`}}},
		{"long delimiter", federationSpec1252, func(s *sources.Spec) { s.Delimiter = ";;" },
			[]problem{{"delimiter", `";;" must be a single character`}}},
		{"several problems, in order", contactsSpec, func(s *sources.Spec) {
			s.Encoding = "ebcdic"
			delete(s.Fields, "team")
			s.Fields["colour"] = "couleur"
		}, []problem{
			{"encoding", `unknown encoding "ebcdic"`},
			{"fields.colour", `dataset contacts has no field "colour"`},
			{"fields", `required field "team" of dataset contacts is not mapped`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.base()
			tt.change(s)
			got := s.Validate()
			if len(got) != len(tt.want) {
				t.Fatalf("%d problems %v, want %d %v", len(got), got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if got[i].Path != w.path || !strings.Contains(got[i].Message, w.message) {
					t.Errorf("problem %d = {%s: %s}, want {%s: …%s…}", i, got[i].Path, got[i].Message, w.path, w.message)
				}
			}
		})
	}
}

func federationSpec1252() *sources.Spec { return federationSpec("windows-1252") }

func TestDatasetColumns(t *testing.T) {
	tests := []struct {
		dataset string
		want    string
	}{
		{"federation_activity", "period federation service_id service_name postcode nis area_key measure value load_id source line"},
		{"contacts", "contact_date contact_time team place_type postcode nis person_key poles referral referral_destination syringes kits naloxone area_key load_id source line"},
	}
	for _, tt := range tests {
		d, ok := sources.LookupDataset(tt.dataset)
		if !ok {
			t.Fatalf("dataset %s not registered", tt.dataset)
		}
		if got := strings.Join(d.Columns(), " "); got != tt.want {
			t.Errorf("%s columns\n got %s\nwant %s", tt.dataset, got, tt.want)
		}
	}
}
