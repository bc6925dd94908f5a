package compute

import (
	"slices"
	"strconv"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/completeness"
	"github.com/brusano/bassins/pipeline/geography"
)

// deliveryFields gives the fields of a row of the deliveries dataset, as
// text for filters and breakdowns, and as numbers for sums.
func deliveryFields(r completeness.Row) map[string]string {
	b := func(x bool) string {
		if x {
			return "1"
		}
		return "0"
	}
	return map[string]string{"period": r.Period.Format("2006-01-02"), "source": r.Source, "dataset": r.Dataset,
		"expected": b(r.Expected), "received": b(r.Received), "on_time": b(r.OnTime)}
}

// keep reports whether a row's fields pass the filters. Numbers compare as
// numbers, the rest as text.
func keep(fields map[string]string, filters []catalogue.Filter) bool {
	for _, f := range filters {
		v := fields[f.Field]
		var ok bool
		switch f.Op {
		case "=":
			ok = v == f.Value
		case "!=":
			ok = v != f.Value
		case "in":
			ok = slices.Contains(f.In, v)
		case "not_in":
			ok = !slices.Contains(f.In, v)
		case ">=", "<=":
			x, err1 := strconv.ParseFloat(v, 64)
			y, err2 := strconv.ParseFloat(f.Value, 64)
			if err1 != nil || err2 != nil {
				ok = (f.Op == ">=" && v >= f.Value) || (f.Op == "<=" && v <= f.Value)
			} else {
				ok = (f.Op == ">=" && x >= y) || (f.Op == "<=" && x <= y)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// addDeliveries adds the cells of a measure of the deliveries dataset, at
// Region level: deliveries have no place. A row of a quarterly or yearly
// source counts in the month its period starts.
func (c *Cells) addDeliveries(rows []completeness.Row, mk string, n catalogue.Numerator, breakdowns map[string]bool) {
	for _, r := range rows {
		fields := deliveryFields(r)
		if !keep(fields, n.Filters) {
			continue
		}
		x := 1.0
		if n.Aggregate == catalogue.Sum {
			x, _ = strconv.ParseFloat(fields[n.Field], 64)
		}
		for bd := range breakdowns {
			cat := ""
			if bd != "" {
				cat = fields[bd]
			}
			for _, p := range periodsOf(r.Period) {
				c.Values[Cell{mk, bd, cat, p.ptype, p.start, geography.LevelRegion, geography.RegionCode}] += x
			}
		}
	}
}
