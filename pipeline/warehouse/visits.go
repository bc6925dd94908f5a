package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/brusano/bassins/sources"
)

// Visit is one row of a visits query's answer: a value of the counted
// field met in a month (a stock: at a date) and area, with the values of
// the query's breakdowns ("unknown" for an empty one). Conds has bit i set when one of its rows met the
// filters of measure i. The same visit may come more than once (from
// several loads): it is one visit.
type Visit struct {
	Month      time.Time
	Area       string // "" when the rows could not be located
	Categories []string
	Value      string
	Conds      uint64
}

// maxVisitMeasures is the number of measures one visits query can carry:
// the bits of Visit.Conds.
const maxVisitMeasures = 64

// Visits runs a visits query (kind CellsDistinct) against the committed
// rows and calls each for every row of the answer; each may keep nothing
// of the Visit but its strings after it returns.
func (w *Warehouse) Visits(ctx context.Context, q CellQuery, each func(*Visit)) error {
	d, ok := sources.LookupDataset(q.Dataset)
	if !ok || d.Virtual {
		return fmt.Errorf("warehouse: visits: %q is not a stored dataset", q.Dataset)
	}
	pq, err := visitsQuery(d, q)
	if err != nil {
		return fmt.Errorf("warehouse: visits of %s: %w", q.Dataset, err)
	}
	var v Visit
	var month time.Time
	dest := []any{&month, &v.Area, &v.Value, &v.Conds}
	if len(q.Breakdowns) > 0 {
		dest = append(dest, &v.Categories)
	}
	err = w.runPartial(ctx, pq, func(rows driver.Rows) error {
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if len(v.Categories) != len(q.Breakdowns) {
				return fmt.Errorf("%d categories, want %d", len(v.Categories), len(q.Breakdowns))
			}
			for i, c := range v.Categories {
				if c == "" {
					v.Categories[i] = sources.Unknown
				}
			}
			v.Month = utcDate(month)
			each(&v)
		}
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("warehouse: visits of %s: %w", q.Dataset, err)
	}
	return nil
}

// visitsQuery writes a visits query: the rows grouped by month, area,
// breakdown values and counted value, their conditions or-ed together.
func visitsQuery(d *sources.Dataset, q CellQuery) (partialQuery, error) {
	if len(q.Measures) == 0 || len(q.Measures) > maxVisitMeasures {
		return partialQuery{}, fmt.Errorf("%d measures: one to %d", len(q.Measures), maxVisitMeasures)
	}
	conds, args, err := measureConditions(d, q.Measures)
	if err != nil {
		return partialQuery{}, err
	}
	value := "toString(" + q.Field + ")"
	if q.Field == RowIdentity {
		value = "toString(tuple(load_id, line))"
	} else if _, ok := d.Field(q.Field); !ok {
		return partialQuery{}, fmt.Errorf("no field %q", q.Field)
	}
	categories := "emptyArrayString()"
	if len(q.Breakdowns) > 0 {
		var exprs []string
		lists := 0
		for _, b := range q.Breakdowns {
			expr, err := categoryExpr(d, b)
			if err != nil {
				return partialQuery{}, err
			}
			if f, _ := d.Field(b); f.Type == sources.List {
				lists++
			}
			exprs = append(exprs, expr)
		}
		if lists > 1 {
			return partialQuery{}, fmt.Errorf("breakdowns %s: at most one list field", strings.Join(q.Breakdowns, ", "))
		}
		categories = "[" + strings.Join(exprs, ", ") + "]"
	}
	bits := make([]string, len(conds))
	for i, c := range conds {
		bits[i] = "toUInt64(" + c + ") * " + strconv.FormatUint(1<<uint(i), 10)
	}
	month := "toStartOfMonth(" + d.DateField + ")"
	if d.Stock {
		month = d.DateField
	}
	// Without breakdowns, the (empty) categories are not read.
	out := "month, area_key, value, conds"
	if len(q.Breakdowns) > 0 {
		out += ", categories"
	}
	body := func(cond string, perLoad bool) string {
		load, cols := "", out
		if perLoad {
			load, cols = "load_id, ", "load_id, month, area_key, categories, value, conds"
		}
		return `SELECT ` + cols + ` FROM (SELECT ` + load + `month, area_key, categories, value, groupBitOr(row_conds) AS conds
			FROM (SELECT load_id, ` + month + ` AS month, area_key, ` + categories + ` AS categories, ` + value + ` AS value,
				` + strings.Join(bits, " + ") + ` AS row_conds
				FROM ` + d.Table + ` WHERE ` + cond + `) AS r
			GROUP BY ` + load + `month, area_key, categories, value) AS v`
	}
	read := func(cond string) string {
		return `SELECT ` + out + ` FROM visit_partials WHERE ` + cond
	}
	return partialQuery{dataset: d, target: "visit_partials",
		columns: []string{"month", "area_key", "categories", "value", "conds"}, body: body, args: args, read: read}, nil
}
