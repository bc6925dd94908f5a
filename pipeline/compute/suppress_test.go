package compute

import (
	"maps"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/suppression"
	"github.com/brusano/bassins/sources"
)

// suppressReference is Suppress as it was before its tables were built
// with index arithmetic and solved concurrently: one table after the other,
// its cells found through a map. Suppress must hide the same values.
func suppressReference(in Input, cells *Cells, values []indicators.Value, threshold int64) {
	uses := measureUses(in.Catalogue)
	hidden := map[Cell]bool{}
	for mk, use := range uses {
		if use.additive {
			for _, p := range additiveProblemsReference(in.Geography, cells, mk, use) {
				for i, h := range suppression.Solve(p.problem, threshold) {
					if h && p.problem.Cells[i].Publishable {
						hidden[p.cells[i]] = true
					}
				}
			}
		}
	}
	hiddenCell := func(c Cell, additive bool) bool {
		if additive {
			return hidden[c]
		}
		return suppression.Sensitive(int64(math.Round(cells.Values[c])), threshold)
	}
	// The measure of each indicator's numerator, and of its denominator
	// indicator ("" for none).
	numKey, denKey := map[string]string{}, map[string]string{}
	for _, ind := range in.Catalogue.Indicators {
		numKey[ind.ID] = MeasureKey(ind.Numerator)
		if den := ind.Denominator; den != nil && den.Indicator != "" {
			d, _ := in.Catalogue.Lookup(den.Indicator)
			denKey[ind.ID] = MeasureKey(d.Numerator)
		}
	}
	for i := range values {
		v := &values[i]
		ind, ok := in.Catalogue.Lookup(v.Indicator)
		if !ok {
			continue
		}
		mk := numKey[ind.ID]
		ptype, start := v.PeriodType, v.Period
		ds, _ := sources.LookupDataset(ind.Numerator.Dataset)
		if ds.Virtual {
			continue // deliveries counted by the product: no person behind them
		}
		if ds.Stock {
			ref, found := stateAt(cells.Dates[ds.Name], (period{v.PeriodType, v.Period}).end())
			if !found {
				continue
			}
			ptype, start = "date", ref
		}
		num := Cell{mk, v.Breakdown, v.Category, ptype, start, v.Level, v.Code}
		if ind.Numerator.Aggregate == catalogue.Median {
			v.Suppressed = suppression.Sensitive(int64(math.Round(v.Numerator)), threshold)
			continue
		}
		v.Suppressed = hiddenCell(num, uses[mk].additive)
		if dk := denKey[ind.ID]; dk != "" && !v.Suppressed {
			d, _ := in.Catalogue.Lookup(ind.Denominator.Indicator)
			dc := Cell{dk, v.Breakdown, v.Category, ptype, start, v.Level, v.Code}
			if v.Breakdown != "" && !slices.Contains(d.Breakdowns, v.Breakdown) {
				dc.Breakdown, dc.Category = "", ""
			}
			v.Suppressed = hiddenCell(dc, uses[dk] != nil && uses[dk].additive)
		}
	}
}

// additiveProblemsReference builds one table per year for an additive measure: its
// months, quarters and year, its geographies with the virtual ones, and
// the categories of its breakdowns with their total.
func additiveProblemsReference(g *geography.Geography, cells *Cells, mk string, use *measureUse) []problem {
	years := map[int]bool{}
	for c := range cells.Values {
		if c.Measure == mk {
			years[c.Period.Year()] = true
		}
	}
	cats := cells.categories()
	var bds []string
	for b := range use.breakdowns {
		bds = append(bds, b)
	}
	sort.Strings(bds)
	ds, _ := sources.LookupDataset(use.numerator.Dataset)

	// Geographies: published ones, then the parts of split communes and
	// the remainders, with the areas each virtual one is made of.
	type geoCell struct {
		level, code string
		public      bool
	}
	geos := []geoCell{{geography.LevelRegion, geography.RegionCode, true}}
	for _, b := range g.Bassins {
		geos = append(geos, geoCell{geography.LevelBassin, b.Code, true})
	}
	for _, c := range g.Communes {
		geos = append(geos, geoCell{geography.LevelCommune, c.NIS, true})
	}
	split := map[string]bool{} // communes split between bassins (or partly in none)
	partsOf := map[string][]string{}
	for _, a := range g.Areas {
		if a.Key != a.NIS {
			split[a.NIS] = true
		}
	}
	for nis := range split {
		seen := map[string]bool{}
		for _, a := range g.Areas {
			if a.NIS == nis && !seen[a.Bassin] {
				seen[a.Bassin] = true
				partsOf[nis] = append(partsOf[nis], a.Bassin)
				geos = append(geos, geoCell{levelPart, nis + "|" + a.Bassin, false})
			}
		}
	}
	geos = append(geos, geoCell{levelRemainder, "bassins", false}, geoCell{levelRemainder, "communes", false})
	// Categories are published for the Region and the bassins only.
	var catGeos []geoCell
	for _, gc := range geos {
		if publishedWithCategories(gc.level) || (gc.level == levelRemainder && gc.code == "bassins") {
			catGeos = append(catGeos, gc)
		}
	}
	geosOf := func(breakdown string) []geoCell {
		if breakdown == "" {
			return geos
		}
		return catGeos
	}

	var out []problem
	for _, year := range slices.Sorted(maps.Keys(years)) {
		var pr problem
		index := map[Cell]int{}
		var periods []period
		for _, pt := range []string{catalogue.Month, catalogue.Quarter, catalogue.Year} {
			if !use.ptypes[pt] {
				continue
			}
			start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
			for p := (period{pt, start}); p.start.Year() == year; p = (period{pt, p.end()}) {
				periods = append(periods, p)
			}
		}
		type catCell struct{ breakdown, category string }
		catCells := []catCell{{"", ""}}
		for _, b := range bds {
			for _, c := range cats[catKey{mk, b}] {
				catCells = append(catCells, catCell{b, c})
			}
		}
		hasData := func(p period) bool {
			for m := p.start; m.Before(p.end()); m = m.AddDate(0, 1, 0) {
				if cells.Months[ds.Name][m] > 0 {
					return true
				}
			}
			return false
		}
		for _, p := range periods {
			withData := hasData(p)
			for _, cc := range catCells {
				for _, gc := range geosOf(cc.breakdown) {
					c := Cell{mk, cc.breakdown, cc.category, p.ptype, p.start, gc.level, gc.code}
					index[c] = len(pr.cells)
					pr.cells = append(pr.cells, c)
					public := gc.public && withData && (cc.breakdown != "" || use.total)
					pr.problem.Cells = append(pr.problem.Cells, suppression.Cell{
						Value: int64(math.Round(virtualValueReference(g, cells, c))), Publishable: public})
				}
			}
		}
		rel := func(total Cell, parts []Cell) {
			r := suppression.Relation{Total: index[total]}
			for _, p := range parts {
				r.Parts = append(r.Parts, index[p])
			}
			pr.problem.Relations = append(pr.problem.Relations, r)
		}
		for _, p := range periods {
			for _, cc := range catCells {
				at := func(level, code string) Cell {
					return Cell{mk, cc.breakdown, cc.category, p.ptype, p.start, level, code}
				}
				region := at(geography.LevelRegion, geography.RegionCode)
				var bassins, communes []Cell
				for _, b := range g.Bassins {
					bassins = append(bassins, at(geography.LevelBassin, b.Code))
				}
				for _, c := range g.Communes {
					communes = append(communes, at(geography.LevelCommune, c.NIS))
				}
				rel(region, append(bassins, at(levelRemainder, "bassins")))
				if cc.breakdown != "" {
					continue // no commune broken down
				}
				rel(region, append(communes, at(levelRemainder, "communes")))
				for _, b := range g.Bassins {
					var parts []Cell
					for _, nis := range g.CommunesOf(b.Code) {
						if split[nis] {
							parts = append(parts, at(levelPart, nis+"|"+b.Code))
						} else {
							parts = append(parts, at(geography.LevelCommune, nis))
						}
					}
					if len(parts) > 0 {
						rel(at(geography.LevelBassin, b.Code), parts)
					}
				}
				for nis, bassinsOf := range partsOf {
					var parts []Cell
					for _, b := range bassinsOf {
						parts = append(parts, at(levelPart, nis+"|"+b))
					}
					rel(at(geography.LevelCommune, nis), parts)
				}
			}
			// Categories add up to their total, but for a list field (a
			// contact counts in each of its poles).
			for _, gc := range catGeos {
				for _, b := range bds {
					if f, ok := ds.Field(b); ok && f.Type == sources.List {
						continue
					}
					var parts []Cell
					for _, c := range cats[catKey{mk, b}] {
						parts = append(parts, Cell{mk, b, c, p.ptype, p.start, gc.level, gc.code})
					}
					if len(parts) > 0 {
						rel(Cell{mk, "", "", p.ptype, p.start, gc.level, gc.code}, parts)
					}
				}
			}
		}
		// Months add up to quarters, quarters (or months) to the year.
		for _, cc := range catCells {
			for _, gc := range geosOf(cc.breakdown) {
				cell := func(pt string, start time.Time) Cell {
					return Cell{mk, cc.breakdown, cc.category, pt, start, gc.level, gc.code}
				}
				for _, p := range periods {
					var parts []Cell
					switch {
					case p.ptype == catalogue.Quarter && use.ptypes[catalogue.Month]:
						for m := p.start; m.Before(p.end()); m = m.AddDate(0, 1, 0) {
							parts = append(parts, cell(catalogue.Month, m))
						}
					case p.ptype == catalogue.Year && use.ptypes[catalogue.Quarter]:
						for q := p.start; q.Before(p.end()); q = q.AddDate(0, 3, 0) {
							parts = append(parts, cell(catalogue.Quarter, q))
						}
					case p.ptype == catalogue.Year && use.ptypes[catalogue.Month]:
						for m := p.start; m.Before(p.end()); m = m.AddDate(0, 1, 0) {
							parts = append(parts, cell(catalogue.Month, m))
						}
					}
					if len(parts) > 0 {
						rel(cell(p.ptype, p.start), parts)
					}
				}
			}
		}
		out = append(out, pr)
	}
	return out
}

// virtualValueReference returns the true value of a cell: as gathered for published
// geographies, added up from areas for the parts of split communes, by
// subtraction for the remainders.
func virtualValueReference(g *geography.Geography, cells *Cells, c Cell) float64 {
	switch c.Level {
	case levelPart:
		var sum float64
		for _, a := range g.Areas {
			if a.NIS+"|"+a.Bassin == c.Code {
				ac := c
				ac.Level, ac.Code = levelArea, a.Key
				sum += cells.Values[ac]
			}
		}
		return sum
	case levelRemainder:
		rc := c
		rc.Level, rc.Code = geography.LevelRegion, geography.RegionCode
		rest := cells.Values[rc]
		if c.Code == "bassins" {
			for _, b := range g.Bassins {
				bc := c
				bc.Level, bc.Code = geography.LevelBassin, b.Code
				rest -= cells.Values[bc]
			}
		} else {
			for _, cm := range g.Communes {
				cc := c
				cc.Level, cc.Code = geography.LevelCommune, cm.NIS
				rest -= cells.Values[cc]
			}
		}
		return rest
	}
	return cells.Values[c]
}

// Suppress hides exactly the values suppressReference hides, on synthetic
// computations of the default catalogue of several sizes and spans (whole
// years and years cut short, periods without data), whatever the number of
// goroutines solving the tables.
func TestSuppressAgreesWithTheReference(t *testing.T) {
	cases := []synthetic{
		{seed: 11, months: 14, end: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
			perMonth: map[string]float64{"contacts": 3000, "treatment_demands": 400, "federation_activity": 300}},
		{seed: 12, months: 24, end: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC),
			perMonth: map[string]float64{"contacts": 20000, "treatment_demands": 1500, "federation_activity": 1000}},
		{seed: 13, months: 7, end: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
			perMonth: map[string]float64{"contacts": 400, "treatment_demands": 60, "federation_activity": 50}},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, s := range cases {
		in, cells := syntheticInput(t, s)
		// A month without rows: its quarter and year have no data either.
		delete(cells.Months["contacts"], s.end.AddDate(0, -2, 0))
		want := Derive(in, cells)
		suppressReference(in, cells, want, 5)
		hidden := 0
		for _, v := range want {
			if v.Suppressed {
				hidden++
			}
		}
		// Both answers must be common for the comparison to mean something.
		if hidden < len(want)/20 || hidden > len(want)*19/20 {
			t.Fatalf("seed %d: %d values hidden of %d", s.seed, hidden, len(want))
		}
		for _, procs := range []int{1, 2, 5} {
			runtime.GOMAXPROCS(procs)
			got := Derive(in, cells)
			Suppress(in, cells, got, 5)
			if len(got) != len(want) {
				t.Fatalf("seed %d: %d values, want %d", s.seed, len(got), len(want))
			}
			for i := range got {
				if got[i].Suppressed != want[i].Suppressed {
					v := got[i]
					t.Fatalf("seed %d, %d goroutines: %s %s %s %s %s %s/%s suppressed %v, the reference %v", s.seed, procs,
						v.Indicator, v.PeriodType, v.Period.Format("2006-01"), v.Level, v.Code, v.Breakdown, v.Category,
						v.Suppressed, want[i].Suppressed)
				}
			}
		}
		t.Logf("seed %d: %d values, %d hidden", s.seed, len(want), hidden)
	}
}

// parallel calls work once for each index, whatever the number of
// goroutines.
func TestParallelCallsEachIndexOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		for _, n := range []int{0, 1, 7, 1000} {
			calls := make([]atomic.Int32, n)
			parallel(n, func(i int) { calls[i].Add(1) })
			for i := range calls {
				if got := calls[i].Load(); got != 1 {
					t.Fatalf("%d goroutines, %d indices: index %d called %d times", procs, n, i, got)
				}
			}
		}
	}
}

// A panic in work reaches parallel's caller, where the scheduler recovers
// a job's panics, and the goroutines stop taking indices.
func TestParallelRaisesAPanicInTheCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(2)
	var calls atomic.Int32
	got := func() (p any) {
		defer func() { p = recover() }()
		parallel(10_000, func(i int) {
			calls.Add(1)
			if i == 3 {
				panic("index 3")
			}
			time.Sleep(50 * time.Microsecond)
		})
		return nil
	}()
	if got != "index 3" {
		t.Fatalf("recovered %v, want the panic of index 3", got)
	}
	// The other goroutine is in the middle of a call of 50 µs or so when
	// the panic stops it: far fewer calls than 10,000.
	if n := calls.Load(); n > 100 {
		t.Errorf("%d calls after the panic", n)
	}
}
