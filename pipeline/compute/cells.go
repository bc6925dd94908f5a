package compute

import (
	"context"
	"fmt"
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
		case catalogue.Distinct:
			kind = warehouse.CellsDistinct
		case catalogue.New:
			kind, field = warehouse.CellsNew, k
		case catalogue.Median:
			kind, field = warehouse.CellsHistogram, k
		}
		if d.Stock && kind == warehouse.CellsAdditive {
			kind = warehouse.CellsDistinct // a stock is counted at its dates, never summed over them
		}
		for _, b := range sortedKeys(nd.breakdowns) {
			grp := group{n.Dataset, b, kind, field}
			q := queries[grp]
			if q == nil {
				q = &warehouse.CellQuery{Dataset: n.Dataset, Breakdown: b, Kind: kind}
				if kind == warehouse.CellsHistogram {
					q.Field = n.Field
				}
				queries[grp] = q
				order = append(order, grp)
			}
			agg := n.Aggregate
			if d.Stock && agg == catalogue.Count {
				agg = catalogue.Distinct // rows of one date: counted as is
			}
			q.Measures = append(q.Measures, warehouse.CellMeasure{Aggregate: agg, Field: n.Field, Filters: n.Filters,
				LookbackMonths: n.LookbackMonths})
			if agg == catalogue.Distinct && n.Aggregate == catalogue.Count {
				q.Measures[len(q.Measures)-1].Field = "record_key, load_id, line"
			}
			keys[grp] = append(keys[grp], k)
			for p := range nd.periods {
				if !slices.Contains(q.PeriodTypes, p) {
					q.PeriodTypes = append(q.PeriodTypes, p)
				}
			}
		}
	}
	for _, ds := range sortedKeys(datasets) {
		months, err := w.DataMonths(ctx, ds)
		if err != nil {
			return nil, err
		}
		cells.Months[ds] = months
	}
	for _, grp := range order {
		q := queries[grp]
		slices.Sort(q.PeriodTypes)
		d, _ := sources.LookupDataset(q.Dataset)
		mkeys := keys[grp]
		dates := map[time.Time]bool{}
		err := w.Cells(ctx, *q, geoVersion, func(r warehouse.CellRow) {
			category := r.Category
			if q.Breakdown == "" {
				category = ""
			}
			switch q.Kind {
			case warehouse.CellsAdditive:
				cells.addArea(g, mkeys, q.Breakdown, category, r.Period, r.Area, r.Values)
			case warehouse.CellsHistogram:
				cells.addHistogram(g, mkeys[0], q.Breakdown, category, r.Period, r.Area, r.Bucket, r.Values[0])
			default:
				ptype := r.PeriodType
				if d.Stock {
					ptype = warehouse.PeriodDate
					dates[r.Period] = true
				}
				for i, k := range mkeys {
					cells.Values[Cell{k, q.Breakdown, category, ptype, r.Period, r.Level, r.Code}] += r.Values[i]
				}
			}
		})
		if err != nil {
			return nil, fmt.Errorf("compute: %w", err)
		}
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
		for _, p := range periodsOf(month) {
			for i, m := range measures {
				c.Values[Cell{m, breakdown, category, p.ptype, p.start, pl[0], pl[1]}] += values[i]
			}
		}
	}
}

func (c *Cells) addHistogram(g *geography.Geography, measure, breakdown, category string, month time.Time, area string, bucket, rows float64) {
	for _, pl := range places(g, area) {
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

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
