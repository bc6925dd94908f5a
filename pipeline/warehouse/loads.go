package warehouse

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/brusano/bassins/sources"
)

// Load statuses. A load's status is its latest row in the loads table.
const (
	StatusLoaded    = "loaded"
	StatusRejected  = "rejected"
	StatusRetracted = "retracted"
)

// liveLoads selects the loads whose rows count: latest status 'loaded'.
const liveLoads = `SELECT load_id FROM loads GROUP BY load_id HAVING argMax(status, recorded_ns) = 'loaded'`

// datedTables gives each canonical table's date column: its rows are
// replaced month by month.
var datedTables = map[string]string{
	"contacts":            "contact_date",
	"federation_activity": "period",
	"services":            "reference_date",
	"treatment_demands":   "demand_date",
}

// visible is the condition a row of a canonical table must meet to count:
//   - its load is loaded (a load is whole or absent: rows sent before the
//     load is recorded never count);
//   - its month is not replaced by a later loaded delivery;
//   - its line was not set aside after the insert;
//   - of the rows sharing a record key (a source's record id), only the one
//     of the latest load counts, once.
func visible(table string) string {
	base := baseVisible(table)
	return base + ` AND (record_key = '' OR (record_key, load_id, line) GLOBAL IN (
		SELECT record_key, max(load_id), argMax(line, load_id) FROM ` + table + `
		WHERE record_key != '' AND ` + base + ` GROUP BY record_key))`
}

func baseVisible(table string) string {
	return `load_id GLOBAL IN (` + liveLoads + `)
		AND (load_id, toStartOfMonth(` + datedTables[table] + `)) GLOBAL NOT IN (
			SELECT load_id, month FROM load_masks WHERE by_load GLOBAL IN (` + liveLoads + `))
		AND (load_id, line) GLOBAL NOT IN (SELECT load_id, line FROM excluded_rows)`
}

var identifierPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func checkIdentifiers(table string, columns []string) error {
	if !identifierPattern.MatchString(table) {
		return fmt.Errorf("warehouse: invalid table name %q", table)
	}
	for _, c := range columns {
		if !identifierPattern.MatchString(c) {
			return fmt.Errorf("warehouse: invalid column name %q", c)
		}
	}
	return nil
}

// InsertRows appends rows to a table in one block. Table and column names
// come from the program, never from a file.
func (w *Warehouse) InsertRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	if err := checkIdentifiers(table, columns); err != nil {
		return err
	}
	batch, err := w.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+strings.Join(columns, ", ")+")")
	if err != nil {
		return fmt.Errorf("warehouse: prepare insert into %s: %w", table, err)
	}
	defer batch.Close()
	for _, r := range rows {
		if err := batch.Append(r...); err != nil {
			return fmt.Errorf("warehouse: insert into %s: %w", table, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("warehouse: insert into %s: %w", table, err)
	}
	return nil
}

// DiscardLoad deletes the rows a load left behind when it was not recorded
// as loaded. They never count; this frees the space.
func (w *Warehouse) DiscardLoad(ctx context.Context, table string, loadID uint64) error {
	if err := checkIdentifiers(table, nil); err != nil {
		return err
	}
	if err := w.deleteWhere(ctx, table, "load_id = ?", loadID); err != nil {
		return fmt.Errorf("warehouse: discard load %d: %w", loadID, err)
	}
	return nil
}

// ContentStatus returns the status of the latest load of a content (its
// SHA-256) by a source, "" when the source never delivered it.
func (w *Warehouse) ContentStatus(ctx context.Context, source, sha256 string) (string, error) {
	var status string
	err := w.conn.QueryRow(ctx, `SELECT argMax(status, recorded_ns) FROM loads WHERE source = ? AND sha256 = ?`,
		source, sha256).Scan(&status)
	if err != nil {
		return "", fmt.Errorf("warehouse: content status: %w", err)
	}
	return status, nil
}

// DeliveredContents returns the SHA-256 of the contents a source delivered
// before as a file of this name and modification time (to the second),
// whatever became of them.
func (w *Warehouse) DeliveredContents(ctx context.Context, source, file string, modified time.Time) ([]string, error) {
	rows, err := w.conn.Query(ctx, `SELECT DISTINCT sha256, delivered_at FROM loads WHERE source = ? AND file = ?`, source, file)
	if err != nil {
		return nil, fmt.Errorf("warehouse: deliveries of %s: %w", file, err)
	}
	defer rows.Close()
	var sums []string
	for rows.Next() {
		var sum string
		var t time.Time
		if err := rows.Scan(&sum, &t); err != nil {
			return nil, fmt.Errorf("warehouse: deliveries of %s: %w", file, err)
		}
		if t.Unix() == modified.Unix() {
			sums = append(sums, sum)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: deliveries of %s: %w", file, err)
	}
	return sums, nil
}

var loadColumns = []string{"load_id", "source", "dataset", "file", "sha256", "delivered_at", "loaded_at", "status",
	"replace_mode", "rows_read", "rows_loaded", "rows_stored", "rows_quarantined", "rows_duplicate", "months", "message", "recorded_ns"}

// RecordLoad records a load's status.
func (w *Warehouse) RecordLoad(ctx context.Context, l Load) error {
	months := l.Months
	if months == nil {
		months = []time.Time{}
	}
	err := w.InsertRows(ctx, "loads", loadColumns, [][]any{{l.LoadID, l.Source, l.Dataset, l.File, l.SHA256,
		l.DeliveredAt, l.LoadedAt, l.Status, l.Replace, l.RowsRead, l.RowsLoaded, l.RowsStored, l.RowsQuarantined,
		l.RowsDuplicate, months, l.Message, uint64(time.Now().UnixNano())}})
	if err != nil {
		return fmt.Errorf("warehouse: record load %d: %w", l.LoadID, err)
	}
	return nil
}

// CommitLoad makes a load count, with the months of earlier loads it
// replaces. The masks are written first: they take effect only once the load
// is recorded as loaded, in one insert, so the indicators never see both
// deliveries, nor neither.
func (w *Warehouse) CommitLoad(ctx context.Context, l Load, masks []Mask) error {
	if len(masks) > 0 {
		rows := make([][]any, 0, len(masks))
		for _, m := range masks {
			rows = append(rows, []any{m.LoadID, m.Month, m.By})
		}
		if err := w.InsertRows(ctx, "load_masks", []string{"load_id", "month", "by_load"}, rows); err != nil {
			return fmt.Errorf("warehouse: commit load %d: %w", l.LoadID, err)
		}
	}
	l.Status = StatusLoaded
	return w.RecordLoad(ctx, l)
}

// ErrNoLoad is returned when a load id names no load.
var ErrNoLoad = errors.New("warehouse: no such load")

// Retract withdraws a loaded delivery: its rows stop counting from the next
// computation, and the months it replaced count again. The reason is kept.
func (w *Warehouse) Retract(ctx context.Context, loadID uint64, reason string) (Load, error) {
	loads, err := w.Loads(ctx, LoadFilter{LoadID: loadID})
	if err != nil {
		return Load{}, err
	}
	if len(loads) == 0 {
		return Load{}, fmt.Errorf("%w %d", ErrNoLoad, loadID)
	}
	l := loads[0]
	if l.Status != StatusLoaded {
		return l, fmt.Errorf("warehouse: load %d is %s, not loaded: only a loaded delivery can be retracted", loadID, l.Status)
	}
	l.Status, l.Message = StatusRetracted, "retracted: "+reason
	if err := w.RecordLoad(ctx, l); err != nil {
		return l, err
	}
	return l, nil
}

// LoadFilter selects loads; zero fields select all.
type LoadFilter struct {
	Source string
	LoadID uint64
	// Status keeps the loads whose latest status is this one.
	Status string
	// Limit bounds the loads returned, the latest first; 0 means all.
	Limit int
}

// Loads returns the loads with their latest status, the latest first, and
// for loaded ones the months a later loaded delivery replaces.
func (w *Warehouse) Loads(ctx context.Context, f LoadFilter) ([]Load, error) {
	var c conditions
	c.add(f.Source != "", "source = ?", f.Source)
	c.add(f.LoadID != 0, "load_id = ?", f.LoadID)
	q := `SELECT load_id, any(source), any(dataset), any(file), any(sha256), any(delivered_at),
			argMax(loaded_at, recorded_ns), argMax(status, recorded_ns), argMax(replace_mode, recorded_ns),
			argMax(rows_read, recorded_ns), argMax(rows_loaded, recorded_ns), argMax(rows_stored, recorded_ns),
			argMax(rows_quarantined, recorded_ns), argMax(rows_duplicate, recorded_ns), argMax(months, recorded_ns),
			argMax(message, recorded_ns), max(recorded_ns) AS recorded
		FROM loads` + c.where() + " GROUP BY load_id"
	args := c.args
	if f.Status != "" {
		q += " HAVING argMax(status, recorded_ns) = ?"
		args = append(args, f.Status)
	}
	q += " ORDER BY load_id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := w.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: loads: %w", err)
	}
	defer rows.Close()
	var out []Load
	for rows.Next() {
		var l Load
		var recorded uint64
		if err := rows.Scan(&l.LoadID, &l.Source, &l.Dataset, &l.File, &l.SHA256, &l.DeliveredAt, &l.LoadedAt,
			&l.Status, &l.Replace, &l.RowsRead, &l.RowsLoaded, &l.RowsStored, &l.RowsQuarantined, &l.RowsDuplicate,
			&l.Months, &l.Message, &recorded); err != nil {
			return nil, fmt.Errorf("warehouse: loads: %w", err)
		}
		for i := range l.Months {
			l.Months[i] = utcDate(l.Months[i])
		}
		l.RecordedAt = time.Unix(0, int64(recorded))
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: loads: %w", err)
	}
	if err := w.fillReplaced(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fillReplaced sets the months of each loaded delivery that a later loaded
// delivery replaces.
func (w *Warehouse) fillReplaced(ctx context.Context, loads []Load) error {
	var ids []uint64
	for _, l := range loads {
		if l.Status == StatusLoaded {
			ids = append(ids, l.LoadID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := w.conn.Query(ctx, `SELECT load_id, groupUniqArray(month) FROM load_masks
		WHERE has(?, load_id) AND by_load GLOBAL IN (`+liveLoads+`) GROUP BY load_id`, ids)
	if err != nil {
		return fmt.Errorf("warehouse: replaced months: %w", err)
	}
	defer rows.Close()
	replaced := map[uint64][]time.Time{}
	for rows.Next() {
		var id uint64
		var months []time.Time
		if err := rows.Scan(&id, &months); err != nil {
			return fmt.Errorf("warehouse: replaced months: %w", err)
		}
		for i := range months {
			months[i] = utcDate(months[i])
		}
		sort.Slice(months, func(i, j int) bool { return months[i].Before(months[j]) })
		replaced[id] = months
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("warehouse: replaced months: %w", err)
	}
	for i := range loads {
		loads[i].ReplacedMonths = replaced[loads[i].LoadID]
	}
	return nil
}

// InsertQuarantine stores rows set aside.
func (w *Warehouse) InsertQuarantine(ctx context.Context, qs []QuarantinedRow) error {
	if len(qs) == 0 {
		return nil
	}
	now := time.Now()
	rows := make([][]any, 0, len(qs))
	for _, q := range qs {
		n := len(q.Reasons)
		codes, fields, columns, details, values := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		for i, r := range q.Reasons {
			codes[i], fields[i], columns[i], details[i], values[i] = r.Code, r.Field, r.Column, r.Detail, r.Value
		}
		rows = append(rows, []any{q.LoadID, q.Source, q.File, uint32(q.Line), q.Raw, codes, fields, columns, details, values, now})
	}
	err := w.InsertRows(ctx, "quarantine", []string{"load_id", "source", "file", "line", "raw", "reason_codes",
		"reason_fields", "reason_columns", "reason_details", "reason_values", "recorded_at"}, rows)
	if err != nil {
		return fmt.Errorf("warehouse: quarantine: %w", err)
	}
	return nil
}

// QuarantineFilter selects quarantined rows; zero fields select all.
type QuarantineFilter struct {
	Source string
	LoadID uint64
	// Limit bounds the rows returned, the latest loads first; 0 means all.
	Limit int
}

// Quarantine returns quarantined rows of recorded loads, the latest load
// first, then by line.
func (w *Warehouse) Quarantine(ctx context.Context, f QuarantineFilter) ([]QuarantinedRow, error) {
	c := conditions{conds: []string{"load_id GLOBAL IN (SELECT load_id FROM loads)"}}
	c.add(f.Source != "", "source = ?", f.Source)
	c.add(f.LoadID != 0, "load_id = ?", f.LoadID)
	q := `SELECT load_id, source, file, line, raw, reason_codes, reason_fields, reason_columns, reason_details,
			reason_values, recorded_at
		FROM quarantine` + c.where() + ` ORDER BY load_id DESC, line`
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := w.conn.Query(ctx, q, c.args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: quarantine: %w", err)
	}
	defer rows.Close()
	var out []QuarantinedRow
	for rows.Next() {
		var r QuarantinedRow
		var line uint32
		var codes, fields, columns, details, values []string
		if err := rows.Scan(&r.LoadID, &r.Source, &r.File, &line, &r.Raw, &codes, &fields, &columns, &details, &values,
			&r.RecordedAt); err != nil {
			return nil, fmt.Errorf("warehouse: quarantine: %w", err)
		}
		r.Line, r.Reasons = int(line), reasons(codes, fields, columns, details, values)
		out = append(out, r)
	}
	return out, rows.Err()
}

// reasons zips the parallel arrays a quarantined row is stored with; values
// may be nil (pages never read them).
func reasons(codes, fields, columns, details, values []string) []Reason {
	at := func(s []string, i int) string {
		if i < len(s) {
			return s[i]
		}
		return ""
	}
	out := make([]Reason, len(codes))
	for i, c := range codes {
		out[i] = Reason{Code: c, Field: at(fields, i), Column: at(columns, i), Detail: at(details, i), Value: at(values, i)}
	}
	return out
}

// conditions builds a WHERE clause from optional filters.
type conditions struct {
	conds []string
	args  []any
}

func (c *conditions) add(when bool, cond string, arg any) {
	if when {
		c.conds, c.args = append(c.conds, cond), append(c.args, arg)
	}
}

func (c *conditions) where() string {
	if len(c.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(c.conds, " AND ")
}

// RepeatedRecords are the record ids a load holds on several lines.
type RepeatedRecords struct {
	// Duplicates counts the lines dropped as exact repeats (every line of
	// an id holding the same content counts once).
	Duplicates uint64
	// Conflicting counts the lines whose id another line holds with other
	// content: they are set aside.
	Conflicting uint64
}

// repeatedKeys selects, for a load bound as @load, each repeated record key
// with its lines and whether they all hold the same content ({content} is
// the list of compared columns).
const repeatedKeys = `SELECT record_key, uniqExact(line) AS lines, uniqExact({content}) * lines = count() AS same
	FROM {table} WHERE load_id = @load AND record_key != '' GROUP BY record_key HAVING lines > 1`

// SetAsideRepeatedRecords counts a load's repeated record ids and sets aside,
// in the warehouse itself, every line of an id repeated with other content;
// memory stays bounded whatever the load holds. Content is compared on every
// stored column but the load id and line.
func (w *Warehouse) SetAsideRepeatedRecords(ctx context.Context, table string, loadID uint64) (RepeatedRecords, error) {
	var r RepeatedRecords
	q, err := w.repeatedKeys(ctx, table)
	if err != nil {
		return r, err
	}
	load := clickhouse.Named("load", loadID)
	err = w.conn.QueryRow(ctx, `SELECT toUInt64(sumIf(lines - 1, same = 1)), toUInt64(sumIf(lines, same = 0)) FROM (`+q+`) AS repeated`, load).
		Scan(&r.Duplicates, &r.Conflicting)
	if err != nil {
		return r, fmt.Errorf("warehouse: repeated records of load %d: %w", loadID, err)
	}
	if r.Conflicting == 0 {
		return r, nil
	}
	err = w.conn.Exec(ctx, `INSERT INTO excluded_rows (load_id, line)
		SELECT DISTINCT load_id, line FROM `+table+` WHERE load_id = @load AND record_key GLOBAL IN (
			SELECT record_key FROM (`+q+`) AS repeated WHERE same = 0)`, load)
	if err != nil {
		return r, fmt.Errorf("warehouse: set aside repeated records of load %d: %w", loadID, err)
	}
	return r, nil
}

// ConflictingLines calls fn, in line order, for each line of a load set
// aside for holding a record id repeated with other content, with up to five
// other lines holding that id.
func (w *Warehouse) ConflictingLines(ctx context.Context, table string, loadID uint64, fn func(line int, others []int) error) error {
	q, err := w.repeatedKeys(ctx, table)
	if err != nil {
		return err
	}
	rows, err := w.conn.Query(ctx, `SELECT line, others FROM (
			SELECT DISTINCT line, record_key FROM `+table+` WHERE load_id = @load AND (load_id, line) GLOBAL IN (
				SELECT load_id, line FROM excluded_rows WHERE load_id = @load)
		) AS conflicting GLOBAL ANY LEFT JOIN (
			SELECT record_key, arraySlice(arraySort(groupUniqArray(line)), 1, 6) AS others FROM `+table+`
			WHERE load_id = @load AND record_key GLOBAL IN (SELECT record_key FROM (`+q+`) AS repeated WHERE same = 0)
			GROUP BY record_key
		) AS keys USING record_key ORDER BY line`, clickhouse.Named("load", loadID))
	if err != nil {
		return fmt.Errorf("warehouse: conflicting lines of load %d: %w", loadID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var line uint32
		var others []uint32
		if err := rows.Scan(&line, &others); err != nil {
			return fmt.Errorf("warehouse: conflicting lines of load %d: %w", loadID, err)
		}
		var list []int
		for _, o := range others {
			if o != line && len(list) < 5 {
				list = append(list, int(o))
			}
		}
		if err := fn(int(line), list); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (w *Warehouse) repeatedKeys(ctx context.Context, table string) (string, error) {
	content, err := w.contentColumns(ctx, table)
	if err != nil {
		return "", err
	}
	return strings.NewReplacer("{content}", content, "{table}", table).Replace(repeatedKeys), nil
}

// contentColumns lists a table's stored columns but load_id and line, for
// comparing rows; NULL is replaced so that aggregates do not skip the row.
func (w *Warehouse) contentColumns(ctx context.Context, table string) (string, error) {
	if err := checkIdentifiers(table, nil); err != nil {
		return "", err
	}
	rows, err := w.conn.Query(ctx, `SELECT name, type FROM system.columns
		WHERE database = currentDatabase() AND table = ?`, table)
	if err != nil {
		return "", fmt.Errorf("warehouse: columns of %s: %w", table, err)
	}
	defer rows.Close()
	var exprs []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return "", fmt.Errorf("warehouse: columns of %s: %w", table, err)
		}
		if name == "load_id" || name == "line" || !identifierPattern.MatchString(name) {
			continue
		}
		if strings.HasPrefix(typ, "Nullable(") {
			name = "toString(" + name + ")"
		}
		exprs = append(exprs, name)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("warehouse: columns of %s: %w", table, err)
	}
	if len(exprs) == 0 {
		return "", fmt.Errorf("warehouse: table %s has no columns", table)
	}
	return strings.Join(exprs, ", "), nil
}

// CountRows returns the rows of a canonical table that count.
func (w *Warehouse) CountRows(ctx context.Context, table string) (uint64, error) {
	if _, ok := datedTables[table]; !ok {
		return 0, fmt.Errorf("warehouse: %q is not a canonical table", table)
	}
	var n uint64
	if err := w.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE "+visible(table)).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: count %s: %w", table, err)
	}
	return n, nil
}

// Delivery is what one source delivered for one month: the file lines whose
// rows count.
type Delivery struct {
	Source  string
	Dataset string
	Period  time.Time
	Lines   uint64
}

// monthlyTables are the tables of events dated within a month; inventories
// (services) describe a date and are left out.
var monthlyTables = []struct{ dataset, table string }{
	{"contacts", "contacts"},
	{"federation_activity", "federation_activity"},
	{"treatment_demands", "treatment_demands"},
}

// Deliveries returns, for every source of monthly events, the lines that
// count per month: what the completeness table is made of.
func (w *Warehouse) Deliveries(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	for _, t := range monthlyTables {
		sums, err := w.monthLines(ctx, t.table)
		if err != nil {
			return nil, err
		}
		for k, n := range sums {
			out = append(out, Delivery{Source: k.source, Dataset: t.dataset, Period: k.month, Lines: n})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Period.Before(out[j].Period)
	})
	return out, nil
}

// Arrival is when a source's rows of one month first arrived: the loaded_at
// of the earliest load, among those that count (loaded, not rejected nor
// retracted), holding rows dated in that month.
type Arrival struct {
	Source  string
	Dataset string
	// Month is the first day of the month of the rows' date field.
	Month time.Time
	// FirstLoadedAt is when the earliest such load was loaded. A later
	// delivery replacing the month does not move it: the month had
	// arrived; retracting the earliest load does.
	FirstLoadedAt time.Time
	// Lines counts the file lines of the month that count today, as
	// Deliveries does; never 0.
	Lines uint64
}

// arrivalDatasets are the datasets whose months a source may owe: every
// stored one, the inventories included, by name.
func arrivalDatasets() []*sources.Dataset {
	var out []*sources.Dataset
	for _, d := range sources.Datasets() {
		if !d.Virtual {
			out = append(out, d)
		}
	}
	return out
}

// DeliveryArrivals returns, for every source and month its rows cover, when
// the first load holding rows of that month was loaded, sorted by source
// and month. Rows set aside after the insert do not count; rows of a
// month a later delivery replaced do (they arrived then). A month none of
// whose lines count today (a later delivery of the same file left it out)
// is left out: it is not received.
func (w *Warehouse) DeliveryArrivals(ctx context.Context) ([]Arrival, error) {
	var out []Arrival
	for _, d := range arrivalDatasets() {
		rows, err := w.conn.Query(ctx, `SELECT source, month, loaded_at FROM (
				SELECT load_id, toStartOfMonth(`+datedTables[d.Table]+`) AS month
				FROM `+d.Table+` WHERE load_id GLOBAL IN (`+liveLoads+`)
					AND (load_id, line) GLOBAL NOT IN (SELECT load_id, line FROM excluded_rows)
				GROUP BY load_id, month
			) AS r GLOBAL ANY LEFT JOIN (
				SELECT load_id, any(source) AS source, argMax(loaded_at, recorded_ns) AS loaded_at FROM loads GROUP BY load_id
			) AS l USING load_id`)
		if err != nil {
			return nil, fmt.Errorf("warehouse: arrivals of %s: %w", d.Table, err)
		}
		first := map[sourceMonth]time.Time{}
		for rows.Next() {
			var k sourceMonth
			var at time.Time
			if err := rows.Scan(&k.source, &k.month, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("warehouse: arrivals of %s: %w", d.Table, err)
			}
			k.month = utcDate(k.month)
			if f, seen := first[k]; !seen || at.Before(f) {
				first[k] = at
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("warehouse: arrivals of %s: %w", d.Table, err)
		}
		lines, err := w.monthLines(ctx, d.Table)
		if err != nil {
			return nil, err
		}
		for k, at := range first {
			if n := lines[k]; n > 0 {
				out = append(out, Arrival{Source: k.source, Dataset: d.Name, Month: k.month, FirstLoadedAt: at, Lines: n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Month.Before(out[j].Month)
	})
	return out, nil
}

type sourceMonth struct {
	source string
	month  time.Time
}

// monthLines returns the file lines of a table that count, per source and
// month.
func (w *Warehouse) monthLines(ctx context.Context, table string) (map[sourceMonth]uint64, error) {
	rows, err := w.conn.Query(ctx, `SELECT source, month, lines FROM (
			SELECT load_id, toStartOfMonth(`+datedTables[table]+`) AS month, uniqExact(line) AS lines
			FROM `+table+` WHERE `+visible(table)+` GROUP BY load_id, month
		) AS r GLOBAL ANY LEFT JOIN (
			SELECT load_id, any(source) AS source FROM loads GROUP BY load_id
		) AS l USING load_id`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: deliveries of %s: %w", table, err)
	}
	defer rows.Close()
	sums := map[sourceMonth]uint64{}
	for rows.Next() {
		var k sourceMonth
		var n uint64
		if err := rows.Scan(&k.source, &k.month, &n); err != nil {
			return nil, fmt.Errorf("warehouse: deliveries of %s: %w", table, err)
		}
		k.month = utcDate(k.month)
		sums[k] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: deliveries of %s: %w", table, err)
	}
	return sums, nil
}

// LatestDeliveredMonths returns, for every source, the first day of the
// latest month of which lines count today, inventories included: the
// latest month DeliveryArrivals lists (a row that counts today arrived in
// a load that counts). A source silent for too long is overdue.
func (w *Warehouse) LatestDeliveredMonths(ctx context.Context) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	for _, d := range arrivalDatasets() {
		lines, err := w.monthLines(ctx, d.Table)
		if err != nil {
			return nil, err
		}
		for k, n := range lines {
			if n > 0 && k.month.After(out[k.source]) {
				out[k.source] = k.month
			}
		}
	}
	return out, nil
}

// QuarantineSample returns up to perLoad quarantined rows of each listed
// load, by line.
func (w *Warehouse) QuarantineSample(ctx context.Context, loadIDs []uint64, perLoad int) (map[uint64][]QuarantinedRow, error) {
	out := map[uint64][]QuarantinedRow{}
	if len(loadIDs) == 0 {
		return out, nil
	}
	rows, err := w.conn.Query(ctx, `SELECT load_id, source, file, line, reason_codes, reason_fields, reason_columns, reason_details
		FROM quarantine WHERE has(?, load_id) ORDER BY load_id, line LIMIT ? BY load_id`, loadIDs, perLoad)
	if err != nil {
		return nil, fmt.Errorf("warehouse: quarantine sample: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r QuarantinedRow
		var line uint32
		var codes, fields, columns, details []string
		if err := rows.Scan(&r.LoadID, &r.Source, &r.File, &line, &codes, &fields, &columns, &details); err != nil {
			return nil, fmt.Errorf("warehouse: quarantine sample: %w", err)
		}
		r.Line, r.Reasons = int(line), reasons(codes, fields, columns, details, nil)
		out[r.LoadID] = append(out[r.LoadID], r)
	}
	return out, rows.Err()
}
