package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/pipeline/catalogue"
	"github.com/brusano/bassins/pipeline/geography"
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
	// CellsDistinct: distinct counts by period type, period, level, code
	// and category, each counted over its whole period and geography.
	CellsDistinct = "distinct"
	// CellsNew: distinct values of a field met in the period and in none
	// of the LookbackMonths months before it, by period type, level, code
	// and category.
	CellsNew = "new"
)

// CellMeasure is one aggregate of a cell query.
type CellMeasure struct {
	Aggregate      string // catalogue.Count, Sum, Distinct or New
	Field          string
	Filters        []catalogue.Filter
	LookbackMonths int
}

// CellQuery asks for the aggregates of one dataset, by one breakdown ("" for
// none). PeriodTypes lists the period types of distinct and new queries;
// a stock dataset (an inventory) is counted at each of its dates instead.
type CellQuery struct {
	Dataset     string
	Breakdown   string
	Kind        string
	Field       string // histogram: the number field
	PeriodTypes []string
	Measures    []CellMeasure
}

// CellRow is one row of a cell query's answer. Additive and histogram rows
// have an area key; distinct and new rows a level and a code. Category is
// the breakdown's value, "unknown" when the field is empty; Bucket the
// histogram's value.
type CellRow struct {
	PeriodType string
	Period     time.Time
	Area       string
	Level      string
	Code       string
	Category   string
	Bucket     float64
	Values     []float64
}

// PeriodDate is the period type of a stock's rows: the date itself.
const PeriodDate = "date"

// Cells runs a cell query against the committed rows, with the bassins of
// the geography version, and calls each for every row of the answer.
func (w *Warehouse) Cells(ctx context.Context, q CellQuery, geoVersion uint64, each func(CellRow)) error {
	d, ok := sources.LookupDataset(q.Dataset)
	if !ok || d.Virtual {
		return fmt.Errorf("warehouse: cells: %q is not a stored dataset", q.Dataset)
	}
	sql, args, err := cellSQL(d, q)
	if err != nil {
		return fmt.Errorf("warehouse: cells of %s: %w", q.Dataset, err)
	}
	args = append(args, clickhouse.Named("version", geoVersion))
	rows, err := w.conn.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("warehouse: cells of %s by %q: %w", q.Dataset, q.Breakdown, err)
	}
	defer rows.Close()
	n := len(q.Measures)
	if q.Kind == CellsHistogram {
		n = 1
	}
	for rows.Next() {
		var r CellRow
		var period time.Time
		vals := make([]float64, n)
		dest := []any{&r.PeriodType, &period, &r.Area, &r.Level, &r.Code, &r.Category, &r.Bucket}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("warehouse: cells of %s: %w", q.Dataset, err)
		}
		r.Period, r.Values = utcDate(period), vals
		if r.Category == "" {
			r.Category = "unknown"
		}
		each(r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("warehouse: cells of %s: %w", q.Dataset, err)
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
	rows, err := w.conn.Query(ctx, `SELECT toStartOfMonth(`+d.DateField+`) AS month, count()
		FROM `+d.Table+` WHERE `+visible(d.Table)+` GROUP BY month`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: data months of %s: %w", dataset, err)
	}
	defer rows.Close()
	out := map[time.Time]uint64{}
	for rows.Next() {
		var m time.Time
		var n uint64
		if err := rows.Scan(&m, &n); err != nil {
			return nil, fmt.Errorf("warehouse: data months of %s: %w", dataset, err)
		}
		out[utcDate(m)] = n
	}
	return out, rows.Err()
}

// periodExpr gives the first day of a period of a date expression.
func periodExpr(periodType, date string) string {
	switch periodType {
	case catalogue.Quarter:
		return "toStartOfQuarter(" + date + ")"
	case catalogue.Year:
		return "toStartOfYear(" + date + ")"
	case PeriodDate:
		return date
	default:
		return "toStartOfMonth(" + date + ")"
	}
}

// levels repeats each row once per geography level: the Region (rows placed
// in it), its bassin (when its area has one) and its commune.
const levels = `arrayJoin([tuple('` + geography.LevelRegion + `', if(area_key != '', '` + geography.RegionCode + `', '')),
	tuple('` + geography.LevelBassin + `', bassin), tuple('` + geography.LevelCommune + `', nis)]) AS lv,
	tupleElement(lv, 1) AS level, tupleElement(lv, 2) AS code`

func cellSQL(d *sources.Dataset, q CellQuery) (string, []any, error) {
	var args []any
	conds := make([]string, len(q.Measures))
	for i, m := range q.Measures {
		c, a, err := filterSQL(d, m.Filters, len(args))
		if err != nil {
			return "", nil, err
		}
		conds[i], args = c, append(args, a...)
	}
	category := "''"
	if q.Breakdown != "" {
		f, ok := d.Field(q.Breakdown)
		if !ok && !(d.Measures && (q.Breakdown == "measure")) {
			return "", nil, fmt.Errorf("no field %q", q.Breakdown)
		}
		switch f.Type {
		case sources.List:
			category = "arrayJoin(if(empty(" + q.Breakdown + "), [''], " + q.Breakdown + "))"
		case sources.Bool:
			category = "toString(" + q.Breakdown + ")"
		default:
			category = q.Breakdown
		}
	}
	date := d.DateField
	table := d.Table
	cols := func(extra ...string) string {
		out := []string{date, category + " AS category"}
		for i, c := range conds {
			out = append(out, "("+c+") AS c"+strconv.Itoa(i))
		}
		return strings.Join(append(out, extra...), ", ")
	}
	switch q.Kind {
	case CellsAdditive:
		var aggs []string
		for i, m := range q.Measures {
			switch m.Aggregate {
			case catalogue.Count:
				aggs = append(aggs, "toFloat64(countIf(c"+strconv.Itoa(i)+"))")
			case catalogue.Sum:
				aggs = append(aggs, "toFloat64(sumIf("+m.Field+", c"+strconv.Itoa(i)+"))")
			default:
				return "", nil, fmt.Errorf("aggregate %s is not additive", m.Aggregate)
			}
		}
		var fields []string
		for _, m := range q.Measures {
			if m.Field != "" && !containsString(fields, m.Field) {
				fields = append(fields, m.Field)
			}
		}
		period := periodExpr(catalogue.Month, date)
		if d.Stock {
			period = date
		}
		return `SELECT 'month' AS period_type, ` + period + ` AS period, area_key, '' AS level, '' AS code, category,
				toFloat64(0) AS bucket, ` + strings.Join(aggs, ", ") + `
			FROM (SELECT ` + cols(fields...) + `, area_key FROM ` + table + ` WHERE ` + visible(table) + `) AS r
			WHERE area_key != ''
			GROUP BY period, area_key, category`, args, nil
	case CellsHistogram:
		if len(q.Measures) != 1 {
			return "", nil, fmt.Errorf("a histogram has one measure")
		}
		return `SELECT 'month' AS period_type, toStartOfMonth(` + date + `) AS period, area_key, '' AS level, '' AS code,
				category, toFloat64(assumeNotNull(` + q.Field + `)) AS bucket, toFloat64(countIf(c0))
			FROM (SELECT ` + cols(q.Field) + `, area_key FROM ` + table + ` WHERE ` + visible(table) + `) AS r
			WHERE area_key != '' AND isNotNull(` + q.Field + `)
			GROUP BY period, area_key, category, bucket`, args, nil
	case CellsDistinct, CellsNew:
		types := q.PeriodTypes
		if d.Stock {
			types = []string{PeriodDate}
		}
		var tuples []string
		for _, t := range types {
			tuples = append(tuples, "tuple('"+t+"', "+periodExpr(t, "day")+")")
		}
		// Each row once per period type and level.
		repeat := `arrayJoin([` + strings.Join(tuples, ", ") + `]) AS pt, tupleElement(pt, 1) AS period_type,
			tupleElement(pt, 2) AS period, ` + levels
		var fields []string
		for _, m := range q.Measures {
			if m.Field != "" && !containsString(fields, m.Field) {
				fields = append(fields, m.Field)
			}
		}
		// One row per day, area, category, value and condition first: the
		// repetitions below then work on far fewer rows than delivered.
		flags := ""
		for i := range conds {
			flags += ", c" + strconv.Itoa(i)
		}
		inner := `SELECT DISTINCT ` + date + ` AS day, category, ` + strings.Join(fields, ", ") + flags +
			`, area_key, nis, bassin FROM (SELECT ` + cols(fields...) + `, nis, area_key FROM ` + table +
			` WHERE ` + visible(table) + `) AS located_rows
			GLOBAL ANY LEFT JOIN (SELECT area_key, bassin FROM geo_areas WHERE version = @version) AS area_bassins USING area_key`
		if q.Kind == CellsDistinct {
			var aggs []string
			for i, m := range q.Measures {
				if m.Aggregate != catalogue.Distinct {
					return "", nil, fmt.Errorf("aggregate %s in a distinct query", m.Aggregate)
				}
				aggs = append(aggs, "toFloat64(uniqExactIf("+m.Field+", c"+strconv.Itoa(i)+"))")
			}
			return `SELECT period_type, period, '' AS area, level, code, category, toFloat64(0) AS bucket, ` +
				strings.Join(aggs, ", ") + `
				FROM (SELECT ` + repeat + `, category, ` + strings.Join(fields, ", ") + flags + ` FROM (` + inner + `) AS d) AS x
				WHERE code != ''
				GROUP BY period_type, period, level, code, category`, args, nil
		}
		if len(q.Measures) != 1 || q.Measures[0].Aggregate != catalogue.New {
			return "", nil, fmt.Errorf("a query of new values has one measure, new")
		}
		m := q.Measures[0]
		args = append(args, clickhouse.Named("lookback", int64(-m.LookbackMonths)))
		// The history of every value, whatever the filters: a person met
		// for anything in the months before is not new.
		return `SELECT period_type, period, '' AS area, level, code, category, toFloat64(0) AS bucket,
				toFloat64(uniqExact(` + m.Field + `))
			FROM (
				SELECT ` + repeat + `, category, ` + m.Field + `, months
				FROM (SELECT day, category, ` + m.Field + `, area_key, nis, bassin FROM (` + inner + `) AS f WHERE c0) AS met
				GLOBAL ALL INNER JOIN (
					SELECT ` + m.Field + `, groupUniqArray(toStartOfMonth(` + date + `)) AS months
					FROM ` + table + ` WHERE ` + visible(table) + ` GROUP BY ` + m.Field + `
				) AS history USING ` + m.Field + `
			) AS x
			WHERE code != '' AND NOT arrayExists(m -> m >= addMonths(period, @lookback) AND m < period, months)
			GROUP BY period_type, period, level, code, category`, args, nil
	}
	return "", nil, fmt.Errorf("unknown kind of cell query %q", q.Kind)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
