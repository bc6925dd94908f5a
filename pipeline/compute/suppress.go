package compute

import (
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/indicators"
	"github.com/brusano/bassins/pipeline/suppression"
	"github.com/brusano/bassins/sources"
)

// Virtual geographies: quantities a reader can form by subtraction from
// published values, never published themselves.
const (
	levelPart      = "part"      // the part of a split commune inside a bassin ("" : in none)
	levelRemainder = "remainder" // the Region minus the bassins ("bassins"), minus the communes ("communes")
)

// measureUse says how the values of one measure are published.
type measureUse struct {
	numerator  catalogue.Numerator
	additive   bool // counts and whole-number sums add up: relations hold
	ptypes     map[string]bool
	breakdowns map[string]bool
	total      bool
}

// Suppress decides which values must not be published, and marks them:
//
//   - a count or a sum of 1 to threshold-1 is hidden, and more
//     cells are hidden until none of them can be derived exactly from the
//     published cells through the relations a reader can form: the Region
//     and the bassins, the Region and the communes, a bassin and its whole
//     communes (the remainder being its part of Bruxelles-Ville), the parts
//     of Bruxelles-Ville, the categories of a breakdown and their total, the
//     months of a quarter and the quarters of a year (package suppression);
//   - a distinct count and a median's number of rows have no exact
//     relations: only their own small values are hidden;
//   - a rate, share or ratio is hidden with its numerator or its
//     denominator indicator;
//   - the deliveries the product counts (completeness) are never hidden:
//     no person is behind them.
func Suppress(in Input, cells *Cells, values []indicators.Value, threshold int64) {
	uses := measureUses(in.Catalogue)
	hidden := map[Cell]bool{}
	for mk, use := range uses {
		if use.additive {
			for _, p := range additiveProblems(in.Geography, cells, mk, use) {
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

// measureUses gathers, for each measure, how the catalogue publishes it.
func measureUses(cat *catalogue.Catalogue) map[string]*measureUse {
	uses := map[string]*measureUse{}
	note := func(n catalogue.Numerator, ind catalogue.Indicator) {
		mk := MeasureKey(n)
		u := uses[mk]
		if u == nil {
			ds, _ := sources.LookupDataset(n.Dataset)
			// A sum of decimals is rounded: the relations then hold
			// within rounding, and only guide which cells to hide.
			additive := (n.Aggregate == catalogue.Count || n.Aggregate == catalogue.Sum) && !ds.Stock && !ds.Virtual
			u = &measureUse{numerator: n, additive: additive, ptypes: map[string]bool{}, breakdowns: map[string]bool{}}
			uses[mk] = u
		}
		for _, p := range ind.Periods {
			u.ptypes[p] = true
		}
		for _, b := range ind.Breakdowns {
			u.breakdowns[b] = true
		}
		u.total = u.total || ind.HasTotal()
	}
	for _, ind := range cat.Indicators {
		note(ind.Numerator, ind)
		if den := ind.Denominator; den != nil && den.Indicator != "" {
			if d, ok := cat.Lookup(den.Indicator); ok {
				note(d.Numerator, ind)
			}
		}
	}
	return uses
}

// problem is one suppression table and the cell each index stands for.
type problem struct {
	problem suppression.Problem
	cells   []Cell
}

// additiveProblems builds one table per year for an additive measure: its
// months, quarters and year, its geographies with the virtual ones, and
// the categories of its breakdowns with their total.
func additiveProblems(g *geography.Geography, cells *Cells, mk string, use *measureUse) []problem {
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
						Value: int64(math.Round(virtualValue(g, cells, c))), Publishable: public})
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

// virtualValue returns the true value of a cell: as gathered for published
// geographies, added up from areas for the parts of split communes, by
// subtraction for the remainders.
func virtualValue(g *geography.Geography, cells *Cells, c Cell) float64 {
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
