package indicators_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

const monthly = "month"

// TestLookup checks names come from the snapshot's catalogue, and that an
// indicator the catalogue no longer has is named by its id.
func TestLookup(t *testing.T) {
	s := indicators.NewSnapshot("run-1", time.Time{}, nil, nil, 5, nil)
	d, ok := s.Lookup("contacts_per_10k")
	if !ok || d.Name.Text("nl") != "Activiteitsdichtheid: contacten per 10.000 inwoners" || d.Unit.Text("fr") != "pour 10\u202f000 hab." ||
		d.Name.Text("fr") != "Densité d'activité\u00a0: contacts pour 10\u202f000 habitants" || d.Decimals != 1 {
		t.Errorf("contacts_per_10k read as %+v, %v", d, ok)
	}
	if d, ok := s.Lookup("treatment_demands_per_10k"); ok || d.Name.Text("fr") != "treatment_demands_per_10k" {
		t.Errorf("a removed indicator: %+v, %v; want its id as name and false", d, ok)
	}
}

// snapshot holds contacts for bassin nord in January and March 2024 (none in
// February) and a region value in April.
func snapshot() *indicators.Snapshot {
	values := []indicators.Value{
		{Indicator: "contacts", PeriodType: monthly, Level: geography.LevelBassin, Code: "nord", Period: month(2024, time.March), Value: 120, Numerator: 120},
		{Indicator: "contacts", PeriodType: monthly, Level: geography.LevelBassin, Code: "nord", Period: month(2024, time.January), Value: 100, Numerator: 100},
		{Indicator: "contacts", PeriodType: monthly, Level: geography.LevelRegion, Code: geography.RegionCode, Period: month(2024, time.April), Value: 900, Numerator: 900},
		{Indicator: "contacts_per_10k", PeriodType: monthly, Level: geography.LevelBassin, Code: "nord", Period: month(2024, time.March),
			Value: 5.84, Numerator: 120, Denominator: 205423},
		// The first quarter and a category of March share keys with the
		// monthly totals but for their period type or breakdown.
		{Indicator: "contacts", PeriodType: "quarter", Level: geography.LevelBassin, Code: "nord", Period: month(2024, time.January), Value: 330, Numerator: 330},
		{Indicator: "contacts", PeriodType: monthly, Level: geography.LevelBassin, Code: "nord", Period: month(2024, time.March),
			Breakdown: "place_type", Category: "street", Value: 80, Numerator: 80},
	}
	return indicators.NewSnapshot("run-1", time.Date(2024, 5, 2, 6, 0, 0, 0, time.UTC), nil, nil, 5, values)
}

func TestSnapshotGet(t *testing.T) {
	s := snapshot()
	tests := []struct {
		indicator, level, code string
		period                 time.Time
		want                   float64
		ok                     bool
	}{
		{"contacts", geography.LevelBassin, "nord", month(2024, time.January), 100, true},
		{"contacts", geography.LevelBassin, "nord", month(2024, time.March), 120, true},
		{"contacts", geography.LevelBassin, "nord", month(2024, time.February), 0, false},
		{"contacts", geography.LevelBassin, "sud", month(2024, time.March), 0, false},
		{"contacts", geography.LevelCommune, "nord", month(2024, time.March), 0, false},
		{"persons", geography.LevelBassin, "nord", month(2024, time.March), 0, false},
		{"contacts_per_10k", geography.LevelBassin, "nord", month(2024, time.March), 5.84, true},
	}
	for _, tt := range tests {
		v, ok := s.Get(tt.indicator, tt.level, tt.code, tt.period)
		if ok != tt.ok || v.Value != tt.want {
			t.Errorf("Get(%s, %s, %s, %s) = %v, %v; want %v, %v", tt.indicator, tt.level, tt.code,
				tt.period.Format("2006-01"), v.Value, ok, tt.want, tt.ok)
		}
		if ok && (v.Indicator != tt.indicator || v.Code != tt.code || !v.Period.Equal(tt.period)) {
			t.Errorf("Get returned %+v for %s %s %v", v, tt.indicator, tt.code, tt.period)
		}
	}
}

func TestSnapshotCell(t *testing.T) {
	s := snapshot()
	tests := []struct {
		key  indicators.Key
		want float64
		ok   bool
	}{
		{indicators.Key{Indicator: "contacts", PeriodType: "quarter", Period: month(2024, 1), Level: geography.LevelBassin, Code: "nord"}, 330, true},
		{indicators.Key{Indicator: "contacts", PeriodType: monthly, Period: month(2024, 1), Level: geography.LevelBassin, Code: "nord"}, 100, true},
		{indicators.Key{Indicator: "contacts", PeriodType: monthly, Period: month(2024, 3), Level: geography.LevelBassin, Code: "nord",
			Breakdown: "place_type", Category: "street"}, 80, true},
		{indicators.Key{Indicator: "contacts", PeriodType: "year", Period: month(2024, 1), Level: geography.LevelBassin, Code: "nord"}, 0, false},
	}
	for _, tt := range tests {
		v, ok := s.Cell(tt.key)
		if ok != tt.ok || v.Value != tt.want {
			t.Errorf("Cell(%+v) = %v, %v; want %v, %v", tt.key, v.Value, ok, tt.want, tt.ok)
		}
	}
}

func TestSnapshotSeriesAndPeriods(t *testing.T) {
	s := snapshot()
	months, values, ok := s.Series("contacts", geography.LevelBassin, "nord", month(2023, time.December), month(2024, time.April))
	wantMonths := []time.Time{month(2023, 12), month(2024, 1), month(2024, 2), month(2024, 3), month(2024, 4)}
	if !slices.EqualFunc(months, wantMonths, time.Time.Equal) {
		t.Errorf("months %v, want %v", months, wantMonths)
	}
	if want := []bool{false, true, false, true, false}; !slices.Equal(ok, want) {
		t.Errorf("ok %v, want %v", ok, want)
	}
	if len(values) != 5 || values[1].Value != 100 || values[3].Value != 120 || values[2].Value != 0 {
		t.Errorf("values %+v, want 100 in January and 120 in March", values)
	}

	if got, want := s.Periods(), []time.Time{month(2024, 1), month(2024, 3), month(2024, 4)}; !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("Periods() = %v, want %v (sorted, each once)", got, want)
	}
	if got := s.LastPeriod(); !got.Equal(month(2024, time.April)) {
		t.Errorf("LastPeriod() = %v, want 2024-04", got)
	}
	// A caller changing the months it got changes nothing for the next.
	s.Periods()[2] = month(2030, time.January)
	if got := s.LastPeriod(); !got.Equal(month(2024, time.April)) || !s.Periods()[2].Equal(month(2024, time.April)) {
		t.Errorf("after a caller changed Periods(): LastPeriod() = %v, Periods() = %v, want 2024-04 last", got, s.Periods())
	}
	// Computed during April, the month shown is March: April is not over.
	during := indicators.NewSnapshot("run-1", time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC), nil, nil, 5, s.Values)
	if got := during.LastPeriod(); !got.Equal(month(2024, time.March)) {
		t.Errorf("computed in April: LastPeriod() = %v, want 2024-03", got)
	}
	// A month in the future (a date mistyped as 2031) is never shown.
	future := append(slices.Clone(s.Values), indicators.Value{Indicator: "contacts", PeriodType: monthly, Level: geography.LevelRegion,
		Code: geography.RegionCode, Period: month(2031, time.March), Value: 7})
	if got := indicators.NewSnapshot("run-2", time.Date(2024, 5, 2, 6, 0, 0, 0, time.UTC), nil, nil, 5, future).LastPeriod(); !got.Equal(month(2024, time.April)) {
		t.Errorf("with a value in 2031: LastPeriod() = %v, want 2024-04", got)
	}
	empty := indicators.NewSnapshot("run-0", time.Time{}, nil, nil, 5, nil)
	if !empty.LastPeriod().IsZero() || len(empty.Periods()) != 0 {
		t.Errorf("an empty snapshot must have no periods")
	}
	if m, _, _ := s.Series("contacts", geography.LevelBassin, "nord", month(2024, 4), month(2024, 3)); len(m) != 0 {
		t.Errorf("a series from after its end must be empty, got %v", m)
	}
}

func TestSuppressedAndDisplay(t *testing.T) {
	s := indicators.NewSnapshot("run-1", time.Time{}, nil, nil, 5, nil)
	tests := []struct {
		name       string
		v          indicators.Value
		suppressed bool
		fr, nl     string
	}{
		{"zero is published", indicators.Value{Indicator: "contacts", Value: 0, Numerator: 0}, false, "0", "0"},
		{"one", indicators.Value{Indicator: "persons", Value: 1, Numerator: 1}, true, "< 5", "< 5"},
		{"three is below 5", indicators.Value{Indicator: "contacts", Value: 3, Numerator: 3}, true, "< 5", "< 5"},
		{"4.9 is below 5", indicators.Value{Indicator: "contacts", Value: 4.9, Numerator: 4.9}, true, "< 5", "< 5"},
		{"five is published", indicators.Value{Indicator: "contacts", Value: 5, Numerator: 5}, false, "5", "5"},
		{"a large count", indicators.Value{Indicator: "syringes", Value: 12345, Numerator: 12345}, false, "12\u202f345", "12.345"},
		{"a rate over a small count", indicators.Value{Indicator: "contacts_per_10k", Value: 0.15, Numerator: 3, Denominator: 205423},
			true, "< 5", "< 5"},
		{"a rate shows one decimal", indicators.Value{Indicator: "contacts_per_10k", Value: 5.8416, Numerator: 120, Denominator: 205423},
			false, "5,8", "5,8"},
		{"a count rounds to a whole number", indicators.Value{Indicator: "services", Value: 41.6, Numerator: 41.6}, false, "42", "42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Suppressed(tt.v); got != tt.suppressed {
				t.Errorf("Suppressed = %v, want %v", got, tt.suppressed)
			}
			if got := s.Display(tt.v, "fr"); got != tt.fr {
				t.Errorf("Display fr = %q, want %q", got, tt.fr)
			}
			if got := s.Display(tt.v, "nl"); got != tt.nl {
				t.Errorf("Display nl = %q, want %q", got, tt.nl)
			}
		})
	}
	if other := indicators.NewSnapshot("run-2", time.Time{}, nil, nil, 10, nil); other.Display(indicators.Value{Indicator: "contacts", Value: 7, Numerator: 7}, "fr") != "< 10" {
		t.Errorf("with MinCount 10, 7 must show as < 10")
	}
}

func TestChange(t *testing.T) {
	s := indicators.NewSnapshot("run-1", time.Time{}, nil, nil, 5, nil)
	count := func(n float64) indicators.Value {
		return indicators.Value{Indicator: "contacts", Value: n, Numerator: n}
	}
	tests := []struct {
		name      string
		cur, prev indicators.Value
		percent   float64
		ok        bool
	}{
		{"+20 %", count(120), count(100), 20, true},
		{"-25 %", count(75), count(100), -25, true},
		{"no change", count(40), count(40), 0, true},
		{"to zero", count(0), count(50), -100, true},
		{"from zero", count(10), count(0), 0, false},
		{"current suppressed", count(3), count(100), 0, false},
		{"previous suppressed", count(100), count(4), 0, false},
		{"both at the threshold", count(10), count(5), 100, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := s.Change(tt.cur, tt.prev)
			if ok != tt.ok || math.Abs(p-tt.percent) > 1e-9 {
				t.Errorf("Change(%v, %v) = %v, %v; want %v, %v", tt.cur.Value, tt.prev.Value, p, ok, tt.percent, tt.ok)
			}
		})
	}
}
