package warehouse

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/brusano/bassins/sources"
)

// Partials are each load's aggregates for one cell query, kept in
// cell_partials and visit_partials: a computation merges those of the live
// loads instead of reading every row of a dataset again, and builds only
// those of loads it meets for the first time (after a delivery, one load's
// rows; after a change of the catalogue, every row once).
//
// A load's partial depends on its rows alone: its rows never change once it
// is loaded, and the rows set aside within it (excluded_rows) are known by
// then. What depends on other loads is applied when the partials are read:
// whether the load is still live, and the months a later delivery replaces
// (load_masks). Rows with a record id are the exception: a later delivery of
// the same record replaces them, so they are never kept in partials and are
// read from the canonical table, as they stand, at each computation.

// partialChunk bounds the loads one build statement reads: the memory of
// its grouping stays that of a few dozen deliveries.
const partialChunk = 48

// spec identifies a partial by the statement that builds it, with its
// arguments: another statement (a catalogue changed) is another spec.
func spec(sql string, args []any) uint64 {
	h := fnv.New64a()
	fmt.Fprint(h, sql)
	for _, a := range args {
		fmt.Fprintf(h, "\x00%#v", a)
	}
	return h.Sum64()
}

// newBuild returns a random build id: two computations building the same
// partial at once write two builds, of which one is read.
func newBuild() (uint64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// partialRows is the condition on a canonical table's rows that a partial
// of the loads bound as @loads holds: the rows without a record id, but
// those set aside after the insert. The dates bound as @from and @to
// (excluded) hold every row of the loads: the server reads only the months
// (partitions) they cover.
func partialRows(d *sources.Dataset) string {
	return `has(@loads, load_id) AND record_key = '' AND ` + d.DateField + ` >= toDate(@from) AND ` + d.DateField + ` < toDate(@to)
		AND (load_id, line) GLOBAL NOT IN (SELECT load_id, line FROM excluded_rows WHERE has(@loads, load_id))`
}

// keyedRows is the condition on a canonical table's rows that partials
// never hold: rows with a record id, as they count now.
func keyedRows(table string) string {
	return `record_key != '' AND ` + visible(table)
}

// partialRead is the condition on a partial table's rows that count: those
// of the build read for each live load of the spec (bound as @spec), but the
// months a live delivery replaces.
const partialRead = `spec = @spec
	AND (load_id, build) GLOBAL IN (SELECT load_id, min(build) FROM partial_builds WHERE spec = @spec GROUP BY load_id)
	AND load_id GLOBAL IN (` + liveLoads + `)
	AND (load_id, toStartOfMonth(month)) GLOBAL NOT IN (
		SELECT load_id, month FROM load_masks WHERE by_load GLOBAL IN (` + liveLoads + `))`

// buildPartials builds, for the live loads of a dataset that have no
// partial of the spec yet, their partials: insert runs the build statement
// with the loads bound as @loads (its own arguments in args), then the
// loads are recorded as built, together.
func (w *Warehouse) buildPartials(ctx context.Context, d *sources.Dataset, id uint64, insert string, args []any) error {
	missing, err := column[uint64](ctx, w, `SELECT load_id FROM loads WHERE dataset = @dataset GROUP BY load_id
		HAVING argMax(status, recorded_ns) = '`+StatusLoaded+`'
			AND load_id GLOBAL NOT IN (SELECT load_id FROM partial_builds WHERE spec = @spec)
		ORDER BY load_id`, clickhouse.Named("dataset", d.Name), clickhouse.Named("spec", id))
	if err != nil {
		return fmt.Errorf("warehouse: loads without partials of %s: %w", d.Name, err)
	}
	for start := 0; start < len(missing); start += partialChunk {
		loads := missing[start:min(start+partialChunk, len(missing))]
		build, err := newBuild()
		if err != nil {
			return fmt.Errorf("warehouse: partials of %s: %w", d.Name, err)
		}
		from, to, err := w.loadDates(ctx, loads)
		if err != nil {
			return fmt.Errorf("warehouse: partials of %s: %w", d.Name, err)
		}
		bound := append(append([]any{}, args...), clickhouse.Named("spec", id), clickhouse.Named("build", build),
			clickhouse.Named("loads", loads), clickhouse.Named("from", from.Format(time.DateOnly)), clickhouse.Named("to", to.Format(time.DateOnly)))
		if err := w.conn.Exec(ctx, insert, bound...); err != nil {
			return fmt.Errorf("warehouse: partials of %s: %w", d.Name, err)
		}
		keyed, err := w.keyedCounts(ctx, d, loads)
		if err != nil {
			return fmt.Errorf("warehouse: partials of %s: %w", d.Name, err)
		}
		now := time.Now().UTC().Truncate(time.Second)
		rows := make([][]any, len(loads))
		for i, l := range loads {
			rows[i] = []any{id, l, build, keyed[l], now}
		}
		if err := w.InsertRows(ctx, "partial_builds", []string{"spec", "load_id", "build", "keyed", "built_at"}, rows); err != nil {
			return fmt.Errorf("warehouse: partials of %s: %w", d.Name, err)
		}
	}
	return nil
}

// loadDates returns dates holding every row of the loads: from the first
// day of their first month to the first day after their last month, as
// their records list them; the widest range when one lists none.
func (w *Warehouse) loadDates(ctx context.Context, loads []uint64) (from, to time.Time, err error) {
	from, to = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC)
	rows, err := w.conn.Query(ctx, `SELECT load_id, argMax(months, recorded_ns) FROM loads
		WHERE has(@loads, load_id) GROUP BY load_id`, clickhouse.Named("loads", loads))
	if err != nil {
		return from, to, err
	}
	defer rows.Close()
	var first, last time.Time
	n := 0
	for rows.Next() {
		var id uint64
		var months []time.Time
		if err := rows.Scan(&id, &months); err != nil {
			return from, to, err
		}
		if len(months) == 0 {
			return from, to, rows.Err()
		}
		for _, m := range months {
			m = utcDate(m)
			if first.IsZero() || m.Before(first) {
				first = m
			}
			if m.After(last) {
				last = m
			}
		}
		n++
	}
	if err := rows.Err(); err != nil || n != len(loads) {
		return from, to, err
	}
	return first, time.Date(last.Year(), last.Month()+1, 1, 0, 0, 0, 0, time.UTC), nil
}

// keyedCounts returns the rows with a record id of each load: as recorded
// with another partial of the load, or counted.
func (w *Warehouse) keyedCounts(ctx context.Context, d *sources.Dataset, loads []uint64) (map[uint64]uint64, error) {
	keyed := map[uint64]uint64{}
	scan := func(query string) error {
		rows, err := w.conn.Query(ctx, query, clickhouse.Named("loads", loads))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l, n uint64
			if err := rows.Scan(&l, &n); err != nil {
				return err
			}
			keyed[l] = n
		}
		return rows.Err()
	}
	if err := scan(`SELECT load_id, any(keyed) FROM partial_builds WHERE has(@loads, load_id) GROUP BY load_id`); err != nil {
		return nil, err
	}
	var unknown []uint64
	for _, l := range loads {
		if _, ok := keyed[l]; !ok {
			unknown = append(unknown, l)
		}
	}
	if len(unknown) == 0 {
		return keyed, nil
	}
	loads = unknown
	if err := scan(`SELECT load_id, count() FROM ` + d.Table + `
		WHERE has(@loads, load_id) AND record_key != '' GROUP BY load_id`); err != nil {
		return nil, err
	}
	return keyed, nil
}

// hasKeyedRows reports whether a live load of the spec has rows with a
// record id, which its partials leave to the canonical table.
func (w *Warehouse) hasKeyedRows(ctx context.Context, id uint64) (bool, error) {
	var n uint64
	err := w.conn.QueryRow(ctx, `SELECT count() FROM partial_builds
		WHERE spec = @spec AND keyed > 0 AND load_id GLOBAL IN (`+liveLoads+`)`, clickhouse.Named("spec", id)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("warehouse: rows with a record id: %w", err)
	}
	return n > 0, nil
}

// partialQuery is a cell query answered from partials: body writes the
// statement of its rows for a condition on the canonical table's rows,
// grouped by load (perLoad, load_id its first column) or not.
type partialQuery struct {
	dataset *sources.Dataset
	// target is the partial table: cell_partials or visit_partials.
	target string
	// columns are those of the target after spec, build and load_id,
	// which body writes in order.
	columns []string
	body    func(cond string, perLoad bool) string
	args    []any
	// read writes the statement reading the partials, given partialRead.
	read func(cond string) string
}

// build returns the statement building the query's partials, and their
// spec.
func (q partialQuery) build() (string, uint64) {
	cols := strings.Join(q.columns, ", ")
	insert := `INSERT INTO ` + q.target + ` (spec, build, load_id, ` + cols + `)
		SELECT toUInt64(@spec), toUInt64(@build), load_id, ` + cols + ` FROM (` + q.body(partialRows(q.dataset), true) + `) AS p`
	return insert, spec(insert, q.args)
}

// PartialSpecs returns the specs of the partials the cell and visits
// queries, and the data months of their datasets, are answered from.
func PartialSpecs(queries []CellQuery) ([]uint64, error) {
	var out []uint64
	datasets := map[string]bool{}
	for _, q := range queries {
		d, ok := sources.LookupDataset(q.Dataset)
		if !ok || d.Virtual {
			return nil, fmt.Errorf("warehouse: %q is not a stored dataset", q.Dataset)
		}
		var pq partialQuery
		var err error
		if q.Kind == CellsDistinct {
			pq, err = visitsQuery(d, q)
		} else {
			pq, err = cellQuery(d, q)
		}
		if err != nil {
			return nil, fmt.Errorf("warehouse: partials of %s: %w", q.Dataset, err)
		}
		_, id := pq.build()
		out = append(out, id)
		if !datasets[d.Name] {
			datasets[d.Name] = true
			_, id := monthsQuery(d).build()
			out = append(out, id)
		}
	}
	return out, nil
}

// DeletePartialsExcept deletes the partials of every spec but those kept:
// those of queries a catalogue no longer asks. It returns the specs
// deleted. No computation with another catalogue may run meanwhile.
func (w *Warehouse) DeletePartialsExcept(ctx context.Context, keep []uint64) (int, error) {
	all, err := column[uint64](ctx, w, `SELECT DISTINCT spec FROM partial_builds ORDER BY spec`)
	if err != nil {
		return 0, fmt.Errorf("warehouse: partials: %w", err)
	}
	var stale []uint64
	for _, s := range all {
		if !slices.Contains(keep, s) {
			stale = append(stale, s)
		}
	}
	// Their builds first: partials without a recorded build are never read.
	for _, table := range []string{"partial_builds", "cell_partials", "visit_partials"} {
		if err := deleteIn(ctx, w, table, "spec", stale); err != nil {
			return 0, err
		}
	}
	return len(stale), nil
}

// runPartial builds the partials missing, then answers from them and from
// the rows with a record id: scan receives the rows of both answers, whose
// columns are those of read. With ReadRows, it answers from the rows alone.
func (w *Warehouse) runPartial(ctx context.Context, q partialQuery, scan func(driver.Rows) error) error {
	query := func(sql string, args ...any) error {
		rows, err := w.conn.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scan(rows)
	}
	if w.opts.ReadRows {
		return query(q.body(visible(q.dataset.Table), false), q.args...)
	}
	insert, id := q.build()
	if err := w.buildPartials(ctx, q.dataset, id, insert, q.args); err != nil {
		return err
	}
	if err := query(q.read(partialRead), clickhouse.Named("spec", id)); err != nil {
		return err
	}
	keyed, err := w.hasKeyedRows(ctx, id)
	if err != nil || !keyed {
		return err
	}
	return query(q.body(keyedRows(q.dataset.Table), false), q.args...)
}
