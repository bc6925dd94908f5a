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
		{"unknown field", contactsSpec, func(s *sources.Spec) { s.Fields["age"] = sources.Column("Age") },
			[]problem{{"fields.age", `dataset contacts has no field "age"`}}},
		{"field naming no column", contactsSpec, func(s *sources.Spec) { s.Fields["kits"] = sources.Column("") },
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
			s.Fields["federation"] = sources.Column("Fédération")
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
		{"unknown format", contactsSpec, func(s *sources.Spec) { s.Format = "ods" },
			[]problem{{"format", `unknown format "ods"`}}},
		{"long delimiter", federationSpec1252, func(s *sources.Spec) { s.Delimiter = ";;" },
			[]problem{{"delimiter", `";;" must be a single ASCII character`}}},
		{"unknown replace mode", contactsSpec, func(s *sources.Spec) { s.Replace = "month" },
			[]problem{{"replace", `unknown replace mode "month" (file, months, none)`}}},
		{"bad start", contactsSpec, func(s *sources.Spec) { s.Start = "01/01/2020" },
			[]problem{{"start", `"01/01/2020" is not a date written yyyy-mm-dd`}}},
		{"share above 1", contactsSpec, func(s *sources.Spec) { v := 1.5; s.MaxRejectedShare = &v },
			[]problem{{"max_rejected_share", "1.5 is not a share between 0 and 1"}}},
		{"due day 28", contactsSpec, func(s *sources.Spec) { s.DueDay = 28 }, nil},
		{"due day 29", contactsSpec, func(s *sources.Spec) { s.DueDay = 29 },
			[]problem{{"due_day", "29 is not a day between 1 and 28"}}},
		{"negative due day", contactsSpec, func(s *sources.Spec) { s.DueDay = -1 },
			[]problem{{"due_day", "-1 is not a day between 1 and 28"}}},
		{"expected monthly", contactsSpec, func(s *sources.Spec) {
			s.Expected = &sources.Expected{Every: "month", DueDay: 10}
		}, nil},
		{"expected quarterly from a quarter", contactsSpec, func(s *sources.Spec) {
			s.Expected = &sources.Expected{Every: "quarter", DueDay: 28, From: "2024-04"}
		}, nil},
		{"expected and due_day", contactsSpec, func(s *sources.Spec) {
			s.Expected, s.DueDay = &sources.Expected{Every: "month", DueDay: 10}, 15
		}, []problem{{"expected", `source "combo" declares both expected and the deprecated due_day`}}},
		{"expected without period nor day", contactsSpec, func(s *sources.Spec) { s.Expected = &sources.Expected{} },
			[]problem{{"expected.every", "the period is required: month, quarter or year"},
				{"expected.due_day", "0 is not a day between 1 and 28"}}},
		{"expected weekly", contactsSpec, func(s *sources.Spec) { s.Expected = &sources.Expected{Every: "week", DueDay: 1} },
			[]problem{{"expected.every", `unknown period "week" (month, quarter, year)`}}},
		{"expected from a bad month", contactsSpec, func(s *sources.Spec) {
			s.Expected = &sources.Expected{Every: "month", DueDay: 1, From: "2024-13"}
		}, []problem{{"expected.from", `"2024-13" is not a month written yyyy-mm`}}},
		{"expected quarterly from mid-quarter", contactsSpec, func(s *sources.Spec) {
			s.Expected = &sources.Expected{Every: "quarter", DueDay: 1, From: "2024-02"}
		}, []problem{{"expected.from", "2024-02 is not the first month of a quarter"}}},
		{"expected yearly from March", contactsSpec, func(s *sources.Spec) {
			s.Expected = &sources.Expected{Every: "year", DueDay: 1, From: "2024-03"}
		}, []problem{{"expected.from", "a year starts in January (01)"}}},
		{"feeding the virtual deliveries dataset", contactsSpec, func(s *sources.Spec) { s.Dataset = "deliveries" },
			[]problem{{"dataset", "dataset deliveries is computed by bassins, not delivered: a source cannot feed it"}}},
		{"sheet of a CSV file", contactsSpec, func(s *sources.Spec) { s.Sheet = "Feuil1" },
			[]problem{{"sheet", "a sheet is chosen for the xlsx format only"}}},
		{"min on a text field", contactsSpec, func(s *sources.Spec) {
			lo := 1.0
			s.Fields["team"] = sources.Mapping{Column: "team", Min: &lo}
		}, []problem{{"fields.team", "min and max apply to numbers"}}},
		{"default without a map", contactsSpec, func(s *sources.Spec) {
			other := "other"
			s.Fields["place_type"] = sources.Mapping{Column: "place_type", Default: &other}
		}, []problem{{"fields.place_type", "default applies to values left unmapped: give a map"}}},
		{"values on a number", contactsSpec, func(s *sources.Spec) {
			s.Fields["kits"] = sources.Mapping{Column: "kits", Values: []string{"1"}}
		}, []problem{{"fields.kits", "values apply to text fields"}}},
		{"several problems, in order", contactsSpec, func(s *sources.Spec) {
			s.Encoding = "ebcdic"
			delete(s.Fields, "team")
			s.Fields["colour"] = sources.Column("couleur")
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
		{"federation_activity", "period federation service_id service_name postcode nis area_key measure value record_key load_id line"},
		{"contacts", "contact_date contact_time team place_type postcode nis person_key poles referral referral_destination syringes kits naloxone area_key record_key load_id line"},
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
