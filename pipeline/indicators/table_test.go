package indicators_test

import (
	"math"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

// tableCatalogue has three themes: the first holds a count and a rate, the
// second nothing monthly, the third a measure kept apart by federation.
const tableCatalogue = `themes:
  - {id: fed, name: {fr: Fédérations, nl: Federaties}}
  - {id: tdi, name: {fr: Traitement, nl: Behandeling}}
  - {id: street, name: {fr: Rue, nl: Straat}}
indicators:
  - id: contacts
    theme: street
    name: {fr: Contacts, nl: Contacten}
    definition: {fr: Contacts., nl: Contacten.}
    unit: {fr: contacts, nl: contacten}
    numerator: {dataset: contacts, aggregate: count}
    periods: [month, year]
  - id: demands_yearly
    theme: tdi
    name: {fr: Demandes, nl: Aanvragen}
    definition: {fr: Demandes., nl: Aanvragen.}
    unit: {fr: demandes, nl: aanvragen}
    numerator: {dataset: treatment_demands, aggregate: count}
    periods: [year]
  - id: hours
    theme: fed
    name: {fr: Heures, nl: Uren}
    definition: {fr: Heures., nl: Uren.}
    unit: {fr: heures, nl: uren}
    numerator: {dataset: federation_activity, aggregate: sum, field: value}
    total: false
    periods: [month]
    breakdowns: [federation]
  - id: contacts_rate
    theme: street
    name: {fr: Taux, nl: Cijfer}
    definition: {fr: Taux., nl: Cijfer.}
    unit: {fr: pour 10 000 hab., nl: per 10.000 inw.}
    decimals: 1
    numerator: {dataset: contacts, aggregate: count}
    denominator: {population: all}
    factor: 10000
    periods: [month]
`

func TestMonthlyTable(t *testing.T) {
	cat, err := catalogue.Load(catalogue.File{Name: "table.yaml", Data: []byte(tableCatalogue)})
	if err != nil {
		t.Fatal(err)
	}
	march := month(2025, time.March)
	hours := func(code, federation string, period time.Time) indicators.Value {
		return indicators.Value{Indicator: "hours", PeriodType: "month", Level: geography.LevelBassin, Code: code, Period: period,
			Breakdown: "federation", Category: federation, Value: 40, Numerator: 40}
	}
	snap := indicators.NewSnapshot("run", march, nil, cat, 5, []indicators.Value{
		hours("sud", "fedito", march), hours("nord", "fedbru", march), hours("nord", "fedito", march),
		hours("nord", "other", march.AddDate(0, -1, 0)), // another month: no line in March
	})
	got := snap.MonthlyTable(march)
	type line struct{ theme, indicator, category string }
	var lines []line
	for _, g := range got {
		for _, l := range g.Lines {
			lines = append(lines, line{g.Theme.Name.NL, l.Indicator.ID, l.Category})
			if l.Category != "" && l.Breakdown != "federation" {
				t.Errorf("line %+v: breakdown %q, want federation", l, l.Breakdown)
			}
		}
	}
	want := []line{{"Federaties", "hours", "fedbru"}, {"Federaties", "hours", "fedito"}, {"Straat", "contacts", ""}, {"Straat", "contacts_rate", ""}}
	if len(lines) != len(want) {
		t.Fatalf("lines %v, want %v", lines, want)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d is %v, want %v", i, lines[i], want[i])
		}
	}
	for _, tt := range []struct{ lang, got, want string }{
		{"fr", got[0].Lines[1].Name("fr"), "Heures — fedito"},
		{"nl", got[0].Lines[0].Name("nl"), "Uren — fedbru"},
		{"nl", got[1].Lines[0].Name("nl"), "Contacten"},
	} {
		if tt.got != tt.want {
			t.Errorf("line name in %s: %q, want %q", tt.lang, tt.got, tt.want)
		}
	}
	k := got[0].Lines[1].Key(geography.LevelBassin, "sud", march)
	if v, ok := snap.Cell(k); !ok || v.Category != "fedito" || v.Code != "sud" {
		t.Errorf("the key of a category line finds %+v, %v", v, ok)
	}
}

func TestPopulationOutdated(t *testing.T) {
	tests := []struct {
		population, period time.Time
		want               bool
	}{
		{time.Time{}, month(2025, 3), false},
		{month(2024, 1), month(2025, 3), false},
		{month(2023, 1), month(2025, 1), false}, // exactly two years
		{month(2023, 1), month(2025, 2), true},
		{month(2021, 1), month(2025, 3), true},
	}
	for _, tt := range tests {
		v := indicators.Value{Period: tt.period, PopulationDate: tt.population}
		if got := indicators.PopulationOutdated(v); got != tt.want {
			t.Errorf("population of %s for %s: outdated %v, want %v", tt.population.Format(time.DateOnly), tt.period.Format("2006-01"), got, tt.want)
		}
	}
}

func TestOldestOutdated(t *testing.T) {
	march := month(2025, time.March)
	value := func(population time.Time) indicators.Value {
		return indicators.Value{Period: march, PopulationDate: population}
	}
	var oldest time.Time
	for _, tt := range []struct {
		v    indicators.Value
		want time.Time
	}{
		{value(month(2024, 1)), time.Time{}},    // recent: none yet
		{value(month(2022, 1)), month(2022, 1)}, // outdated: the first
		{value(time.Time{}), month(2022, 1)},    // no population
		{value(month(2021, 1)), month(2021, 1)}, // older
		{value(month(2022, 6)), month(2021, 1)}, // outdated, but younger
		{indicators.Value{}, month(2021, 1)},    // the zero value
	} {
		if oldest = indicators.OldestOutdated(oldest, tt.v); !oldest.Equal(tt.want) {
			t.Errorf("after a population of %s: oldest %s, want %s", tt.v.PopulationDate.Format(time.DateOnly),
				oldest.Format(time.DateOnly), tt.want.Format(time.DateOnly))
		}
	}
}

func TestCompare(t *testing.T) {
	march := month(2025, time.March)
	rate := func(level, code string, period time.Time, n, pop float64) indicators.Value {
		return indicators.Value{Indicator: "contacts_per_10k", PeriodType: "month", Level: level, Code: code, Period: period,
			Value: n / pop * 10000, Numerator: n, Denominator: pop}
	}
	region := geography.RegionCode
	snap := indicators.NewSnapshot("run", march, nil, nil, 5, []indicators.Value{
		rate("bassin", "nord", march, 400, 200000),                   // 20.0
		rate("bassin", "nord", march.AddDate(0, -1, 0), 380, 200000), // 19.0
		rate("bassin", "nord", march.AddDate(-1, 0, 0), 300, 200000), // 15.0
		rate("bassin", "sud", march, 210, 100000),                    // 21.0
		rate("region", region, march, 1000, 1000000),                 // 10.0
		rate("bassin", "sud-est", march, 3, 100000),                  // suppressed
	})
	get := func(code string) indicators.Value {
		v, _ := snap.Get("contacts_per_10k", "bassin", code, march)
		return v
	}
	c := snap.Compare(get("nord"))
	if c.Previous == nil || c.Previous.Value != 19 || c.YearBefore == nil || c.YearBefore.Value != 15 || c.Region == nil || c.Region.Value != 10 {
		t.Fatalf("comparison of nord: %+v", c)
	}
	// 400 contacts: the interval is about ±2 around 20 per 10,000, far from 10.
	if !(c.CILow > 17 && c.CILow < 20 && c.CIHigh > 20 && c.CIHigh < 23) || !c.DiffersFromRegion {
		t.Errorf("nord: interval %v–%v, differs %v; want about 18–22 and true", c.CILow, c.CIHigh, c.DiffersFromRegion)
	}
	if c := snap.Compare(get("sud")); c.Previous != nil || c.YearBefore != nil || !c.DiffersFromRegion {
		t.Errorf("sud: %+v, want no previous, no year before, differing from the Region", c)
	}
	if c := snap.Compare(get("sud-est")); !math.IsNaN(c.CILow) || c.DiffersFromRegion {
		t.Errorf("a suppressed value has no interval: %+v", c)
	}
	if c := snap.Compare(snapRegion(snap, march)); c.Region != nil || c.DiffersFromRegion {
		t.Errorf("the Region is not compared with itself: %+v", c)
	}
}

func snapRegion(s *indicators.Snapshot, m time.Time) indicators.Value {
	v, _ := s.Get("contacts_per_10k", geography.LevelRegion, geography.RegionCode, m)
	return v
}
