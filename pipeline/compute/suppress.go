package compute

import (
	"maps"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	hidden := hideAdditive(in.Geography, cells, uses, threshold)
	hiddenCell := func(c Cell, additive bool) bool {
		if additive {
			return hidden[c]
		}
		return suppression.Sensitive(int64(math.Round(cells.Values[c])), threshold)
	}
	// What the loop needs of each indicator, looked up once.
	type indUse struct {
		median        bool
		dataset       *sources.Dataset
		num, den      string // measure keys, "" for no denominator indicator
		numAdd        bool
		denAdd        bool
		denBreakdowns []string // the denominator indicator's breakdowns
	}
	inds := make(map[string]*indUse, len(in.Catalogue.Indicators))
	for _, ind := range in.Catalogue.Indicators {
		u := &indUse{median: ind.Numerator.Aggregate == catalogue.Median, num: MeasureKey(ind.Numerator)}
		u.dataset, _ = sources.LookupDataset(ind.Numerator.Dataset)
		u.numAdd = uses[u.num].additive
		if den := ind.Denominator; den != nil && den.Indicator != "" {
			d, _ := in.Catalogue.Lookup(den.Indicator)
			u.den, u.denBreakdowns = MeasureKey(d.Numerator), d.Breakdowns
			u.denAdd = uses[u.den] != nil && uses[u.den].additive
		}
		inds[ind.ID] = u
	}
	for i := range values {
		v := &values[i]
		u, ok := inds[v.Indicator]
		if !ok {
			continue
		}
		ds := u.dataset
		if ds.Virtual {
			continue // deliveries counted by the product: no person behind them
		}
		at, found := cellsPeriod(cells, ds, period{v.PeriodType, v.Period})
		if !found {
			continue
		}
		ptype, start := at.ptype, at.start
		if u.median {
			v.Suppressed = suppression.Sensitive(int64(math.Round(v.Numerator)), threshold)
			continue
		}
		num := Cell{u.num, v.Breakdown, v.Category, ptype, start, v.Level, v.Code}
		v.Suppressed = hiddenCell(num, u.numAdd)
		if u.den != "" && !v.Suppressed {
			dc := Cell{u.den, v.Breakdown, v.Category, ptype, start, v.Level, v.Code}
			if v.Breakdown != "" && !slices.Contains(u.denBreakdowns, v.Breakdown) {
				dc.Breakdown, dc.Category = "", ""
			}
			v.Suppressed = hiddenCell(dc, u.denAdd)
		}
	}
}

// hideAdditive solves the tables of the additive measures, one per measure
// and year, on runtime.GOMAXPROCS(0) goroutines, and returns the
// publishable cells hidden. The tables are independent: which cells are
// hidden does not depend on the order they are solved in.
func hideAdditive(g *geography.Geography, cells *Cells, uses map[string]*measureUse, threshold int64) map[Cell]bool {
	layout := newGeoLayout(g)
	cats := cells.categories()
	years := map[string]map[int]bool{}
	for mk, use := range uses {
		if use.additive {
			years[mk] = map[int]bool{}
		}
	}
	for c := range cells.Values {
		if ys := years[c.Measure]; ys != nil {
			ys[c.Period.Year()] = true
		}
	}
	type job struct {
		table *additiveTable
		year  int
	}
	var jobs []job
	for _, mk := range slices.Sorted(maps.Keys(years)) {
		t := newAdditiveTable(layout, cells, cats, mk, uses[mk])
		for _, year := range slices.Sorted(maps.Keys(years[mk])) {
			jobs = append(jobs, job{t, year})
		}
	}
	// The biggest tables first, so that the workers end together.
	slices.SortStableFunc(jobs, func(a, b job) int { return b.table.size() - a.table.size() })
	found := make([][]Cell, len(jobs))
	parallel(len(jobs), func(j int) {
		p := jobs[j].table.problem(jobs[j].year)
		for i, h := range suppression.Solve(p.problem, threshold) {
			if h && p.problem.Cells[i].Publishable {
				found[j] = append(found[j], p.cells[i])
			}
		}
	})
	hidden := map[Cell]bool{}
	for _, cs := range found {
		for _, c := range cs {
			hidden[c] = true
		}
	}
	return hidden
}

// parallel calls work(0) to work(n-1) on runtime.GOMAXPROCS(0) goroutines,
// which take the indices in order. A panic in work stops them taking more,
// and is raised again in the caller once they have all stopped, as if work
// had run there (the scheduler turns a job's panic into a failed run).
func parallel(n int, work func(i int)) {
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		failure any
		failed  atomic.Bool
	)
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					mu.Lock()
					if !failed.Load() {
						failure = p
						failed.Store(true)
					}
					mu.Unlock()
				}
			}()
			for !failed.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				work(i)
			}
		}()
	}
	wg.Wait()
	if failed.Load() {
		panic(failure)
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

// geoCell is one geography of a table: published, or virtual.
type geoCell struct {
	level, code string
	public      bool
}

// geoRel says that the geography at total (an index in a list of
// geographies) adds up the ones at parts.
type geoRel struct {
	total int
	parts []int
}

// geoLayout is the geographies of the additive tables and the relations
// between them, the same for every measure, period and category: the
// published ones, then the parts of split communes and the remainders.
// Categories are published for the Region and the bassins only, so that a
// category has the geographies of catGeos (indices in geos).
type geoLayout struct {
	geos    []geoCell
	catGeos []int
	// How the value of each geography is found, for the whole list and
	// for the categories' list.
	values, catValues []geoValue
	// The relations over the whole list (the Region and the bassins, the
	// Region and the communes, each bassin and its communes or parts, each
	// split commune and its parts), and over the categories' list (the
	// Region and the bassins).
	rels, catRels []geoRel
}

// geoValue says how the value of a geography is found: read from the cells
// (published geographies), added up from areas (the part of a split commune
// in a bassin), or the value at from minus those at minus (a remainder);
// from and minus are positions in the same list.
type geoValue struct {
	areas []string
	from  int
	minus []int
	kind  int
}

const (
	geoRead = iota
	geoAreas
	geoRemainder
)

func newGeoLayout(g *geography.Geography) *geoLayout {
	l := &geoLayout{}
	l.geos = []geoCell{{geography.LevelRegion, geography.RegionCode, true}}
	for _, b := range g.Bassins {
		l.geos = append(l.geos, geoCell{geography.LevelBassin, b.Code, true})
	}
	for _, c := range g.Communes {
		l.geos = append(l.geos, geoCell{geography.LevelCommune, c.NIS, true})
	}
	split := map[string]bool{} // communes split between bassins (or partly in none)
	partsOf := map[string][]string{}
	for _, a := range g.Areas {
		if a.Key != a.NIS {
			split[a.NIS] = true
		}
	}
	splitNIS := slices.Sorted(maps.Keys(split))
	for _, nis := range splitNIS {
		seen := map[string]bool{}
		for _, a := range g.Areas {
			if a.NIS == nis && !seen[a.Bassin] {
				seen[a.Bassin] = true
				partsOf[nis] = append(partsOf[nis], a.Bassin)
				l.geos = append(l.geos, geoCell{levelPart, nis + "|" + a.Bassin, false})
			}
		}
	}
	l.geos = append(l.geos, geoCell{levelRemainder, "bassins", false}, geoCell{levelRemainder, "communes", false})
	for i, gc := range l.geos {
		if publishedWithCategories(gc.level) || (gc.level == levelRemainder && gc.code == "bassins") {
			l.catGeos = append(l.catGeos, i)
		}
	}
	// Positions in the whole list; a geography missing stands at 0.
	at := map[[2]string]int{}
	for i, gc := range l.geos {
		at[[2]string{gc.level, gc.code}] = i
	}
	catAt := map[[2]string]int{}
	for j, i := range l.catGeos {
		catAt[[2]string{l.geos[i].level, l.geos[i].code}] = j
	}
	pos := func(m map[[2]string]int, level, code string) int { return m[[2]string{level, code}] }
	valuesOf := func(m map[[2]string]int, list []int) []geoValue {
		out := make([]geoValue, len(list))
		for j, i := range list {
			gc := l.geos[i]
			switch gc.level {
			case levelPart:
				v := geoValue{kind: geoAreas}
				for _, a := range g.Areas {
					if a.NIS+"|"+a.Bassin == gc.code {
						v.areas = append(v.areas, a.Key)
					}
				}
				out[j] = v
			case levelRemainder:
				v := geoValue{kind: geoRemainder, from: pos(m, geography.LevelRegion, geography.RegionCode)}
				if gc.code == "bassins" {
					for _, b := range g.Bassins {
						v.minus = append(v.minus, pos(m, geography.LevelBassin, b.Code))
					}
				} else {
					for _, cm := range g.Communes {
						v.minus = append(v.minus, pos(m, geography.LevelCommune, cm.NIS))
					}
				}
				out[j] = v
			}
		}
		return out
	}
	all := make([]int, len(l.geos))
	for i := range all {
		all[i] = i
	}
	l.values, l.catValues = valuesOf(at, all), valuesOf(catAt, l.catGeos)
	regionBassins := func(m map[[2]string]int) geoRel {
		r := geoRel{total: pos(m, geography.LevelRegion, geography.RegionCode)}
		for _, b := range g.Bassins {
			r.parts = append(r.parts, pos(m, geography.LevelBassin, b.Code))
		}
		r.parts = append(r.parts, pos(m, levelRemainder, "bassins"))
		return r
	}
	l.catRels = []geoRel{regionBassins(catAt)}
	l.rels = []geoRel{regionBassins(at)}
	communes := geoRel{total: pos(at, geography.LevelRegion, geography.RegionCode)}
	for _, c := range g.Communes {
		communes.parts = append(communes.parts, pos(at, geography.LevelCommune, c.NIS))
	}
	communes.parts = append(communes.parts, pos(at, levelRemainder, "communes"))
	l.rels = append(l.rels, communes)
	for _, b := range g.Bassins {
		var parts []int
		for _, nis := range g.CommunesOf(b.Code) {
			if split[nis] {
				parts = append(parts, pos(at, levelPart, nis+"|"+b.Code))
			} else {
				parts = append(parts, pos(at, geography.LevelCommune, nis))
			}
		}
		if len(parts) > 0 {
			l.rels = append(l.rels, geoRel{pos(at, geography.LevelBassin, b.Code), parts})
		}
	}
	for _, nis := range splitNIS {
		r := geoRel{total: pos(at, geography.LevelCommune, nis)}
		for _, b := range partsOf[nis] {
			r.parts = append(r.parts, pos(at, levelPart, nis+"|"+b))
		}
		l.rels = append(l.rels, r)
	}
	return l
}

// catCell is one category of a table, or the total ("", "").
type catCell struct{ breakdown, category string }

// additiveTable is what the tables of one additive measure share, year
// after year: its periods, categories and how its cells are laid out.
//
// A year's table holds, period after period (its months, quarters and
// year), the total's geographies (layout.geos), then each category's
// (layout.catGeos).
type additiveTable struct {
	layout   *geoLayout
	cells    *Cells
	mk       string
	use      *measureUse
	ds       *sources.Dataset
	bds      []string
	cats     map[catKey][]string
	catCells []catCell
	catStart map[string]int // the first index in catCells of each breakdown
	ptypes   []string       // in the order of the table
}

func newAdditiveTable(l *geoLayout, cells *Cells, cats map[catKey][]string, mk string, use *measureUse) *additiveTable {
	t := &additiveTable{layout: l, cells: cells, mk: mk, use: use, cats: cats, catStart: map[string]int{}}
	t.bds = slices.Sorted(maps.Keys(use.breakdowns))
	t.ds, _ = sources.LookupDataset(use.numerator.Dataset)
	t.catCells = []catCell{{"", ""}}
	for _, b := range t.bds {
		t.catStart[b] = len(t.catCells)
		for _, c := range cats[catKey{mk, b}] {
			t.catCells = append(t.catCells, catCell{b, c})
		}
	}
	for _, pt := range []string{catalogue.Month, catalogue.Quarter, catalogue.Year} {
		if use.ptypes[pt] {
			t.ptypes = append(t.ptypes, pt)
		}
	}
	return t
}

// perPeriod is the number of cells of one period.
func (t *additiveTable) perPeriod() int {
	return len(t.layout.geos) + (len(t.catCells)-1)*len(t.layout.catGeos)
}

// size is the number of cells of a year's table (12 months at most, 4
// quarters and the year).
func (t *additiveTable) size() int {
	n := 0
	for _, pt := range t.ptypes {
		switch pt {
		case catalogue.Month:
			n += 12
		case catalogue.Quarter:
			n += 4
		default:
			n++
		}
	}
	return n * t.perPeriod()
}

// block returns the index of the first cell of a period's category.
func (t *additiveTable) block(periodIndex, catIndex int) int {
	start := periodIndex * t.perPeriod()
	if catIndex > 0 {
		start += len(t.layout.geos) + (catIndex-1)*len(t.layout.catGeos)
	}
	return start
}

// problem builds the table of one year: its months, quarters and year, its
// geographies with the virtual ones, and the categories of its breakdowns
// with their total.
func (t *additiveTable) problem(year int) problem {
	l, use, mk := t.layout, t.use, t.mk
	var periods []period
	for _, pt := range t.ptypes {
		start := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		for p := (period{pt, start}); p.start.Year() == year; p = (period{pt, p.end()}) {
			periods = append(periods, p)
		}
	}
	hasData := func(p period) bool {
		for m := p.start; m.Before(p.end()); m = m.AddDate(0, 1, 0) {
			if t.cells.Months[t.ds.Name][m] > 0 {
				return true
			}
		}
		return false
	}
	n := len(periods) * t.perPeriod()
	pr := problem{cells: make([]Cell, 0, n)}
	pr.problem.Cells = make([]suppression.Cell, 0, n)
	vals := make([]float64, len(l.geos))
	for _, p := range periods {
		withData := hasData(p)
		for _, cc := range t.catCells {
			list, how := l.catGeos, l.catValues
			if cc.breakdown == "" {
				list, how = nil, l.values
			}
			public := withData && (cc.breakdown != "" || use.total)
			for j := range how {
				gi := j
				if list != nil {
					gi = list[j]
				}
				gc := l.geos[gi]
				c := Cell{mk, cc.breakdown, cc.category, p.ptype, p.start, gc.level, gc.code}
				// Read from the cells, added up from areas, or subtracted
				// (see geoValue).
				var v float64
				switch h := how[j]; h.kind {
				case geoAreas:
					for _, a := range h.areas {
						ac := c
						ac.Level, ac.Code = levelArea, a
						v += t.cells.Values[ac]
					}
				case geoRemainder:
					v = vals[h.from]
					for _, k := range h.minus {
						v -= vals[k]
					}
				default:
					v = t.cells.Values[c]
				}
				vals[j] = v
				pr.cells = append(pr.cells, c)
				pr.problem.Cells = append(pr.problem.Cells, suppression.Cell{
					Value: int64(math.Round(v)), Publishable: gc.public && public})
			}
		}
	}
	// The parts of all relations in one backing array.
	var backing []int
	rel := func(total int, parts []int) {
		start := len(backing)
		backing = append(backing, parts...)
		pr.problem.Relations = append(pr.problem.Relations, suppression.Relation{Total: total, Parts: backing[start:len(backing):len(backing)]})
	}
	var parts []int
	shifted := func(base int, r geoRel) {
		parts = parts[:0]
		for _, k := range r.parts {
			parts = append(parts, base+k)
		}
		rel(base+r.total, parts)
	}
	for pi := range periods {
		for k, cc := range t.catCells {
			base := t.block(pi, k)
			rels := l.rels
			if cc.breakdown != "" {
				rels = l.catRels // no commune broken down
			}
			for _, r := range rels {
				shifted(base, r)
			}
		}
		// Categories add up to their total, but for a list field (a
		// contact counts in each of its poles).
		for j, gi := range l.catGeos {
			for _, b := range t.bds {
				if f, ok := t.ds.Field(b); ok && f.Type == sources.List {
					continue
				}
				parts = parts[:0]
				for c := range t.cats[catKey{mk, b}] {
					parts = append(parts, t.block(pi, t.catStart[b]+c)+j)
				}
				if len(parts) > 0 {
					rel(t.block(pi, 0)+gi, parts)
				}
			}
		}
	}
	// Months add up to quarters, quarters (or months) to the year. Periods
	// are laid out months, quarters, year.
	first := map[string]int{}
	for i := len(periods) - 1; i >= 0; i-- {
		first[periods[i].ptype] = i
	}
	for k, cc := range t.catCells {
		width := len(l.geos)
		if cc.breakdown != "" {
			width = len(l.catGeos)
		}
		for j := range width {
			cell := func(pi int) int { return t.block(pi, k) + j }
			for pi, p := range periods {
				parts = parts[:0]
				switch {
				case p.ptype == catalogue.Quarter && use.ptypes[catalogue.Month]:
					q := pi - first[catalogue.Quarter]
					for m := range 3 {
						parts = append(parts, cell(first[catalogue.Month]+3*q+m))
					}
				case p.ptype == catalogue.Year && use.ptypes[catalogue.Quarter]:
					for q := range 4 {
						parts = append(parts, cell(first[catalogue.Quarter]+q))
					}
				case p.ptype == catalogue.Year && use.ptypes[catalogue.Month]:
					for m := range 12 {
						parts = append(parts, cell(first[catalogue.Month]+m))
					}
				}
				if len(parts) > 0 {
					rel(cell(pi), parts)
				}
			}
		}
	}
	return pr
}
