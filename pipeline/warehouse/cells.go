package warehouse

import (
	"context"
	"fmt"
	"slices"
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
	// CellsDistinct: distinct counts of one field by period type, period,
	// level, code, breakdown and category, each counted over its whole
	// period and geography; with aggregate New, the values met in the
	// period and in none of the LookbackMonths months before it.
	CellsDistinct = "distinct"
)

// CellMeasure is one aggregate of a cell query.
type CellMeasure struct {
	Aggregate      string // catalogue.Count, Sum, Distinct or New
	Field          string
	Filters        []catalogue.Filter
	LookbackMonths int
}

// CellQuery asks for the aggregates of one dataset, by one breakdown ("" for
// none), or by several at once:
//   - an additive or histogram query with Breakdowns groups by all of them
//     together (text and yes/no fields), each row giving their values in
//     CellRow.Categories: the engine adds them up for each breakdown;
//   - a distinct query counts one field (Field) for its total and for each
//     of Breakdowns, at the Region and bassins only (at most one of them a
//     list field); PeriodTypes lists its period types.
//
// A stock dataset (an inventory) is counted at each of its dates instead.
type CellQuery struct {
	Dataset     string
	Breakdown   string
	Breakdowns  []string
	Kind        string
	Field       string // histogram: the number field; distinct: the counted field
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
	Breakdown  string
	Category   string
	// Categories are the values of an additive or histogram query's
	// Breakdowns, "unknown" for an empty one.
	Categories []string
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
	joint := 0
	if q.Kind != CellsDistinct {
		joint = len(q.Breakdowns)
	}
	for rows.Next() {
		var r CellRow
		var period time.Time
		vals := make([]float64, n)
		cats := make([]string, joint)
		dest := []any{&r.PeriodType, &period, &r.Area, &r.Level, &r.Code, &r.Breakdown, &r.Category, &r.Bucket}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		for i := range cats {
			dest = append(dest, &cats[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("warehouse: cells of %s: %w", q.Dataset, err)
		}
		r.Period, r.Values = utcDate(period), vals
		if r.Category == "" {
			r.Category = "unknown"
		}
		for i, c := range cats {
			if c == "" {
				cats[i] = "unknown"
			}
		}
		r.Categories = cats
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
	// Joint breakdowns of an additive or histogram query: grouped on
	// together, returned after the aggregates.
	var jointCols []string
	jointExprs := ""
	if q.Kind != CellsDistinct {
		for i, b := range q.Breakdowns {
			f, ok := d.Field(b)
			if !ok || f.Type == sources.List {
				return "", nil, fmt.Errorf("breakdown %q: not a text or yes/no field", b)
			}
			expr := b
			if f.Type == sources.Bool {
				expr = "toString(" + b + ")"
			}
			col := "j" + strconv.Itoa(i)
			jointCols = append(jointCols, col)
			jointExprs += ", " + expr + " AS " + col
		}
	}
	cols := func(extra ...string) string {
		out := []string{date, category + " AS category" + jointExprs}
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
			if m.Field != "" && !slices.Contains(fields, m.Field) {
				fields = append(fields, m.Field)
			}
		}
		period := periodExpr(catalogue.Month, date)
		if d.Stock {
			period = date
		}
		return `SELECT 'month' AS period_type, ` + period + ` AS period, area_key, '' AS level, '' AS code, '' AS breakdown, category,
				toFloat64(0) AS bucket, ` + strings.Join(aggs, ", ") + prefixAll(", ", jointCols) + `
			FROM (SELECT ` + cols(fields...) + `, area_key FROM ` + table + ` WHERE ` + visible(table) + `) AS r
			WHERE area_key != ''
			GROUP BY period, area_key, category` + prefixAll(", ", jointCols), args, nil
	case CellsHistogram:
		if len(q.Measures) != 1 {
			return "", nil, fmt.Errorf("a histogram has one measure")
		}
		return `SELECT 'month' AS period_type, toStartOfMonth(` + date + `) AS period, area_key, '' AS level, '' AS code,
				'' AS breakdown, category, toFloat64(assumeNotNull(` + q.Field + `)) AS bucket, toFloat64(countIf(c0))` +
			prefixAll(", ", jointCols) + `
			FROM (SELECT ` + cols(q.Field) + `, area_key FROM ` + table + ` WHERE ` + visible(table) + `) AS r
			WHERE area_key != '' AND isNotNull(` + q.Field + `)
			GROUP BY period, area_key, category, bucket` + prefixAll(", ", jointCols), args, nil
	case CellsDistinct:
		return distinctSQL(d, q, conds, args)
	}
	return "", nil, fmt.Errorf("unknown kind of cell query %q", q.Kind)
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

// distinctSQL counts the distinct values of a field (and, for measures of
// aggregate New, those not met in the months before the period) for the
// total and each breakdown, every period type and every geography level, in
// one reading of the table:
//
//   - the rows are gathered, per month, area and breakdown values, into sets
//     of counted values (uniqExact states), one per measure: a few thousand
//     sets, whatever the number of rows;
//   - for New, each value's months come from its whole history, whatever
//     the filters; from the sorted months, the months, quarters and years in
//     which it is new (no month in the look-back window before their start)
//     are listed once per value, and each of its visits is flagged from
//     them;
//   - the sets are then merged (an exact union) for every period type,
//     breakdown and level; each set is repeated by index, with multiIf
//     picking the period, category and code (arrays of strings built row by
//     row are slow).
//
// ClickHouse 18.16 has one JOIN per SELECT and no multiple ARRAY JOIN
// clauses: the bassin is joined on the sets, and the repetitions use
// arrayJoin.
func distinctSQL(d *sources.Dataset, q CellQuery, conds []string, args []any) (string, []any, error) {
	date, table := d.DateField, d.Table
	types := q.PeriodTypes
	month := "toStartOfMonth(" + date + ")"
	if d.Stock {
		types, month = []string{PeriodDate}, date
	}
	var lookbacks []int // the look-back windows of the New measures
	for _, m := range q.Measures {
		switch {
		case m.Aggregate == catalogue.New:
			if d.Stock {
				return "", nil, fmt.Errorf("aggregate new needs a dataset of events, not the stock %s", d.Name)
			}
			if !slices.Contains(lookbacks, m.LookbackMonths) {
				lookbacks = append(lookbacks, m.LookbackMonths)
			}
		case m.Aggregate != catalogue.Distinct:
			return "", nil, fmt.Errorf("aggregate %s in a distinct query", m.Aggregate)
		}
		if m.Field != q.Field {
			return "", nil, fmt.Errorf("a distinct query counts one field, %s, not %s", q.Field, m.Field)
		}
	}
	// The rows: month, place, counted value, breakdown values (a list
	// field spread, one row per value) and each measure's condition.
	rowCols := []string{month + " AS month", "area_key", "nis", q.Field + " AS v"}
	var bdCols, bdNames []string
	for i, b := range q.Breakdowns {
		f, ok := d.Field(b)
		if !ok {
			return "", nil, fmt.Errorf("no field %q", b)
		}
		expr := b
		switch f.Type {
		case sources.List:
			expr = "arrayJoin(if(empty(" + b + "), [''], " + b + "))"
		case sources.Bool:
			expr = "toString(" + b + ")"
		}
		col := "b" + strconv.Itoa(i)
		rowCols = append(rowCols, expr+" AS "+col)
		bdCols = append(bdCols, col)
		bdNames = append(bdNames, "'"+b+"'")
	}
	var condCols []string
	for i, c := range conds {
		col := "cond" + strconv.Itoa(i)
		rowCols = append(rowCols, "("+c+") AS "+col)
		condCols = append(condCols, col)
	}
	source := `SELECT ` + strings.Join(rowCols, ", ") + ` FROM ` + table + ` WHERE ` + visible(table)
	// newFlag[L][pt] names the flag of a visit: new in its period of type
	// pt for the look-back L.
	newFlag := func(lb, pt int) string { return "new" + strconv.Itoa(lb) + "_" + strconv.Itoa(pt) }
	ptNum := func(t, mn string) string {
		switch t {
		case catalogue.Quarter:
			return mn + " - ((" + mn + " - 1) % 3)"
		case catalogue.Year:
			return mn + " - ((" + mn + " - 1) % 12)"
		}
		return mn
	}
	if len(lookbacks) > 0 {
		visit := append([]string{"month", "area_key", "nis"}, append(slices.Clone(bdCols), condCols...)...)
		perValue := `SELECT v, groupUniqArray(tuple(` + strings.Join(visit, ", ") + `)) AS visits,
			arraySort(groupUniqArray(toRelativeMonthNum(month))) AS ms
			FROM (` + source + `) AS r GROUP BY v`
		// prev[i] is the month before ms[i]: a period is new when the month
		// before its first month falls before the look-back window.
		lists := []string{"v", "visits", "arrayPushFront(arrayPopBack(ms), -1000) AS prev"}
		var unpack []string
		for k, c := range visit {
			unpack = append(unpack, "tupleElement(visit, "+strconv.Itoa(k+1)+") AS "+c)
		}
		unpack = append(unpack, "v", "toRelativeMonthNum(month) AS mn")
		for _, lb := range lookbacks {
			for j, t := range types {
				list := "newlist" + strconv.Itoa(lb) + "_" + strconv.Itoa(j)
				lists = append(lists, "arrayFilter((s, p) -> p < s - "+strconv.Itoa(lb)+", arrayMap(m -> "+ptNum(t, "m")+", ms), prev) AS "+list)
				unpack = append(unpack, "has("+list+", "+ptNum(t, "mn")+") AS "+newFlag(lb, j))
			}
		}
		source = `SELECT ` + strings.Join(unpack, ", ") + ` FROM (SELECT ` + strings.Join(lists, ", ") + ` FROM (` + perValue + `) AS p) AS f
			ARRAY JOIN visits AS visit`
	}
	// The sets, per month, area and breakdown values.
	var states, carried []string
	for i, m := range q.Measures {
		if m.Aggregate == catalogue.Distinct {
			name := "s" + strconv.Itoa(i)
			states = append(states, "uniqExactIfState(v, cond"+strconv.Itoa(i)+") AS "+name)
			carried = append(carried, name)
			continue
		}
		for j := range types {
			name := "s" + strconv.Itoa(i) + "_" + strconv.Itoa(j)
			states = append(states, "uniqExactIfState(v, cond"+strconv.Itoa(i)+" AND "+newFlag(m.LookbackMonths, j)+") AS "+name)
			carried = append(carried, name)
		}
	}
	keys := "month, area_key" + prefixAll(", ", bdCols)
	sets := `SELECT ` + keys + `, any(nis) AS nis, ` + strings.Join(states, ", ") + ` FROM (` + source + `) AS visits
		GROUP BY ` + keys
	located := `SELECT ` + keys + `, nis, ` + strings.Join(carried, ", ") + `, bassin FROM (` + sets + `) AS g
		GLOBAL ANY LEFT JOIN (SELECT area_key, bassin FROM geo_areas WHERE version = @version) AS a USING area_key`
	var periodExprs, typeNames []string
	for _, t := range types {
		typeNames = append(typeNames, "'"+t+"'")
		periodExprs = append(periodExprs, periodExpr(t, "month"))
	}
	// Each set once per period type, breakdown (1: the total) and level;
	// breakdowns at the Region and the bassins only.
	repeat := `arrayJoin(` + indices(len(types)) + `) AS pti, ` + pick("pti", typeNames) + ` AS period_type,
		` + pick("pti", periodExprs) + ` AS period,
		arrayJoin(` + indices(len(bdCols)+1) + `) AS bdi, ` + pick("bdi", append([]string{"''"}, bdNames...)) + ` AS breakdown,
		` + pick("bdi", append([]string{"''"}, bdCols...)) + ` AS category,
		arrayJoin(if(bdi = 1, [1, 2, 3], [1, 2])) AS lvi,
		` + pick("lvi", []string{"'" + geography.LevelRegion + "'", "'" + geography.LevelBassin + "'", "'" + geography.LevelCommune + "'"}) + ` AS level,
		` + pick("lvi", []string{"if(area_key != '', '" + geography.RegionCode + "', '')", "bassin", "nis"}) + ` AS code`
	var aggs []string
	for i, m := range q.Measures {
		if m.Aggregate == catalogue.Distinct {
			aggs = append(aggs, "toFloat64(uniqExactIfMerge(s"+strconv.Itoa(i)+"))")
			continue
		}
		var byType []string
		for j := range types {
			byType = append(byType, "s"+strconv.Itoa(i)+"_"+strconv.Itoa(j))
		}
		aggs = append(aggs, "toFloat64(uniqExactIfMerge("+pick("pti", byType)+"))")
	}
	return `SELECT period_type, period, '' AS area, level, code, breakdown, category, toFloat64(0) AS bucket, ` +
		strings.Join(aggs, ", ") + `
		FROM (SELECT ` + repeat + `, ` + strings.Join(carried, ", ") + ` FROM (` + located + `) AS located_sets) AS x
		WHERE code != ''
		GROUP BY period_type, period, level, code, breakdown, category`, args, nil
}

// indices writes the array [1, 2, …, n].
func indices(n int) string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i + 1)
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// pick writes the expression choosing exprs[i-1] by the index i.
func pick(index string, exprs []string) string {
	if len(exprs) == 1 {
		return exprs[0]
	}
	var parts []string
	for i, e := range exprs[:len(exprs)-1] {
		parts = append(parts, index+" = "+strconv.Itoa(i+1), e)
	}
	return "multiIf(" + strings.Join(append(parts, exprs[len(exprs)-1]), ", ") + ")"
}

// prefixAll writes each item after prefix.
func prefixAll(prefix string, items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(prefix + it)
	}
	return b.String()
}
