package catalogue

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestAGoodCatalogueLoads(t *testing.T) {
	files, err := ReadFiles("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(files...)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Indicators) != 5 {
		t.Fatalf("%d indicators, want 5", len(c.Indicators))
	}
	share, ok := c.Lookup("referral_share")
	if !ok || share.Denominator == nil || share.Denominator.Indicator != "contacts" || share.Factor != 100 ||
		share.File != "testdata/good.yaml" || share.Line != 18 || share.Numerator.Filters[0].Value != "1" {
		t.Errorf("referral_share read as %+v", share)
	}
	var themes []string
	for _, th := range c.Themes {
		themes = append(themes, th.ID+"="+th.Name.FR+"/"+th.Name.NL)
	}
	if want := []string{"outreach=Travail de rue/Outreach", "treatment=Traitement/Behandeling", "federations=Fédérations/Federaties"}; !slices.Equal(themes, want) {
		t.Errorf("themes %v, want %v in the order of the file", themes, want)
	}
	if th, ok := c.Theme("treatment"); !ok || th.Line != 62 || th.File != "testdata/good.yaml" {
		t.Errorf("theme treatment read as %+v, %v; want it at testdata/good.yaml:62", th, ok)
	}
	if _, ok := c.Theme("offer"); ok {
		t.Error("theme offer is not declared in good.yaml")
	}
}

// entry is a valid indicator whose lines the cases below change.
const entry = `themes:
  - {id: outreach, name: {fr: Travail de rue, nl: Outreach}}
indicators:
  - id: contacts
    theme: outreach
    name: {fr: Contacts, nl: Contacten}
    definition: {fr: Contacts., nl: Contacten.}
    unit: {fr: contacts, nl: contacten}
    numerator:
      dataset: contacts
      aggregate: count
    periods: [month]
`

func TestCatalogueErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		line int
		want string
	}{
		{"unknown key", strings.Replace(entry, "    theme:", "    colour: red\n    theme:", 1), 5, "field colour is unknown in"},
		{"unknown dataset", strings.Replace(entry, "dataset: contacts", "dataset: contact", 1), 10, `unknown dataset "contact"`},
		{"unknown field", strings.Replace(entry, "aggregate: count", "aggregate: distinct\n      field: person", 1), 10, `dataset contacts has no field "person"`},
		{"sum of a text", strings.Replace(entry, "aggregate: count", "aggregate: sum\n      field: team", 1), 10, "sum needs a number field; team is string"},
		{"filter on a missing field", strings.Replace(entry, "aggregate: count", "aggregate: count\n      filters:\n        - {field: drug, op: \"=\", value: x}", 1), 13, `filter on "drug": dataset contacts has no such field`},
		{"unknown operator", strings.Replace(entry, "aggregate: count", "aggregate: count\n      filters:\n        - {field: team, op: like, value: x}", 1), 13, `unknown filter operator "like"`},
		{"unknown aggregate", strings.Replace(entry, "aggregate: count", "aggregate: mean", 1), 10, `unknown aggregate "mean"`},
		{"no Dutch name", strings.Replace(entry, "name: {fr: Contacts, nl: Contacten}", "name: {fr: Contacts}", 1), 4, "name needs a French (fr) and a Dutch (nl) text"},
		{"bad period", strings.Replace(entry, "periods: [month]", "periods: [week]", 1), 4, `unknown period type "week"`},
		{"bad breakdown", strings.Replace(entry, "periods: [month]", "periods: [month]\n    breakdowns: [drug]", 1), 4, `breakdown by "drug": dataset contacts has no such field`},
		{"bad factor", strings.Replace(entry, "periods: [month]", "periods: [month]\n    denominator: {population: all}\n    factor: 500", 1), 4, "factor must be 1, 100, 1000 or 10000, not 500"},
		{"bad population", strings.Replace(entry, "periods: [month]", "periods: [month]\n    denominator: {population: adults}\n    factor: 100", 1), 13, `population "adults": all, or an age group such as 15-64`},
		{"unknown denominator", strings.Replace(entry, "periods: [month]", "periods: [month]\n    denominator: {indicator: persons}\n    factor: 100", 1), 13, `denominator: unknown indicator "persons"`},
		{"bad plan action", strings.Replace(entry, "periods: [month]", "periods: [month]\n    plan_actions: [\"3\"]", 1), 4, `plan action "3" is not a number such as 3.14`},
		{"declared twice", entry + entry[strings.Index(entry, "  - id:"):], 13, "declared twice (first at cat.yaml:4)"},
		{"undeclared theme", strings.Replace(entry, "    theme: outreach", "    theme: street", 1), 4, `theme "street" is not declared`},
		{"theme declared twice", strings.Replace(entry, "indicators:", "  - {id: outreach, name: {fr: Rue, nl: Straat}}\nindicators:", 1), 3, "theme outreach: declared twice (first at cat.yaml:2)"},
		{"theme without Dutch", strings.Replace(entry, "nl: Outreach}", "nl: \"\"}", 1), 2, "theme outreach: name needs a French (fr) and a Dutch (nl) text"},
		{"bad theme id", strings.Replace(entry, "id: outreach,", "id: Outreach,", 1), 2, `theme Outreach: "Outreach" is not a valid id`},
		{"a cycle", `themes: [{id: t, name: {fr: t, nl: t}}]
indicators:
  - id: a
    theme: t
    name: {fr: a, nl: a}
    definition: {fr: a, nl: a}
    unit: {fr: a, nl: a}
    numerator: {dataset: contacts, aggregate: count}
    denominator: {indicator: b}
    factor: 100
    periods: [month]
  - id: b
    theme: t
    name: {fr: b, nl: b}
    definition: {fr: b, nl: b}
    unit: {fr: b, nl: b}
    numerator: {dataset: contacts, aggregate: count}
    denominator: {indicator: a}
    factor: 100
    periods: [month]
`, 3, "its denominators form a cycle back to a"},
		{"syntax", "indicators:\n  - id: x\n\ttheme: y\n", 2, "found a tab character that violates indentation"},
		{"median of a text", strings.Replace(entry, "aggregate: count", "aggregate: median\n      field: team", 1), 10, "median needs a number field; team is string"},
		{"median with a denominator", strings.Replace(entry, "aggregate: count", "aggregate: median\n      field: syringes", 1) +
			"    denominator: {population: all}\n    factor: 100\n", 14, "a median takes no denominator"},
		{"new without a look-back", strings.Replace(entry, "aggregate: count", "aggregate: new\n      field: person_key", 1), 10, "new needs lookback_months, 1 to 60"},
		{"look-back of a count", strings.Replace(entry, "aggregate: count", "aggregate: count\n      lookback_months: 12", 1), 10, "lookback_months only goes with aggregate new"},
		{"a sum over an inventory", strings.Replace(strings.Replace(entry, "dataset: contacts", "dataset: services", 1),
			"aggregate: count", "aggregate: sum\n      field: service_id", 1), 10, "dataset services is an inventory (each period shows the one in force): count or distinct only"},
		{"no total without breakdown", strings.Replace(entry, "periods: [month]", "periods: [month]\n    total: false", 1), 4, "total: false needs a breakdown"},
		{"breakdown by a number", strings.Replace(entry, "periods: [month]", "periods: [month]\n    breakdowns: [syringes]", 1), 4, `breakdown by "syringes": a breakdown needs a text, list or yes/no field; syringes is integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(File{Name: "cat.yaml", Data: []byte(tt.yaml)})
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want a *catalogue.Error, got %v", err)
			}
			for _, p := range ce.Problems {
				if strings.Contains(p.String(), tt.want) {
					if p.Line != tt.line || p.File != "cat.yaml" {
						t.Errorf("%q reported at %s:%d, want cat.yaml:%d", tt.want, p.File, p.Line, tt.line)
					}
					return
				}
			}
			t.Errorf("problems %v do not hold %q", ce.Problems, tt.want)
		})
	}
}
