package compute

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/geography"
	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/sources"
)

// Cell locates one aggregate: a measure (a numerator's aggregate and
// filters), a breakdown and category ("" for the total), a period and a
// geography. Stocks are kept at their own dates (period type "date").
type Cell struct {
	Measure    string
	Breakdown  string
	Category   string
	PeriodType string
	Period     time.Time
	Level      string
	Code       string
}

// Cells are the aggregates the indicators are derived from, gathered from
// the warehouse (or built by hand in tests).
type Cells struct {
	// Values of counts, sums and distinct counts.
	Values map[Cell]float64
	// Histograms of number fields, for medians: value -> rows.
	Histograms map[Cell]map[float64]float64
	// Months in which each stored dataset has rows, and how many.
	Months map[string]map[time.Time]uint64
	// Dates of each stock dataset's states (inventories).
	Dates map[string][]time.Time
	// Deliveries are the deliveries owed, received and on time: the rows
	// of the virtual deliveries dataset, and what tells a period of a
	// dataset incomplete.
	Deliveries []completeness.Row
	// Queries says how long each warehouse query took.
	Queries []QueryTime
}

// QueryTime is one warehouse query of a computation and its duration.
type QueryTime struct {
	Dataset, Kind, Breakdown string
	Duration                 time.Duration
}

// NewCells returns empty cells.
func NewCells() *Cells {
	return &Cells{Values: map[Cell]float64{}, Histograms: map[Cell]map[float64]float64{},
		Months: map[string]map[time.Time]uint64{}, Dates: map[string][]time.Time{}}
}

// MeasureKey names a numerator's aggregate and filters: two indicators with
// the same numerator share its cells.
func MeasureKey(n catalogue.Numerator) string {
	var b strings.Builder
	b.WriteString(n.Dataset + "|" + n.Aggregate + "|" + n.Field)
	if n.LookbackMonths > 0 {
		b.WriteString("|" + strconv.Itoa(n.LookbackMonths))
	}
	fs := make([]string, 0, len(n.Filters))
	for _, f := range n.Filters {
		vals := slices.Clone(f.In)
		sort.Strings(vals)
		fs = append(fs, f.Field+" "+f.Op+" "+f.Value+strings.Join(vals, ","))
	}
	sort.Strings(fs)
	for _, f := range fs {
		b.WriteString("|" + f)
	}
	return b.String()
}

// breakdowns returns the breakdowns an indicator's numerator is needed by:
// "" for the total, then each of its own.
func breakdowns(ind catalogue.Indicator) []string {
	var out []string
	if ind.HasTotal() {
		out = append(out, "")
	}
	return append(out, ind.Breakdowns...)
}

// need is a numerator the catalogue needs, with the breakdowns and period
// types it is needed by.
type need struct {
	numerator  catalogue.Numerator
	breakdowns map[string]bool
	periods    map[string]bool
}

// needs returns the numerators the catalogue needs, by measure key: an
// indicator's own, and those of indicators serving as denominators by the
// same breakdowns.
func needs(cat *catalogue.Catalogue) map[string]*need {
	out := map[string]*need{}
	add := func(n catalogue.Numerator, bds []string, periods []string) {
		k := MeasureKey(n)
		nd := out[k]
		if nd == nil {
			nd = &need{numerator: n, breakdowns: map[string]bool{}, periods: map[string]bool{}}
			out[k] = nd
		}
		for _, b := range bds {
			nd.breakdowns[b] = true
		}
		for _, p := range periods {
			nd.periods[p] = true
		}
	}
	for _, ind := range cat.Indicators {
		add(ind.Numerator, breakdowns(ind), ind.Periods)
		if den := ind.Denominator; den != nil && den.Indicator != "" {
			d, _ := cat.Lookup(den.Indicator)
			var bds []string
			for _, b := range breakdowns(ind) {
				if b == "" || slices.Contains(d.Breakdowns, b) {
					bds = append(bds, b)
				} else {
					bds = append(bds, "")
				}
			}
			add(d.Numerator, bds, ind.Periods)
		}
	}
	return out
}

// plan is one warehouse query of a computation: its measures' keys, in
// the order of its measures, and for a visits query the period types they
// are counted for.
type plan struct {
	q    warehouse.CellQuery
	keys []string
	// visits queries only
	periods []string
	// skipTotals: a visits query of a list breakdown leaves the totals to
	// the main query of its field.
	skipTotals bool
}

// Gather asks the warehouse for every aggregate the catalogue needs: one
// query per dataset, breakdown and kind for counts, sums and histograms
// (medians), and one per counted field for distinct and new values (a list
// breakdown apart), counted here.
func Gather(ctx context.Context, w *warehouse.Warehouse, cat *catalogue.Catalogue, g *geography.Geography, deliveries []completeness.Row) (*Cells, error) {
	cells := NewCells()
	cells.Deliveries = deliveries
	ns := needs(cat)
	order, datasets := planQueries(ns)
	for _, ds := range datasets {
		started := time.Now()
		months, err := w.DataMonths(ctx, ds)
		if err != nil {
			return nil, err
		}
		cells.Months[ds] = months
		cells.Queries = append(cells.Queries, QueryTime{ds, "months", "", time.Since(started)})
	}
	var deliveryMonths map[time.Time]uint64 // rows of the virtual dataset by month
	for _, k := range slices.Sorted(maps.Keys(ns)) {
		nd := ns[k]
		if d, _ := sources.LookupDataset(nd.numerator.Dataset); d.Virtual {
			cells.addDeliveries(deliveries, k, nd.numerator, nd.breakdowns)
			if deliveryMonths == nil {
				deliveryMonths = map[time.Time]uint64{}
				for _, r := range deliveries {
					deliveryMonths[r.Period]++
				}
			}
			cells.Months[nd.numerator.Dataset] = deliveryMonths
		}
	}
	// The queries run a few at a time: the answers are added up and
	// counted in Go while the server answers the next.
	parts := make([]*Cells, len(order))
	errs := make([]error, len(order))
	sem := make(chan struct{}, gatherWorkers)
	var wg sync.WaitGroup
	for i, p := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			part := NewCells()
			started := time.Now()
			if p.q.Kind == warehouse.CellsDistinct {
				errs[i] = part.gatherVisits(ctx, w, g, p)
			} else {
				errs[i] = part.gatherSums(ctx, w, g, p)
			}
			what := p.q.Breakdown
			if p.q.Kind == warehouse.CellsDistinct {
				what = strings.Join(p.q.Breakdowns, ",")
			}
			part.Queries = append(part.Queries, QueryTime{p.q.Dataset, p.q.Kind, what, time.Since(started)})
			parts[i] = part
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("compute: %w", err)
	}
	for _, part := range parts {
		cells.merge(part)
	}
	return cells, nil
}

// planQueries returns the warehouse queries of a catalogue's numerators
// (needs), and the stored datasets they read.
func planQueries(ns map[string]*need) ([]*plan, []string) {
	type group struct{ dataset, breakdown, kind, field string }
	plans := map[group]*plan{}
	var order []group
	datasets := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(ns)) {
		nd := ns[k]
		n := nd.numerator
		d, _ := sources.LookupDataset(n.Dataset)
		if d.Virtual {
			continue
		}
		datasets[n.Dataset] = true
		kind := warehouse.CellsAdditive
		field := ""
		switch n.Aggregate {
		case catalogue.Distinct, catalogue.New:
			kind = warehouse.CellsDistinct
		case catalogue.Median:
			kind, field = warehouse.CellsHistogram, k
		}
		agg := n.Aggregate
		if d.Stock && kind == warehouse.CellsAdditive {
			// A stock is counted at its dates, never summed over them.
			kind, agg = warehouse.CellsDistinct, catalogue.Distinct
		}
		measure := warehouse.CellMeasure{Aggregate: agg, Field: n.Field, Filters: n.Filters, LookbackMonths: n.LookbackMonths}
		if n.Aggregate == catalogue.Count && d.Stock {
			measure.Field = warehouse.RowIdentity // rows of one date: counted as they are
		}
		if kind == warehouse.CellsDistinct {
			field = measure.Field
		}
		// Counts, sums and histograms: one query per breakdown. Distinct
		// counts: one query per counted field for the total and every
		// breakdown, a list field apart (each of its values counts).
		for _, b := range slices.Sorted(maps.Keys(nd.breakdowns)) {
			by := b
			if kind == warehouse.CellsDistinct {
				by = ""
				if f, ok := d.Field(b); ok && f.Type == sources.List {
					by = b
				}
			}
			grp := group{n.Dataset, by, kind, field}
			p := plans[grp]
			if p == nil {
				p = &plan{q: warehouse.CellQuery{Dataset: n.Dataset, Kind: kind}}
				switch kind {
				case warehouse.CellsDistinct:
					p.q.Field = field
				case warehouse.CellsHistogram:
					p.q.Field = n.Field
					p.q.Breakdown = by
				default:
					p.q.Breakdown = by
				}
				plans[grp] = p
				order = append(order, grp)
			}
			if kind == warehouse.CellsDistinct && b != "" && !slices.Contains(p.q.Breakdowns, b) {
				p.q.Breakdowns = append(p.q.Breakdowns, b)
			}
			if !slices.Contains(p.keys, k) {
				p.q.Measures = append(p.q.Measures, measure)
				p.keys = append(p.keys, k)
			}
			for pt := range nd.periods {
				if !slices.Contains(p.periods, pt) {
					p.periods = append(p.periods, pt)
				}
			}
		}
	}
	out := make([]*plan, len(order))
	for i, grp := range order {
		p := plans[grp]
		slices.Sort(p.periods)
		_, hasMain := plans[group{grp.dataset, "", grp.kind, grp.field}]
		p.skipTotals = grp.kind == warehouse.CellsDistinct && grp.breakdown != "" && hasMain
		out[i] = p
	}
	return out, slices.Sorted(maps.Keys(datasets))
}

// PartialSpecs returns the specs of the partials a computation of the
// catalogue reads (see warehouse.PartialSpecs): those to keep.
func PartialSpecs(cat *catalogue.Catalogue) ([]uint64, error) {
	order, _ := planQueries(needs(cat))
	queries := make([]warehouse.CellQuery, len(order))
	for i, p := range order {
		queries[i] = p.q
	}
	return warehouse.PartialSpecs(queries)
}

// gatherWorkers is the number of warehouse queries a computation runs at
// once.
var gatherWorkers = max(2, runtime.GOMAXPROCS(0))

// merge adds the aggregates of other to c.
func (c *Cells) merge(other *Cells) {
	for k, v := range other.Values {
		c.Values[k] += v
	}
	for k, h := range other.Histograms {
		mine := c.Histograms[k]
		if mine == nil {
			c.Histograms[k] = h
			continue
		}
		for b, n := range h {
			mine[b] += n
		}
	}
	for ds, dates := range other.Dates {
		for _, t := range dates {
			if !slices.Contains(c.Dates[ds], t) {
				c.Dates[ds] = append(c.Dates[ds], t)
			}
		}
		slices.SortFunc(c.Dates[ds], func(a, b time.Time) int { return a.Compare(b) })
	}
	c.Queries = append(c.Queries, other.Queries...)
}

// gatherSums asks for the counts, sums or histogram of an additive query,
// added up per area, month and category first, then rolled up to
// geographies and periods once per sum.
func (c *Cells) gatherSums(ctx context.Context, w *warehouse.Warehouse, g *geography.Geography, p *plan) error {
	sums := map[areaSum][]float64{}
	err := w.Cells(ctx, p.q, func(r warehouse.CellRow) {
		k := areaSum{r.Period, r.Area, p.q.Breakdown, r.Category, r.Bucket}
		v := sums[k]
		if v == nil {
			v = make([]float64, len(r.Values))
			sums[k] = v
		}
		for i, x := range r.Values {
			v[i] += x
		}
	})
	if err != nil {
		return err
	}
	placesOf := map[string][][2]string{}
	if p.q.Kind == warehouse.CellsHistogram {
		// Each histogram of an area, month and category is added to
		// those of its geographies and periods, found once.
		type source struct {
			month          time.Time
			area, category string
		}
		targets := map[source][]map[float64]float64{}
		for k, v := range sums {
			src := source{k.month, k.area, k.category}
			hs, ok := targets[src]
			if !ok {
				hs = c.histograms(p.keys[0], k.breakdown, k.category, k.month, cachedPlaces(g, placesOf, k.area))
				targets[src] = hs
			}
			for _, h := range hs {
				h[k.bucket] += v[0]
			}
		}
		return nil
	}
	for k, v := range sums {
		c.addArea(p.keys, k.breakdown, k.category, k.month, k.area, cachedPlaces(g, placesOf, k.area), v)
	}
	return nil
}

// cachedPlaces returns places(g, area), kept in cache.
func cachedPlaces(g *geography.Geography, cache map[string][][2]string, area string) [][2]string {
	pl, ok := cache[area]
	if !ok {
		pl = places(g, area)
		cache[area] = pl
	}
	return pl
}

// publishedWithCategories reports whether a level's values are broken down
// by category: the Region's and the bassins'. A commune has its totals
// only: broken down, its counts would mostly be too small to publish.
func publishedWithCategories(level string) bool {
	return level == geography.LevelRegion || level == geography.LevelBassin
}

// levelArea keeps the additive cells of each area, before they are added up
// to communes and bassins: the parts of Bruxelles-Ville inside each bassin,
// and the Region's remainder outside the bassins, are computed from them.
const levelArea = "area"

// places returns the geographies an area counts in: the Region, its
// commune and its bassin when it has them.
func places(g *geography.Geography, area string) [][2]string {
	out := [][2]string{{geography.LevelRegion, geography.RegionCode}}
	for _, a := range g.Areas {
		if a.Key == area {
			out = append(out, [2]string{geography.LevelCommune, a.NIS})
			if a.Bassin != "" {
				out = append(out, [2]string{geography.LevelBassin, a.Bassin})
			}
			return out
		}
	}
	return out
}

// periodsOf returns the month, quarter and year of a month.
func periodsOf(month time.Time) [3]struct {
	ptype string
	start time.Time
} {
	q := time.Date(month.Year(), (month.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	y := time.Date(month.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	return [3]struct {
		ptype string
		start time.Time
	}{{catalogue.Month, month}, {catalogue.Quarter, q}, {catalogue.Year, y}}
}

// addArea adds the counts of one area and month to every geography
// (places: the area's) and period containing them.
func (c *Cells) addArea(measures []string, breakdown, category string, month time.Time, area string, places [][2]string, values []float64) {
	for _, pl := range append(places, [2]string{levelArea, area}) {
		if breakdown != "" && !publishedWithCategories(pl[0]) {
			continue
		}
		for _, p := range periodsOf(month) {
			for i, m := range measures {
				c.Values[Cell{m, breakdown, category, p.ptype, p.start, pl[0], pl[1]}] += values[i]
			}
		}
	}
}

// histograms returns the histograms of every geography (places: an
// area's) and period containing a month, made when missing.
func (c *Cells) histograms(measure, breakdown, category string, month time.Time, places [][2]string) []map[float64]float64 {
	var out []map[float64]float64
	for _, pl := range places {
		if breakdown != "" && !publishedWithCategories(pl[0]) {
			continue
		}
		for _, p := range periodsOf(month) {
			k := Cell{measure, breakdown, category, p.ptype, p.start, pl[0], pl[1]}
			h := c.Histograms[k]
			if h == nil {
				h = map[float64]float64{}
				c.Histograms[k] = h
			}
			out = append(out, h)
		}
	}
	return out
}

// areaSum locates the sums of an additive or histogram query's rows for
// one month, area and category (and value, for a histogram).
type areaSum struct {
	month               time.Time
	area                string
	breakdown, category string
	bucket              float64
}

// slowest describes the n slowest warehouse queries, for the log.
func (c *Cells) slowest(n int) string {
	qs := slices.Clone(c.Queries)
	slices.SortFunc(qs, func(a, b QueryTime) int { return cmp.Compare(b.Duration, a.Duration) })
	var parts []string
	for i, q := range qs {
		if i == n {
			break
		}
		what := q.Dataset + " " + q.Kind
		if q.Breakdown != "" {
			what += " by " + q.Breakdown
		}
		parts = append(parts, what+" "+q.Duration.Round(time.Millisecond).String())
	}
	return strings.Join(parts, "; ")
}
