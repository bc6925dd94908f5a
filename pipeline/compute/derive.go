package compute

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// Input is what Derive needs besides the cells.
type Input struct {
	Catalogue *catalogue.Catalogue
	Geography *geography.Geography
	// Now is when the computation runs: a period not over by then is
	// incomplete.
	Now time.Time
}

type geo struct{ level, code string }

// period is one period of a period type.
type period struct {
	ptype string
	start time.Time
}

func (p period) end() time.Time {
	switch p.ptype {
	case catalogue.Quarter:
		return p.start.AddDate(0, 3, 0)
	case catalogue.Year:
		return p.start.AddDate(1, 0, 0)
	}
	return p.start.AddDate(0, 1, 0)
}

// Derive turns cells into the values of every indicator of the catalogue.
//
//   - A dataset's periods are those with rows in at least one month: every
//     geography then has a value, zero where nothing was recorded. A
//     quarter or a year with a month without rows, or not over at Now, is
//     incomplete.
//   - A stock (an inventory) shows, for each period of the other datasets,
//     its latest state dated before the period's end.
//   - Counts of new values are left out for periods whose look-back starts
//     before the dataset's first month: they would count everyone as new.
//   - Rates divide by the population of the period's year; shares and
//     ratios by the other indicator's value for the same category when it
//     has the breakdown, for its total otherwise.
func Derive(in Input, cells *Cells) []indicators.Value {
	g := in.Geography
	geos := []geo{{geography.LevelRegion, geography.RegionCode}}
	for _, b := range g.Bassins {
		geos = append(geos, geo{geography.LevelBassin, b.Code})
	}
	for _, c := range g.Communes {
		geos = append(geos, geo{geography.LevelCommune, c.NIS})
	}
	categories := cells.categories()
	var out []indicators.Value
	for _, ind := range in.Catalogue.Indicators {
		mk := MeasureKey(ind.Numerator)
		ds, _ := sources.LookupDataset(ind.Numerator.Dataset)
		places := geos
		if ds.Virtual {
			places = geos[:1] // deliveries have no place: the Region only
		}
		for _, ptype := range ind.Periods {
			for _, p := range periods(cells, ds, ptype) {
				if ind.Numerator.Aggregate == catalogue.New && !lookbackCovered(cells.Months[ds.Name], p, ind.Numerator.LookbackMonths) {
					continue
				}
				incomplete := periodIncomplete(cells, ds, p, in.Now)
				at, ok := cellsPeriod(cells, ds, p)
				if !ok {
					continue
				}
				for _, bd := range breakdowns(ind) {
					cats := []string{""}
					if bd != "" {
						cats = categories[catKey{mk, bd}]
					}
					for _, cat := range cats {
						for _, gg := range places {
							if bd != "" && !publishedWithCategories(gg.level) {
								continue
							}
							v, ok := value(in, cells, ind, mk, bd, cat, at, p, gg)
							if !ok {
								continue
							}
							v.Incomplete = incomplete
							out = append(out, v)
						}
					}
				}
			}
		}
	}
	return out
}

// value derives one value; ok is false when it has none (a median of no
// rows, a rate without population, a share of zero).
func value(in Input, cells *Cells, ind catalogue.Indicator, mk, bd, cat string, at, p period, gg geo) (indicators.Value, bool) {
	g := in.Geography
	c := Cell{mk, bd, cat, at.ptype, at.start, gg.level, gg.code}
	v := indicators.Value{Indicator: ind.ID, PeriodType: p.ptype, Period: p.start, Level: gg.level, Code: gg.code,
		Breakdown: bd, Category: cat}
	v.Estimated = gg.level == geography.LevelBassin && g.AssignmentEstimated(gg.code)
	if ind.Numerator.Aggregate == catalogue.Median {
		h := cells.Histograms[c]
		n, med, ok := median(h)
		if !ok {
			return v, false
		}
		v.Numerator, v.Value = n, med
		return v, true
	}
	v.Numerator = cells.Values[c]
	den := ind.Denominator
	if den == nil {
		v.Value = v.Numerator
		return v, true
	}
	if den.Population != "" {
		ages := geography.AllAges
		if lo, hi, all := den.Ages(); !all {
			ages = geography.Ages{Min: lo, Max: hi}
		}
		f, ok := g.PopulationAt(gg.level, gg.code, p.start, ages)
		if !ok || f.Count <= 0 {
			return v, false
		}
		v.Denominator, v.PopulationDate, v.Estimated = float64(f.Count), f.Date, v.Estimated || f.Estimated
	} else {
		d, _ := in.Catalogue.Lookup(den.Indicator)
		dbd, dcat := bd, cat
		if bd != "" && !slices.Contains(d.Breakdowns, bd) {
			dbd, dcat = "", ""
		}
		v.Denominator = cells.Values[Cell{MeasureKey(d.Numerator), dbd, dcat, at.ptype, at.start, gg.level, gg.code}]
		if v.Denominator <= 0 {
			return v, false
		}
	}
	v.Value = v.Numerator / v.Denominator * ind.Factor
	return v, true
}

// median returns the number of rows and their median (the mean of the two
// middle values for an even number); ok is false without rows.
func median(h map[float64]float64) (n, med float64, ok bool) {
	values := make([]float64, 0, len(h))
	for x, rows := range h {
		if rows > 0 {
			values = append(values, x)
			n += rows
		}
	}
	if n == 0 {
		return 0, 0, false
	}
	sort.Float64s(values)
	// The rows at positions lo and hi (from 1) are the middle ones.
	lo, hi := (n+1)/2, (n+2)/2
	lo, hi = float64(int64(lo)), float64(int64(hi))
	var seen float64
	var a, b float64
	gotA := false
	for _, x := range values {
		seen += h[x]
		if !gotA && seen >= lo {
			a, gotA = x, true
		}
		if seen >= hi {
			b = x
			break
		}
	}
	return n, (a + b) / 2, true
}

type catKey struct{ measure, breakdown string }

// categories lists the categories met for each measure and breakdown,
// sorted: every period and geography shows all of them, zero where none.
func (c *Cells) categories() map[catKey][]string {
	seen := map[catKey]map[string]bool{}
	note := func(k Cell) {
		if k.Breakdown == "" {
			return
		}
		ck := catKey{k.Measure, k.Breakdown}
		if seen[ck] == nil {
			seen[ck] = map[string]bool{}
		}
		seen[ck][k.Category] = true
	}
	for k := range c.Values {
		note(k)
	}
	for k := range c.Histograms {
		note(k)
	}
	out := map[catKey][]string{}
	for ck, set := range seen {
		out[ck] = slices.Sorted(maps.Keys(set))
	}
	return out
}

// periods returns the periods of a type in which a dataset has rows; for a
// stock, those of every other stored dataset (or its own months when it is
// alone).
func periods(cells *Cells, ds *sources.Dataset, ptype string) []period {
	months := map[time.Time]bool{}
	if ds.Stock {
		for name, ms := range cells.Months {
			if d, ok := sources.LookupDataset(name); ok && !d.Stock {
				for m, n := range ms {
					if n > 0 {
						months[m] = true
					}
				}
			}
		}
		if len(months) == 0 {
			for _, t := range cells.Dates[ds.Name] {
				months[time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)] = true
			}
		}
	} else {
		for m, n := range cells.Months[ds.Name] {
			if n > 0 {
				months[m] = true
			}
		}
	}
	set := map[time.Time]bool{}
	for m := range months {
		for _, p := range periodsOf(m) {
			if p.ptype == ptype {
				set[p.start] = true
			}
		}
	}
	out := make([]period, 0, len(set))
	for t := range set {
		out = append(out, period{ptype, t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// periodIncomplete reports whether a period lacks a delivery owed by a
// source of the dataset, or, for a quarter or a year, has a month without
// rows of the dataset or is not over at now.
func periodIncomplete(cells *Cells, ds *sources.Dataset, p period, now time.Time) bool {
	if completeness.Incomplete(cells.Deliveries, ds.Name, p.start, p.end()) {
		return true
	}
	if p.ptype == catalogue.Month || ds.Virtual {
		return false
	}
	if !now.IsZero() && now.Before(p.end()) {
		return true
	}
	if ds.Stock {
		return false
	}
	for m := p.start; m.Before(p.end()); m = m.AddDate(0, 1, 0) {
		if cells.Months[ds.Name][m] == 0 {
			return true
		}
	}
	return false
}

// lookbackCovered reports whether the dataset has rows from before the
// look-back window of a period: otherwise everyone met would count as new.
func lookbackCovered(months map[time.Time]uint64, p period, lookback int) bool {
	from := p.start.AddDate(0, -lookback, 0)
	for m, n := range months {
		if n > 0 && !m.After(from) {
			return true
		}
	}
	return false
}

// cellsPeriod returns where the cells of a dataset's period are: the period
// itself, or for a stock the date of its state in force at the period's end
// (period type warehouse.PeriodDate); ok is false for a stock without a
// state before then.
func cellsPeriod(cells *Cells, ds *sources.Dataset, p period) (period, bool) {
	if !ds.Stock {
		return p, true
	}
	ref, ok := stateAt(cells.Dates[ds.Name], p.end())
	if !ok {
		return period{}, false
	}
	return period{warehouse.PeriodDate, ref}, true
}

// stateAt returns the latest date before end.
func stateAt(dates []time.Time, end time.Time) (time.Time, bool) {
	i := sort.Search(len(dates), func(i int) bool { return !dates[i].Before(end) }) - 1
	if i < 0 {
		return time.Time{}, false
	}
	return dates[i], true
}
