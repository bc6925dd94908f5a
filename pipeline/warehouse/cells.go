package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/sources"
)

// Kinds of cell queries: what the indicator engine asks of a dataset.
const (
	// CellsAdditive: counts and sums by month, area and category; the
	// engine adds them up to communes, bassins, the Region, quarters and
	// years.
	CellsAdditive = "additive"
	// CellsHistogram: row counts by month, area, category and value of a
	// number field, from which the engine takes medians.
	CellsHistogram = "histogram"
	// CellsDistinct: the values of one field met in each month and area
	// (see Visits), from which the engine counts distinct and new values
	// over whole periods and geographies.
	CellsDistinct = "distinct"
)

// RowIdentity is the field a visits query counts to count a stock's rows
// (each row a value of its own).
const RowIdentity = "_row"

// CellMeasure is one aggregate of a cell query: for a visits query, only
// its filters matter.
type CellMeasure struct {
	Aggregate      string // catalogue.Count, Sum, Distinct or New
	Field          string
	Filters        []catalogue.Filter
	LookbackMonths int
}

// CellQuery asks for the aggregates of one dataset:
//   - an additive or histogram query by one breakdown ("" for none);
//   - a visits query (kind CellsDistinct) of the values of Field, with the
//     values of its Breakdowns (at most one of them a list field).
//
// A stock dataset (an inventory) is kept at each of its dates instead of
// its months.
type CellQuery struct {
	Dataset    string
	Breakdown  string
	Breakdowns []string
	Kind       string
	Field      string // histogram: the number field; distinct: the counted field
	Measures   []CellMeasure
}

// CellRow is one row of an additive or histogram query's answer: Values
// holds one aggregate per measure for the month (a stock: the date), area
// and category ("unknown" when the field is empty; "" without breakdown)
// and, for a histogram, the value Bucket. Rows of one cell may come more
// than once: they add up.
type CellRow struct {
	Period   time.Time
	Area     string
	Category string
	Bucket   float64
	Values   []float64
}

// PeriodDate is the period type of a stock's rows: the date itself.
const PeriodDate = "date"

// Cells runs an additive or histogram query against the committed rows
// and calls each for every row of the answer.
func (w *Warehouse) Cells(ctx context.Context, q CellQuery, each func(CellRow)) error {
	d, ok := sources.LookupDataset(q.Dataset)
	if !ok || d.Virtual {
		return fmt.Errorf("warehouse: cells: %q is not a stored dataset", q.Dataset)
	}
	pq, err := cellQuery(d, q)
	if err != nil {
		return fmt.Errorf("warehouse: cells of %s: %w", q.Dataset, err)
	}
	n := len(q.Measures)
	err = w.runPartial(ctx, pq, func(rows driver.Rows) error {
		for rows.Next() {
			var r CellRow
			var period time.Time
			if err := rows.Scan(&period, &r.Area, &r.Category, &r.Bucket, &r.Values); err != nil {
				return err
			}
			if len(r.Values) != n {
				return fmt.Errorf("%d aggregates, want %d", len(r.Values), n)
			}
			r.Period = utcDate(period)
			if r.Category == "" && q.Breakdown != "" {
				r.Category = sources.Unknown
			}
			each(r)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("warehouse: cells of %s by %q: %w", q.Dataset, q.Breakdown, err)
	}
	return nil
}

// DataMonths returns the months in which a dataset has committed rows, with
// their row counts: which periods exist for its indicators.
func (w *Warehouse) DataMonths(ctx context.Context, dataset string) (map[time.Time]uint64, error) {
	d, ok := sources.LookupDataset(dataset)
	if !ok || d.Virtual {
		return nil, fmt.Errorf("warehouse: data months: %q is not a stored dataset", dataset)
	}
	pq := monthsQuery(d)
	out := map[time.Time]uint64{}
	err := w.runPartial(ctx, pq, func(rows driver.Rows) error {
		for rows.Next() {
			var m time.Time
			var area, category string
			var bucket float64
			var sums []float64
			if err := rows.Scan(&m, &area, &category, &bucket, &sums); err != nil {
				return err
			}
			out[utcDate(m)] += uint64(sums[0])
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("warehouse: data months of %s: %w", dataset, err)
	}
	return out, nil
}

// monthsQuery counts a dataset's rows by month.
func monthsQuery(d *sources.Dataset) partialQuery {
	return partialQuery{dataset: d, target: "cell_partials", columns: cellColumns,
		body: func(cond string, perLoad bool) string {
			load := ""
			if perLoad {
				load = "load_id, "
			}
			return `SELECT ` + load + `toStartOfMonth(` + d.DateField + `) AS month, '' AS area_key, '' AS category,
				toFloat64(0) AS bucket, [toFloat64(count())] AS sums
				FROM ` + d.Table + ` WHERE ` + cond + ` GROUP BY ` + load + `month`
		},
		read: readCells}
}

// cellColumns are the columns of cell_partials a build writes.
var cellColumns = []string{"month", "area_key", "category", "bucket", "sums"}

// readCells reads cell partials, summed over loads.
func readCells(cond string) string {
	return `SELECT month, area_key, category, bucket, sumForEach(sums) AS sums FROM cell_partials
		WHERE ` + cond + ` GROUP BY month, area_key, category, bucket`
}

// categoryExpr writes the category of a row for a breakdown field: a list
// field spreads its row, one per value (one row "" when empty).
func categoryExpr(d *sources.Dataset, breakdown string) (string, error) {
	f, ok := d.Field(breakdown)
	if !ok {
		return "", fmt.Errorf("no field %q", breakdown)
	}
	switch f.Type {
	case sources.List:
		return "arrayJoin(if(empty(" + breakdown + "), [''], " + breakdown + "))", nil
	case sources.Bool:
		return "toString(" + breakdown + ")", nil
	}
	return breakdown, nil
}

// measureConditions writes each measure's filters as a condition, their values
// bound as arguments.
func measureConditions(d *sources.Dataset, measures []CellMeasure) ([]string, []any, error) {
	var args []any
	conds := make([]string, len(measures))
	for i, m := range measures {
		c, a, err := filterSQL(d, m.Filters, len(args))
		if err != nil {
			return nil, nil, err
		}
		conds[i], args = c, append(args, a...)
	}
	return conds, args, nil
}

// cellQuery writes an additive or histogram query.
func cellQuery(d *sources.Dataset, q CellQuery) (partialQuery, error) {
	conds, args, err := measureConditions(d, q.Measures)
	if err != nil {
		return partialQuery{}, err
	}
	category := "''"
	if q.Breakdown != "" {
		if category, err = categoryExpr(d, q.Breakdown); err != nil {
			return partialQuery{}, err
		}
	}
	date := d.DateField
	period := "toStartOfMonth(" + date + ")"
	if d.Stock {
		period = date
	}
	var aggs, fields []string
	where, bucket := "", "toFloat64(0)"
	switch q.Kind {
	case CellsAdditive:
		for i, m := range q.Measures {
			switch m.Aggregate {
			case catalogue.Count:
				aggs = append(aggs, "toFloat64(countIf(c"+strconv.Itoa(i)+"))")
			case catalogue.Sum:
				aggs = append(aggs, "toFloat64(sumIf("+m.Field+", c"+strconv.Itoa(i)+"))")
				if !slices.Contains(fields, m.Field) {
					fields = append(fields, m.Field)
				}
			default:
				return partialQuery{}, fmt.Errorf("aggregate %s is not additive", m.Aggregate)
			}
		}
	case CellsHistogram:
		if len(q.Measures) != 1 {
			return partialQuery{}, fmt.Errorf("a histogram has one measure")
		}
		aggs = []string{"toFloat64(countIf(c0))"}
		fields = []string{q.Field}
		where = " AND isNotNull(" + q.Field + ")"
		bucket = "toFloat64(assumeNotNull(" + q.Field + "))"
	default:
		return partialQuery{}, fmt.Errorf("unknown kind of cell query %q", q.Kind)
	}
	cols := []string{"load_id", period + " AS month", "area_key", category + " AS category"}
	for i, c := range conds {
		cols = append(cols, "("+c+") AS c"+strconv.Itoa(i))
	}
	cols = append(cols, fields...)
	body := func(cond string, perLoad bool) string {
		load := ""
		if perLoad {
			load = "load_id, "
		}
		keys := load + "month, area_key, category, bucket"
		return `SELECT ` + load + `month, area_key, category, ` + bucket + ` AS bucket, [` + strings.Join(aggs, ", ") + `] AS sums
			FROM (SELECT ` + strings.Join(cols, ", ") + ` FROM ` + d.Table + ` WHERE ` + cond + `) AS r
			WHERE area_key != ''` + where + `
			GROUP BY ` + keys
	}
	return partialQuery{dataset: d, target: "cell_partials", columns: cellColumns, body: body, args: args, read: readCells}, nil
}

// filterSQL turns filters into a condition on the dataset's columns, their
// values bound as arguments named f<n>. Field names were checked against the
// dataset when the catalogue loaded.
func filterSQL(d *sources.Dataset, filters []catalogue.Filter, offset int) (string, []any, error) {
	if len(filters) == 0 {
		return "1", nil, nil
	}
	var parts []string
	var args []any
	for _, f := range filters {
		typ := sources.String
		if fd, ok := d.Field(f.Field); ok {
			typ = fd.Type
		} else if f.Field == "value" {
			typ = sources.Decimal
		}
		name := "f" + strconv.Itoa(offset+len(args))
		values := f.In
		if f.Op != "in" && f.Op != "not_in" {
			values = []string{f.Value}
		}
		bound := make([]any, len(values))
		for i, v := range values {
			b, err := fieldValue(typ, v)
			if err != nil {
				return "", nil, fmt.Errorf("filter on %s: %w", f.Field, err)
			}
			bound[i] = b
		}
		var arg any = bound[0]
		if f.Op == "in" || f.Op == "not_in" {
			arg = bound
		}
		args = append(args, clickhouse.Named(name, arg))
		col, p := f.Field, "@"+name
		var c string
		switch {
		case typ == sources.List && (f.Op == "=" || f.Op == "!="):
			c = "has(" + col + ", " + p + ")"
		case typ == sources.List:
			c = "hasAny(" + col + ", " + p + ")"
		case f.Op == "in" || f.Op == "not_in":
			c = "has(" + p + ", " + col + ")"
		case f.Op == "=":
			c = col + " = " + p
		default:
			c = col + " " + f.Op + " " + p
		}
		if f.Op == "!=" && typ == sources.List || f.Op == "not_in" {
			c = "NOT " + c
		}
		if typ == sources.Age {
			c = "ifNull(" + c + ", 0)"
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, " AND "), args, nil
}

// fieldValue parses a filter's value as the field's type.
func fieldValue(typ sources.FieldType, v string) (any, error) {
	switch typ {
	case sources.Int:
		n, err := strconv.ParseUint(v, 10, 32)
		return uint32(n), err
	case sources.Age:
		n, err := strconv.ParseUint(v, 10, 8)
		return uint8(n), err
	case sources.Bool:
		switch v {
		case "1", "true", "yes":
			return uint8(1), nil
		case "0", "false", "no":
			return uint8(0), nil
		}
		return nil, fmt.Errorf("%q is not yes or no", v)
	case sources.Decimal:
		return strconv.ParseFloat(v, 64)
	case sources.Date, sources.Month:
		t, err := time.Parse(time.DateOnly, v)
		return t, err
	}
	return v, nil
}
