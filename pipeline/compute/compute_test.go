package compute_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/compute"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
)

const (
	bassins  = 5
	communes = 19
	geos     = 1 + bassins + communes
)

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// readColumn reads a reference CSV into key -> population.
func readColumn(t *testing.T, file, key, value string) map[string]int {
	t.Helper()
	f, err := os.Open("../geography/reference/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	idx := map[string]int{}
	for i, h := range recs[0] {
		idx[h] = i
	}
	out := map[string]int{}
	for _, rec := range recs[1:] {
		n, err := strconv.Atoi(rec[idx[value]])
		if err != nil {
			t.Fatal(err)
		}
		out[rec[idx[key]]] = n
	}
	return out
}

// populations returns, from the reference CSVs, the populations of the
// region, of bassin nord and of bassin nord-est.
func populations(t *testing.T) (region, nord, nordEst int) {
	commune := readColumn(t, "communes.csv", "nis", "population_2020")
	bxl := readColumn(t, "bruxelles-ville-population.csv", "postcode", "population")
	if len(commune) != communes {
		t.Fatalf("communes.csv has %d communes", len(commune))
	}
	bxlTotal := 0
	for _, n := range bxl {
		bxlTotal += n
	}
	if bxlTotal != commune["21004"] {
		// Otherwise the loader rescales the areas and the sums below differ.
		t.Fatalf("Bruxelles-Ville areas sum to %d, the commune to %d", bxlTotal, commune["21004"])
	}
	for _, n := range commune {
		region += n
	}
	// Berchem-Sainte-Agathe, Ganshoren, Jette, Koekelberg + Laeken, Neder-Over-Heembeek, Haren.
	nord = commune["21003"] + commune["21008"] + commune["21010"] + commune["21011"] + bxl["1020"] + bxl["1120"] + bxl["1130"]
	// Schaerbeek, Evere, Saint-Josse-ten-Noode.
	nordEst = commune["21015"] + commune["21006"] + commune["21014"]
	return region, nord, nordEst
}

func agg(measure, level, code string, period time.Time, v float64) warehouse.Aggregate {
	return warehouse.Aggregate{Measure: measure, Level: level, Code: code, Period: period, Value: v}
}

type key struct {
	indicator, level, code string
	period                 time.Time
}

func index(t *testing.T, values []indicators.Value) map[key]indicators.Value {
	t.Helper()
	out := map[key]indicators.Value{}
	for _, v := range values {
		k := key{v.Indicator, v.Level, v.Code, v.Period}
		if _, dup := out[k]; dup {
			t.Errorf("two values for %s %s %s %s", v.Indicator, v.Level, v.Code, v.Period.Format("2006-01"))
		}
		out[k] = v
	}
	return out
}

var (
	dec2023 = month(2023, time.December)
	jun2024 = month(2024, time.June)
	feb2025 = month(2025, time.February)
	inv2024 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	inv2025 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
)

// aggregates: contacts in three months (December 2023, June 2024, February
// 2025), inventories on 1 January 2024 and 2025, no treatment demands.
func aggregates() []warehouse.Aggregate {
	R, B, C := geography.LevelRegion, geography.LevelBassin, geography.LevelCommune
	return []warehouse.Aggregate{
		agg("contacts", R, geography.RegionCode, dec2023, 30),
		agg("contacts", R, geography.RegionCode, jun2024, 100),
		agg("contacts", R, geography.RegionCode, feb2025, 120),
		agg("contacts", B, "nord", jun2024, 10),
		agg("contacts", B, "sud", jun2024, 20),
		agg("contacts", B, "", jun2024, 5), // the unassigned area (Quartier européen)
		agg("contacts", C, "21001", jun2024, 7),
		agg("contacts", B, "nord", feb2025, 12),
		agg("persons", R, geography.RegionCode, jun2024, 40),
		agg("persons", B, "nord", jun2024, 6),
		agg("services", R, geography.RegionCode, inv2024, 300),
		agg("services", B, "nord", inv2024, 60),
		agg("services", R, geography.RegionCode, inv2025, 320),
		agg("services", B, "nord", inv2025, 64),
		agg("services", C, "21003", inv2025, 9),
	}
}

func loadGeography(t *testing.T) *geography.Geography {
	t.Helper()
	g, err := geography.Load(geography.Files{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDeriveCountsAreZeroFilled(t *testing.T) {
	got := index(t, compute.Derive(aggregates(), loadGeography(t)))
	R, B, C := geography.LevelRegion, geography.LevelBassin, geography.LevelCommune
	tests := []struct {
		indicator, level, code string
		period                 time.Time
		want                   float64
	}{
		{"contacts", R, geography.RegionCode, dec2023, 30},
		{"contacts", R, geography.RegionCode, jun2024, 100},
		{"contacts", R, geography.RegionCode, feb2025, 120},
		{"contacts", B, "nord", jun2024, 10},
		{"contacts", B, "nord", feb2025, 12},
		{"contacts", B, "sud", jun2024, 20},
		{"contacts", C, "21001", jun2024, 7},
		// no aggregate in a month with data: zero
		{"contacts", B, "nord", dec2023, 0},
		{"contacts", B, "nord-est", jun2024, 0},
		{"contacts", B, "sud", feb2025, 0},
		{"contacts", C, "21001", feb2025, 0},
		{"contacts", C, "21019", jun2024, 0},
		{"persons", R, geography.RegionCode, jun2024, 40},
		{"persons", B, "nord", jun2024, 6},
		// the other contacts indicators share the dataset's months
		{"persons", R, geography.RegionCode, feb2025, 0},
		{"new_persons", B, "centre-ouest", jun2024, 0},
		{"syringes", C, "21004", dec2023, 0},
		{"naloxone", R, geography.RegionCode, feb2025, 0},
		{"referrals", B, "sud-est", jun2024, 0},
	}
	for _, tt := range tests {
		v, ok := got[key{tt.indicator, tt.level, tt.code, tt.period}]
		if !ok {
			t.Errorf("no %s for %s %s in %s", tt.indicator, tt.level, tt.code, tt.period.Format("2006-01"))
			continue
		}
		if v.Value != tt.want || v.Numerator != tt.want || v.Denominator != 0 {
			t.Errorf("%s %s %s %s = %v (numerator %v, denominator %v), want %v", tt.indicator, tt.level, tt.code,
				tt.period.Format("2006-01"), v.Value, v.Numerator, v.Denominator, tt.want)
		}
	}

	// Every contacts indicator has one value per geography and month.
	perIndicator := map[string]int{}
	for k := range got {
		perIndicator[k.indicator]++
	}
	for _, ind := range []string{"contacts", "persons", "new_persons", "syringes", "naloxone", "referrals", "contacts_per_10k"} {
		if perIndicator[ind] != 3*geos {
			t.Errorf("%s: %d values, want 3 months × %d geographies", ind, perIndicator[ind], geos)
		}
	}
	// Datasets without data give no values at all.
	for _, ind := range []string{"treatment_demands", "treatment_demands_per_10k", "federation_consultations"} {
		if perIndicator[ind] != 0 {
			t.Errorf("%s: %d values from no data", ind, perIndicator[ind])
		}
	}
}

func TestDeriveRates(t *testing.T) {
	region, nord, nordEst := populations(t)
	got := index(t, compute.Derive(aggregates(), loadGeography(t)))
	R, B := geography.LevelRegion, geography.LevelBassin
	tests := []struct {
		indicator, level, code string
		period                 time.Time
		numerator              float64
		population             int
	}{
		{"contacts_per_10k", B, "nord", jun2024, 10, nord},
		{"contacts_per_10k", B, "nord", feb2025, 12, nord},
		{"contacts_per_10k", B, "nord-est", jun2024, 0, nordEst},
		{"contacts_per_10k", R, geography.RegionCode, jun2024, 100, region},
		{"services_per_10k", B, "nord", jun2024, 60, nord},
		{"services_per_10k", B, "nord", feb2025, 64, nord},
		{"services_per_10k", R, geography.RegionCode, feb2025, 320, region},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s %s %s", tt.indicator, tt.code, tt.period.Format("2006-01"))
		v, ok := got[key{tt.indicator, tt.level, tt.code, tt.period}]
		if !ok {
			t.Errorf("%s: no value", name)
			continue
		}
		want := tt.numerator / float64(tt.population) * 10000
		if math.Abs(v.Value-want) > 1e-9 || v.Numerator != tt.numerator || v.Denominator != float64(tt.population) {
			t.Errorf("%s = %v (%v / %v), want %v (%v / %d)", name, v.Value, v.Numerator, v.Denominator, want, tt.numerator, tt.population)
		}
	}
	// 10 contacts among the 205,423 inhabitants of bassin nord: 0.4868 per 10,000.
	if v := got[key{"contacts_per_10k", B, "nord", jun2024}]; math.Abs(v.Value-0.48680) > 5e-5 {
		t.Errorf("contacts_per_10k nord = %v, want about 0.4868", v.Value)
	}
}

func TestDeriveServicesFromTheInventoryInForce(t *testing.T) {
	got := index(t, compute.Derive(aggregates(), loadGeography(t)))
	R, B, C := geography.LevelRegion, geography.LevelBassin, geography.LevelCommune
	tests := []struct {
		level, code string
		period      time.Time
		want        float64
	}{
		{R, geography.RegionCode, jun2024, 300}, // 2024-01-01 inventory
		{B, "nord", jun2024, 60},
		{C, "21003", jun2024, 0},                // absent from the 2024 inventory
		{R, geography.RegionCode, feb2025, 320}, // 2025-01-01 inventory
		{B, "nord", feb2025, 64},
		{C, "21003", feb2025, 9},
		{B, "sud", feb2025, 0},
	}
	for _, tt := range tests {
		v, ok := got[key{"services", tt.level, tt.code, tt.period}]
		if !ok || v.Value != tt.want {
			t.Errorf("services %s %s %s = %v (found %v), want %v", tt.level, tt.code, tt.period.Format("2006-01"), v.Value, ok, tt.want)
		}
	}
	// December 2023 is before the first inventory: no services value anywhere.
	for k := range got {
		if (k.indicator == "services" || k.indicator == "services_per_10k") && k.period.Equal(dec2023) {
			t.Errorf("services value for %s %s in December 2023, before the first inventory", k.level, k.code)
		}
		if k.period.Equal(inv2024) || k.period.Equal(inv2025) {
			t.Errorf("%s for %s %s at the inventory's own date %s: only months with data are shown", k.indicator, k.level, k.code, k.period.Format(time.DateOnly))
		}
	}
	count := 0
	for k := range got {
		if k.indicator == "services" {
			count++
		}
	}
	if count != 2*geos {
		t.Errorf("%d services values, want 2 months × %d geographies", count, geos)
	}
}

func TestDeriveInventoryAlone(t *testing.T) {
	ref := time.Date(2024, 9, 15, 0, 0, 0, 0, time.UTC)
	aggs := []warehouse.Aggregate{
		agg("services", geography.LevelRegion, geography.RegionCode, ref, 12),
		agg("services", geography.LevelBassin, "sud", ref, 4),
	}
	got := index(t, compute.Derive(aggs, loadGeography(t)))
	if len(got) != 2*geos {
		t.Errorf("%d values, want services and services_per_10k for %d geographies", len(got), geos)
	}
	sep := month(2024, time.September)
	for _, tt := range []struct {
		level, code string
		want        float64
	}{{geography.LevelRegion, geography.RegionCode, 12}, {geography.LevelBassin, "sud", 4}, {geography.LevelBassin, "nord", 0}} {
		if v, ok := got[key{"services", tt.level, tt.code, sep}]; !ok || v.Value != tt.want {
			t.Errorf("services %s in September 2024 = %v (found %v), want %v", tt.code, v.Value, ok, tt.want)
		}
	}
	if len(compute.Derive(nil, loadGeography(t))) != 0 {
		t.Errorf("no aggregates must give no values")
	}
}

func TestDeriveEstimatedAndUnassigned(t *testing.T) {
	values := compute.Derive(aggregates(), loadGeography(t))
	got := index(t, values)
	R, B, C := geography.LevelRegion, geography.LevelBassin, geography.LevelCommune
	tests := []struct {
		indicator, level, code string
		estimated              bool
		why                    string
	}{
		{"contacts", B, "sud", true, "1050 is assigned to sud by an assumption"},
		{"contacts", B, "centre-ouest", true, "1000 is assigned to centre-ouest by inference"},
		{"contacts", B, "nord", false, "nord's Bruxelles-Ville areas are stated by the bassin"},
		{"contacts", B, "nord-est", false, "whole communes only"},
		{"contacts", B, "sud-est", false, "whole communes only"},
		{"contacts_per_10k", B, "nord", true, "nord's population includes estimated Bruxelles-Ville areas"},
		{"contacts_per_10k", B, "nord-est", false, "official commune populations"},
		{"contacts_per_10k", B, "sud", true, "assumed assignment"},
		{"contacts", R, geography.RegionCode, false, "the region is not split"},
		{"contacts_per_10k", R, geography.RegionCode, false, "the region total is official"},
		{"contacts", C, "21004", false, "counts by commune do not depend on the split"},
		{"services", B, "sud", true, "assumed assignment"},
	}
	for _, tt := range tests {
		v, ok := got[key{tt.indicator, tt.level, tt.code, jun2024}]
		if !ok || v.Estimated != tt.estimated {
			t.Errorf("%s %s: Estimated = %v (found %v), want %v: %s", tt.indicator, tt.code, v.Estimated, ok, tt.estimated, tt.why)
		}
	}
	for _, v := range values {
		if v.Code == "" {
			t.Errorf("value %s %s with an empty code (the unassigned area's bassin)", v.Indicator, v.Level)
		}
		if v.RunID != "" {
			t.Errorf("Derive must leave RunID to the job, got %q", v.RunID)
		}
	}
	// The unassigned area's 5 contacts stay in the region total only.
	var bassinSum float64
	for _, b := range []string{"nord", "nord-est", "sud", "sud-est", "centre-ouest"} {
		bassinSum += got[key{"contacts", B, b, jun2024}].Value
	}
	if bassinSum != 30 {
		t.Errorf("bassins sum to %v contacts in June 2024, want 10 + 20 = 30", bassinSum)
	}
}

func TestDeriveEmitsOnlyCatalogueIndicators(t *testing.T) {
	for _, v := range compute.Derive(aggregates(), loadGeography(t)) {
		d, ok := indicators.Lookup(v.Indicator)
		if !ok {
			t.Errorf("indicator %s is not in the catalogue", v.Indicator)
			continue
		}
		if (d.Kind == indicators.Rate) != (v.Denominator != 0) {
			t.Errorf("%s (%s) %s: denominator %v", v.Indicator, d.Kind, v.Code, v.Denominator)
		}
		if v.Period.Day() != 1 {
			t.Errorf("%s %s: period %v is not the first of a month", v.Indicator, v.Code, v.Period)
		}
	}
}

// A month counts as having data when the region has an aggregate for it, as
// Derive's contract says; the region total is the one every level adds up to.
func TestDeriveMonthsComeFromRegionAggregates(t *testing.T) {
	jan2025 := month(2025, time.January)
	aggs := []warehouse.Aggregate{
		agg("contacts", geography.LevelRegion, geography.RegionCode, jun2024, 100),
		agg("contacts", geography.LevelCommune, "21001", jan2025, 2),
		agg("services", geography.LevelBassin, "nord", inv2025, 64),
	}
	got := index(t, compute.Derive(aggs, loadGeography(t)))
	for k := range got {
		if k.period.Equal(jan2025) {
			t.Errorf("%s %s %s in January 2025, which has no region aggregate", k.indicator, k.level, k.code)
		}
		if k.indicator == "services" {
			t.Errorf("services %s %s: the 2025 inventory has no region aggregate", k.code, k.period.Format("2006-01"))
		}
	}
	if len(got) != 7*geos {
		t.Errorf("%d values, want the 7 contacts indicators of June 2024 for %d geographies", len(got), geos)
	}
}
