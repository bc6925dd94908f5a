package compute

import (
	"cmp"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// synthetic describes cells made up for the default catalogue, without a
// warehouse: what Gather would gather from months of data, at a scale.
type synthetic struct {
	seed   uint64
	months int       // ending with end
	end    time.Time // the last month
	// perMonth is the rows of each dataset in a month, over the Region.
	perMonth map[string]float64
}

// productSize is the product benchmark's data: 60 months to December 2025
// of 10,000,000 contacts and 500,000 treatment demands, with the care
// offer's inventories and federation exports.
var productSize = synthetic{seed: 1, months: 60, end: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
	perMonth: map[string]float64{"contacts": 10_000_000 / 60.0, "treatment_demands": 500_000 / 60.0, "federation_activity": 3_000}}

// syntheticCategories are the categories of the breakdowns without codes,
// as the demo data writes them, most frequent first.
var syntheticCategories = map[string][]string{
	"contacts/place_type": {"rue", "centre d'hébergement", "hôtel", "gare", "autre", "squat", "domicile"},
	"contacts/team":       {"LAMA", "MASS", "TRANSIT", "SAMPAS", "RENFORT"},
	"contacts/poles":      {"harm_reduction", "medical", "psychological", "social", sources.Unknown},
	"contacts/referral_destination": {"maison médicale", "centre d'accueil de jour", "CPAS", "hôpital",
		"service en assuétudes", "service de santé mentale", "maison d'accueil"},
	"federation_activity/federation": {"FMM", "LBSM", "FEDITO BXL"},
	"services/service_type": {"maison médicale", "service social", "aide à domicile", "maison d'accueil",
		"service de santé mentale", "planning familial", "service en assuétudes", "soins palliatifs"},
	"services/federation": {"FCSS", "AMA", "FASD", "FMM", "LBSM", "FEDITO BXL", "Aucune", "FLCPF", "FCPPF", "FBSP", "VWGC"},
}

// categoriesOf returns the categories of a breakdown, most frequent first.
func categoriesOf(ds *sources.Dataset, breakdown string) []string {
	if f, ok := ds.Field(breakdown); ok && len(f.Codes) > 0 {
		return f.Codes
	}
	if cs, ok := syntheticCategories[ds.Name+"/"+breakdown]; ok {
		return cs
	}
	return []string{"a", "b", "c", "d"}
}

// build returns the cells of the catalogue's measures: additive ones
// generated per month, area and category and rolled up as Gather does,
// distinct counts and histograms derived from them, inventories and
// deliveries made up alike. Counts spread unevenly over areas and
// categories, many of them small.
func (s synthetic) build(g *geography.Geography, cat *catalogue.Catalogue) *Cells {
	r := rand.New(rand.NewPCG(s.seed, 7))
	cells := NewCells()
	first := s.end.AddDate(0, 1-s.months, 0)
	var months []time.Time
	for m := first; !m.After(s.end); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	// A few busy areas, many quiet ones.
	areaShare := make([]float64, len(g.Areas))
	var sum float64
	for i := range areaShare {
		areaShare[i] = math.Exp(1.5 * r.NormFloat64())
		sum += areaShare[i]
	}
	for i := range areaShare {
		areaShare[i] /= sum
	}
	ns := needs(cat)
	keys := make([]string, 0, len(ns))
	for k := range ns {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, name := range []string{"contacts", "treatment_demands", "federation_activity"} {
		cells.Months[name] = map[time.Time]uint64{}
		for _, m := range months {
			cells.Months[name][m] = uint64(s.perMonth[name])
		}
	}
	// Additive measures first: the others are made from them.
	for _, k := range keys {
		nd := ns[k]
		n := nd.numerator
		ds, _ := sources.LookupDataset(n.Dataset)
		if ds.Virtual || ds.Stock || (n.Aggregate != catalogue.Count && n.Aggregate != catalogue.Sum) {
			continue
		}
		// The share of the dataset's rows a filtered count keeps, or the
		// mean of a summed field.
		frac := 1.0
		if len(n.Filters) > 0 || n.Aggregate == catalogue.Sum {
			frac = 0.02 + 0.4*r.Float64()
		}
		bds := slices.Sorted(maps.Keys(nd.breakdowns))
		for _, m := range months {
			season := 1 + 0.2*math.Sin(float64(m.Month())/12*2*math.Pi)
			for ai, a := range g.Areas {
				total := poisson(r, s.perMonth[n.Dataset]*frac*season*areaShare[ai])
				if total == 0 {
					continue
				}
				for _, b := range bds {
					if b == "" {
						cells.addArea([]string{k}, "", "", m, a.Key, places(g, a.Key), []float64{float64(total)})
						continue
					}
					cs := categoriesOf(ds, b)
					w := make([]float64, len(cs))
					for i := range w {
						w[i] = 1 / float64(1+i)
					}
					var counts []int
					if f, _ := ds.Field(b); f.Type == sources.List {
						// Each value of a list counts apart.
						for i := range cs {
							counts = append(counts, binomial(r, total, 0.6*w[i]))
						}
					} else {
						counts = multinomial(r, total, w)
					}
					for i, c := range counts {
						if c > 0 {
							cells.addArea([]string{k}, b, cs[i], m, a.Key, places(g, a.Key), []float64{float64(c)})
						}
					}
				}
			}
		}
	}
	// Distinct counts and counts of new values: a share of the rows of the
	// dataset's count, at the Region, bassins and communes.
	baseOf := func(ds string) string {
		return MeasureKey(catalogue.Numerator{Dataset: ds, Aggregate: catalogue.Count})
	}
	for _, k := range keys {
		nd := ns[k]
		n := nd.numerator
		ds, _ := sources.LookupDataset(n.Dataset)
		if ds.Stock || ds.Virtual || (n.Aggregate != catalogue.Distinct && n.Aggregate != catalogue.New) {
			continue
		}
		lo, hi := 0.2, 0.6
		if n.Aggregate == catalogue.New {
			lo, hi = 0.01, 0.08
		}
		base := baseOf(n.Dataset)
		var from []Cell
		for c := range cells.Values {
			if c.Measure == base && c.Level != levelArea && nd.breakdowns[c.Breakdown] && nd.periods[c.PeriodType] {
				from = append(from, c)
			}
		}
		slices.SortFunc(from, compareCells)
		for _, c := range from {
			d := c
			d.Measure = k
			cells.Values[d] = math.Ceil(cells.Values[c] * (lo + (hi-lo)*r.Float64()))
		}
	}
	// Histograms: ages of the rows of the dataset's count.
	for _, k := range keys {
		nd := ns[k]
		n := nd.numerator
		if n.Aggregate != catalogue.Median {
			continue
		}
		ds, _ := sources.LookupDataset(n.Dataset)
		base := baseOf(n.Dataset)
		for _, m := range months {
			for _, a := range g.Areas {
				for _, b := range slices.Sorted(maps.Keys(nd.breakdowns)) {
					cats := []string{""}
					if b != "" {
						cats = categoriesOf(ds, b)
					}
					for _, cat := range cats {
						rows := cells.Values[Cell{base, b, cat, catalogue.Month, m, levelArea, a.Key}]
						for left := int(rows); left > 0; {
							x := min(left, 1+r.IntN(4))
							age := float64(18 + r.IntN(50))
							for _, h := range cells.histograms(k, b, cat, m, places(g, a.Key)) {
								h[age] += float64(x)
							}
							left -= x
						}
					}
				}
			}
		}
	}
	// Inventories: a state at the start of every year and mid-year.
	for _, k := range keys {
		nd := ns[k]
		n := nd.numerator
		ds, _ := sources.LookupDataset(n.Dataset)
		if !ds.Stock {
			continue
		}
		var dates []time.Time
		for y := first.Year(); y <= s.end.Year(); y++ {
			dates = append(dates, time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y, 7, 1, 0, 0, 0, 0, time.UTC))
		}
		cells.Dates[ds.Name] = dates
		cells.Months[ds.Name] = map[time.Time]uint64{}
		for _, d := range dates {
			cells.Months[ds.Name][d] = 200
			at := func(b, cat, level, code string, v int) {
				if v > 0 {
					cells.Values[Cell{k, b, cat, warehouse.PeriodDate, d, level, code}] = float64(v)
				}
			}
			for _, b := range slices.Sorted(maps.Keys(nd.breakdowns)) {
				cats := []string{""}
				if b != "" {
					cats = categoriesOf(ds, b)
				}
				for _, cat := range cats {
					at(b, cat, geography.LevelRegion, geography.RegionCode, 20+r.IntN(200))
					for _, bs := range g.Bassins {
						at(b, cat, geography.LevelBassin, bs.Code, r.IntN(40))
					}
					if b == "" {
						for _, c := range g.Communes {
							at(b, cat, geography.LevelCommune, c.NIS, r.IntN(25))
						}
					}
				}
			}
		}
	}
	// Deliveries: every source monthly, now and then late or missing.
	var rows []completeness.Row
	for _, src := range []string{"combo", "renfort", "tdi", "fedito", "lbsm", "fmm"} {
		for _, m := range months {
			received := r.IntN(30) != 0
			rows = append(rows, completeness.Row{Source: src, Dataset: "contacts", Every: catalogue.Month, Period: m,
				Due: m.AddDate(0, 1, 10), Expected: true, Received: received, OnTime: received && r.IntN(5) != 0})
		}
	}
	cells.Deliveries = rows
	cells.Months[sources.Deliveries] = map[time.Time]uint64{}
	for _, row := range rows {
		cells.Months[sources.Deliveries][row.Period]++
	}
	for _, k := range keys {
		nd := ns[k]
		if ds, _ := sources.LookupDataset(nd.numerator.Dataset); ds.Virtual {
			cells.addDeliveries(rows, k, nd.numerator, nd.breakdowns)
		}
	}
	return cells
}

// compareCells orders cells field by field.
func compareCells(a, b Cell) int {
	return cmp.Or(strings.Compare(a.Measure, b.Measure), strings.Compare(a.Breakdown, b.Breakdown),
		strings.Compare(a.Category, b.Category), strings.Compare(a.PeriodType, b.PeriodType), a.Period.Compare(b.Period),
		strings.Compare(a.Level, b.Level), strings.Compare(a.Code, b.Code))
}

// poisson draws a Poisson count of the given mean (normal beyond 50).
func poisson(r *rand.Rand, mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	limit, k, p := math.Exp(-mean), 0, r.Float64()
	for p > limit {
		k++
		p *= r.Float64()
	}
	return k
}

// binomial draws a binomial count (normal beyond 30 trials).
func binomial(r *rand.Rand, n int, p float64) int {
	if p >= 1 {
		return n
	}
	if n > 30 {
		x := math.Round(float64(n)*p + math.Sqrt(float64(n)*p*(1-p))*r.NormFloat64())
		return int(min(max(x, 0), float64(n)))
	}
	k := 0
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

// multinomial splits n among categories of weights w.
func multinomial(r *rand.Rand, n int, w []float64) []int {
	var mass float64
	for _, x := range w {
		mass += x
	}
	out := make([]int, len(w))
	for i, x := range w {
		if i == len(w)-1 {
			out[i] = n
			break
		}
		out[i] = binomial(r, n, x/mass)
		n -= out[i]
		mass -= x
	}
	return out
}

// syntheticInput returns the input and cells of a synthetic computation of
// the default catalogue over the real geography.
func syntheticInput(tb testing.TB, s synthetic) (Input, *Cells) {
	tb.Helper()
	cat, err := catalogue.Load(catalogue.Default())
	if err != nil {
		tb.Fatal(err)
	}
	g, err := geography.Load(geography.Files{})
	if err != nil {
		tb.Fatal(err)
	}
	in := Input{Catalogue: cat, Geography: g, Now: s.end.AddDate(0, 2, 0)}
	return in, s.build(g, cat)
}

// BenchmarkSuppress suppresses the values of the default catalogue computed
// from the product benchmark's data (productSize).
func BenchmarkSuppress(b *testing.B) {
	in, cells := syntheticInput(b, productSize)
	values := Derive(in, cells)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Suppress(in, cells, values, 5)
	}
	hidden := 0
	for _, v := range values {
		if v.Suppressed {
			hidden++
		}
	}
	b.ReportMetric(float64(len(values)), "values")
	b.ReportMetric(float64(len(cells.Values)), "cells")
	b.ReportMetric(float64(hidden), "hidden")
}
