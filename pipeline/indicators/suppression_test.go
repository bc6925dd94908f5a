package indicators_test

import (
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
)

func TestComplementarySuppression(t *testing.T) {
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	april := march.AddDate(0, 1, 0)
	count := func(indicator, level, code string, period time.Time, n float64) indicators.Value {
		return indicators.Value{Indicator: indicator, PeriodType: "month", Level: level, Code: code, Period: period, Value: n, Numerator: n}
	}
	rate := func(level, code string, period time.Time, n, pop float64) indicators.Value {
		return indicators.Value{Indicator: "contacts_per_10k", PeriodType: "month", Level: level, Code: code, Period: period,
			Value: n / pop * 10000, Numerator: n, Denominator: pop}
	}
	values := []indicators.Value{
		count("contacts", "region", "04000", march, 133),
		// March: Nord-Est alone is small; Sud-Est (20) is the smallest other
		// bassin and must be withheld, or 133 - the others gives Nord-Est back.
		count("contacts", "bassin", "nord", march, 40),
		count("contacts", "bassin", "nord-est", march, 3),
		count("contacts", "bassin", "sud", march, 30),
		count("contacts", "bassin", "sud-est", march, 20),
		count("contacts", "bassin", "centre-ouest", march, 40),
		rate("bassin", "sud-est", march, 20, 182708),
		rate("bassin", "sud", march, 30, 313203),
		// April: two small bassins protect each other; nothing more is withheld.
		count("contacts", "bassin", "nord", april, 2),
		count("contacts", "bassin", "nord-est", april, 4),
		count("contacts", "bassin", "sud", april, 30),
		// April persons: none small, none withheld; a zero is published.
		count("persons", "bassin", "nord", april, 0),
		count("persons", "bassin", "sud", april, 12),
	}
	snap := indicators.NewSnapshot("run", march, nil, nil, 5, values)
	tests := []struct {
		indicator, code string
		period          time.Time
		fr, nl          string
	}{
		{"contacts", "nord-est", march, "< 5", "< 5"},
		{"contacts", "sud-est", march, "n.p.", "n.g."},
		{"contacts_per_10k", "sud-est", march, "n.p.", "n.g."},
		{"contacts", "sud", march, "30", "30"},
		{"contacts_per_10k", "sud", march, "1,0", "1,0"},
		{"contacts", "nord", march, "40", "40"},
		{"contacts", "nord", april, "< 5", "< 5"},
		{"contacts", "nord-est", april, "< 5", "< 5"},
		{"contacts", "sud", april, "30", "30"},
		{"persons", "nord", april, "0", "0"},
		{"persons", "sud", april, "12", "12"},
	}
	for _, tt := range tests {
		v, ok := snap.Get(tt.indicator, "bassin", tt.code, tt.period)
		if !ok {
			t.Fatalf("no %s %s", tt.indicator, tt.code)
		}
		if got := snap.Display(v, "fr"); got != tt.fr {
			t.Errorf("%s of %s in %s shows %q, want %q", tt.indicator, tt.code, tt.period.Format("2006-01"), got, tt.fr)
		}
		if got := snap.Display(v, "nl"); got != tt.nl {
			t.Errorf("%s of %s in %s shows %q in Dutch, want %q", tt.indicator, tt.code, tt.period.Format("2006-01"), got, tt.nl)
		}
		if hidden := tt.fr == "< 5" || tt.fr == "n.p."; snap.Suppressed(v) != hidden {
			t.Errorf("Suppressed(%s %s) = %v, want %v", tt.indicator, tt.code, !hidden, hidden)
		}
	}
	if region, _ := snap.Get("contacts", "region", "04000", march); snap.Suppressed(region) {
		t.Error("the region total stays published")
	}
}

func TestComplementarySuppressionWithinABassin(t *testing.T) {
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	may := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	v := func(level, code string, n float64) indicators.Value {
		return indicators.Value{Indicator: "contacts", PeriodType: "month", Level: level, Code: code, Period: may, Value: n, Numerator: n}
	}
	values := []indicators.Value{
		// Nord-Est is Schaerbeek + Evere + Saint-Josse, whole communes: with
		// Evere at 3 and the bassin published, Evere = 60 - 40 - 17 unless
		// Saint-Josse (17, the smaller other) is withheld too.
		v("bassin", "nord-est", 60),
		v("commune", "21015", 40), v("commune", "21006", 3), v("commune", "21014", 17),
		// Across the region, two communes are now withheld (Evere and
		// Saint-Josse): they protect each other, nothing more is needed.
		v("commune", "21001", 90), v("commune", "21016", 8),
		// Sud holds part of Bruxelles-Ville, whose share is never published:
		// its communes form no exact sum and need no protection of their own.
		v("bassin", "sud", 50),
	}
	snap := indicators.NewSnapshot("run", may, g, nil, 5, values)
	want := map[string]string{"21015": "40", "21006": "< 5", "21014": "n.p.", "21001": "90", "21016": "8"}
	for nis, display := range want {
		got, _ := snap.Get("contacts", "commune", nis, may)
		if d := snap.Display(got, "fr"); d != display {
			t.Errorf("commune %s shows %q, want %q", nis, d, display)
		}
	}
}

func TestExportLeavesWithheldValuesEmpty(t *testing.T) {
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	jan2024 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	snap := indicators.NewSnapshot("run", march, nil, nil, 5, []indicators.Value{
		{Indicator: "contacts", PeriodType: "month", Level: "bassin", Code: "nord", Period: march, Value: 3, Numerator: 3},
		{Indicator: "contacts", PeriodType: "month", Level: "bassin", Code: "sud", Period: march, Value: 7, Numerator: 7},
		{Indicator: "contacts", PeriodType: "month", Level: "bassin", Code: "sud-est", Period: march, Value: 70, Numerator: 70,
			Incomplete: true},
		{Indicator: "contacts", PeriodType: "month", Level: "bassin", Code: "sud-est", Period: march.AddDate(0, -1, 0), Value: 50, Numerator: 50},
		// Sud's rate is withheld with Sud's count: with the population
		// known, it would give the count back.
		{Indicator: "contacts_per_10k", PeriodType: "month", Level: "bassin", Code: "sud", Period: march,
			Value: 7.0 / 313203 * 10000, Numerator: 7, Denominator: 313203, PopulationDate: jan2024},
		{Indicator: "contacts_per_10k", PeriodType: "month", Level: "bassin", Code: "sud-est", Period: march,
			Value: 70.0 / 182708 * 10000, Numerator: 70, Denominator: 182708, PopulationDate: jan2024},
	})
	var out strings.Builder
	if err := indicators.WriteCSV(&out, snap.Export(false, func(v indicators.Value) bool { return v.Indicator == "contacts" })); err != nil {
		t.Fatal(err)
	}
	want := "indicator,level,code,breakdown,category,period_type,period,value,numerator,denominator,ci_low,ci_high," +
		"previous,year_before,region_value,differs_from_region,estimated,incomplete,suppressed,population_date\n" +
		"contacts,bassin,nord,,,month,2025-03,,,,,,,,,false,false,false,true,\n" +
		"contacts,bassin,sud,,,month,2025-03,,,,,,,,,false,false,false,true,\n" +
		"contacts,bassin,sud-est,,,month,2025-03,70,70,,,,50,,,false,false,true,false,\n" +
		"contacts,bassin,sud-est,,,month,2025-02,50,50,,,,,,,false,false,false,false,\n"
	if out.String() != want {
		t.Errorf("export:\n%s\nwant:\n%s", out.String(), want)
	}
	rates := snap.Export(false, func(v indicators.Value) bool { return v.Indicator == "contacts_per_10k" })
	if len(rates) != 2 {
		t.Fatalf("%d rates exported, want 2", len(rates))
	}
	if sud := rates[0]; !sud.Suppressed || sud.Value != nil || sud.CILow != nil || sud.PopulationDate != "2024-01-01" {
		t.Errorf("Sud's rate exported as %+v, want it withheld with its population date", sud)
	}
	if se := rates[1]; se.Suppressed || se.Value == nil || se.CILow == nil || !(*se.CILow < *se.Value && *se.Value < *se.CIHigh) ||
		*se.Denominator != 182708 || se.PopulationDate != "2024-01-01" {
		t.Errorf("Sud-Est's rate exported as %+v, want its value inside its interval", se)
	}
	internal := snap.Export(true, func(v indicators.Value) bool { return v.Code == "nord" })
	if len(internal) != 1 || internal[0].Value == nil || *internal[0].Value != 3 {
		t.Errorf("unsuppressed export of nord = %+v, want its 3", internal)
	}
}
