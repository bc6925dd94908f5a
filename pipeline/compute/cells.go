package compute

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
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

// numerators returns the numerators the catalogue needs, with the
// breakdowns and period types each is needed by: an indicator's own, and
// those of indicators serving as denominators by the same breakdowns.
type need struct {
	numerator  catalogue.Numerator
	breakdowns map[string]bool
	periods    map[string]bool
}

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

// Gather asks the warehouse for every aggregate the catalogue needs: one
// query per dataset and breakdown for counts and sums, one for distinct
// counts, and one per median and per count of new values.
func Gather(ctx context.Context, w *warehouse.Warehouse, cat *catalogue.Catalogue, g *geography.Geography, geoVersion uint64, deliveries []completeness.Row) (*Cells, error) {
	cells := NewCells()
	cells.Deliveries = deliveries
	type group struct{ dataset, breakdown, kind, field string }
	queries := map[group]*warehouse.CellQuery{}
	var order []group
	keys := map[group][]string{}
	ns := needs(cat)
	nkeys := make([]string, 0, len(ns))
	for k := range ns {
		nkeys = append(nkeys, k)
	}
	sort.Strings(nkeys)
	datasets := map[string]bool{}
	// The months of every stored dataset first: how big a dataset is
	// decides how its breakdowns are queried.
	for _, k := range nkeys {
		if d, _ := sources.LookupDataset(ns[k].numerator.Dataset); !d.Virtual {
			datasets[ns[k].numerator.Dataset] = true
		}
	}
	for _, ds := range slices.Sorted(maps.Keys(datasets)) {
		months, err := w.DataMonths(ctx, ds)
		if err != nil {
			return nil, err
		}
		cells.Months[ds] = months
	}
	for _, k := range nkeys {
		nd := ns[k]
		n := nd.numerator
		d, _ := sources.LookupDataset(n.Dataset)
		if d.Virtual {
			cells.addDeliveries(deliveries, k, n, nd.breakdowns)
			months := map[time.Time]uint64{}
			for _, r := range deliveries {
				months[r.Period]++
			}
			cells.Months[n.Dataset] = months
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
			measure.Field = "tuple(load_id, line)" // rows of one date: counted as they are
		}
		if kind == warehouse.CellsDistinct {
			// One query per counted field for the total and every breakdown,
			// a list field apart (each of its values counts).
			for _, b := range slices.Sorted(maps.Keys(nd.breakdowns)) {
				list := ""
				if f, ok := d.Field(b); ok && f.Type == sources.List {
					list = b
				}
				grp := group{n.Dataset, list, kind, measure.Field}
				q := queries[grp]
				if q == nil {
					q = &warehouse.CellQuery{Dataset: n.Dataset, Kind: kind, Field: measure.Field}
					queries[grp] = q
					order = append(order, grp)
				}
				if b != "" && !slices.Contains(q.Breakdowns, b) {
					q.Breakdowns = append(q.Breakdowns, b)
				}
				if !slices.Contains(keys[grp], k) {
					q.Measures = append(q.Measures, measure)
					keys[grp] = append(keys[grp], k)
				}
				for p := range nd.periods {
					if !slices.Contains(q.PeriodTypes, p) {
						q.PeriodTypes = append(q.PeriodTypes, p)
					}
				}
			}
			continue
		}
		// Counts, sums and value counts of a big dataset: the total and
		// every text or yes/no breakdown in one query grouped on them
		// together (one reading of the table), a list breakdown apart (each
		// of its values counts). Those of a small dataset, one query per
		// breakdown: their combinations would be as many as its rows.
		var rows uint64
		for _, n := range cells.Months[n.Dataset] {
			rows += n
		}
		for _, b := range slices.Sorted(maps.Keys(nd.breakdowns)) {
			list := ""
			if f, ok := d.Field(b); (ok && f.Type == sources.List) || rows < jointAbove {
				list = b
			}
			grp := group{n.Dataset, list, kind, field}
			q := queries[grp]
			if q == nil {
				q = &warehouse.CellQuery{Dataset: n.Dataset, Breakdown: list, Kind: kind}
				if kind == warehouse.CellsHistogram {
					q.Field = n.Field
				}
				queries[grp] = q
				order = append(order, grp)
			}
			if list == "" && b != "" && !slices.Contains(q.Breakdowns, b) {
				q.Breakdowns = append(q.Breakdowns, b)
			}
			if !slices.Contains(keys[grp], k) {
				q.Measures = append(q.Measures, measure)
				keys[grp] = append(keys[grp], k)
			}
		}
	}
	for _, grp := range order {
		q := queries[grp]
		slices.Sort(q.PeriodTypes)
		d, _ := sources.LookupDataset(q.Dataset)
		mkeys := keys[grp]
		dates := map[time.Time]bool{}
		// A query of a list breakdown leaves the totals to the main query
		// of its field, when there is one.
		_, hasMain := queries[group{grp.dataset, "", grp.kind, grp.field}]
		started := time.Now()
		skipTotals := q.Kind == warehouse.CellsDistinct && grp.breakdown != "" && hasMain
		sums := map[areaSum][]float64{}
		err := w.Cells(ctx, *q, geoVersion, func(r warehouse.CellRow) {
			switch q.Kind {
			case warehouse.CellsAdditive, warehouse.CellsHistogram:
				// Added up per area, month and category first; the roll-up
				// to geographies and periods comes once per sum.
				add := func(bd, cat string) {
					k := areaSum{r.Period, r.Area, bd, cat, r.Bucket}
					v := sums[k]
					if v == nil {
						v = make([]float64, len(r.Values))
						sums[k] = v
					}
					for i, x := range r.Values {
						v[i] += x
					}
				}
				if q.Breakdown != "" { // a list breakdown
					add(q.Breakdown, r.Category)
					return
				}
				add("", "")
				for i, b := range q.Breakdowns {
					add(b, r.Categories[i])
				}
			default:
				category := r.Category
				if r.Breakdown == "" {
					if skipTotals {
						return
					}
					category = ""
				}
				ptype := r.PeriodType
				if d.Stock {
					ptype = warehouse.PeriodDate
					dates[r.Period] = true
				}
				for i, k := range mkeys {
					cells.Values[Cell{k, r.Breakdown, category, ptype, r.Period, r.Level, r.Code}] += r.Values[i]
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("compute: %w", err)
		}
		for k, v := range sums {
			if q.Kind == warehouse.CellsHistogram {
				cells.addHistogram(g, mkeys[0], k.breakdown, k.category, k.month, k.area, k.bucket, v[0])
			} else {
				cells.addArea(g, mkeys, k.breakdown, k.category, k.month, k.area, v)
			}
		}
		what := q.Breakdown
		if what == "" {
			what = strings.Join(q.Breakdowns, ",")
		}
		cells.Queries = append(cells.Queries, QueryTime{q.Dataset, q.Kind, what, time.Since(started)})
		if d.Stock {
			for t := range dates {
				if !slices.Contains(cells.Dates[q.Dataset], t) {
					cells.Dates[q.Dataset] = append(cells.Dates[q.Dataset], t)
				}
			}
			slices.SortFunc(cells.Dates[q.Dataset], func(a, b time.Time) int { return a.Compare(b) })
		}
	}
	return cells, nil
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

// addArea adds the counts of one area and month to every geography and
// period containing them.
func (c *Cells) addArea(g *geography.Geography, measures []string, breakdown, category string, month time.Time, area string, values []float64) {
	for _, pl := range append(places(g, area), [2]string{levelArea, area}) {
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

func (c *Cells) addHistogram(g *geography.Geography, measure, breakdown, category string, month time.Time, area string, bucket, rows float64) {
	for _, pl := range places(g, area) {
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
			h[bucket] += rows
		}
	}
}

// jointAbove is the number of rows from which a dataset's breakdowns are
// queried together.
var jointAbove uint64 = 1_000_000

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
