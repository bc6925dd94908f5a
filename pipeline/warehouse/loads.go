package warehouse

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// committed keeps the rows of loads whose latest status is "loaded": a load
// is whole or absent, and a load superseded by a corrected delivery of the
// same file no longer counts. The loads table is append-only; a load's status
// is its latest row.
const committed = `load_id IN (SELECT load_id FROM loads GROUP BY load_id HAVING argMax(status, recorded_ns) = 'loaded')`

// Load statuses.
const (
	StatusLoaded     = "loaded"
	StatusRejected   = "rejected"
	StatusSuperseded = "superseded"
)

var identifierPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// InsertRows appends rows to a canonical table in one block. Table and column
// names come from the registered datasets, never from a file.
func (w *Warehouse) InsertRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	if !identifierPattern.MatchString(table) {
		return fmt.Errorf("warehouse: invalid table name %q", table)
	}
	for _, c := range columns {
		if !identifierPattern.MatchString(c) {
			return fmt.Errorf("warehouse: invalid column name %q", c)
		}
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

// DiscardLoad deletes the rows a failed load left behind. They are already
// invisible (no committed load names them); this frees the space.
func (w *Warehouse) DiscardLoad(ctx context.Context, table, loadID string) error {
	if !identifierPattern.MatchString(table) {
		return fmt.Errorf("warehouse: invalid table name %q", table)
	}
	if err := w.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE load_id = ?", loadID); err != nil {
		return fmt.Errorf("warehouse: discard load %s: %w", loadID, err)
	}
	return nil
}

// FileStatus returns the status of the latest load of a file's content by a
// source: "loaded", "rejected", or "" when never seen.
func (w *Warehouse) FileStatus(ctx context.Context, source, sha256 string) (string, error) {
	var status string
	err := w.conn.QueryRow(ctx, `SELECT argMax(status, recorded_ns) FROM loads WHERE source = ? AND sha256 = ?`,
		source, sha256).Scan(&status)
	if err != nil {
		return "", fmt.Errorf("warehouse: file status: %w", err)
	}
	return status, nil
}

// RecordLoad records what became of a file. A "loaded" record is what makes
// the load's rows count; the loads it supersedes stop counting in the same
// insert (one block: both or neither).
func (w *Warehouse) RecordLoad(ctx context.Context, l Load, supersedes ...Load) error {
	now := uint64(time.Now().UnixNano())
	record := func(l Load) []any {
		p := l.Problem
		return []any{l.LoadID, l.Source, l.Dataset, l.File, l.SHA256, l.Rows, l.LoadedAt, l.Status, l.Message,
			uint32(p.Line), p.Field, p.Column, p.Code, p.Value, p.Detail, now}
	}
	rows := [][]any{record(l)}
	for _, old := range supersedes {
		old.LoadedAt, old.Status, old.Message, old.Problem = l.LoadedAt, StatusSuperseded, "replaced by load "+l.LoadID, Problem{}
		rows = append(rows, record(old))
	}
	err := w.InsertRows(ctx, "loads", []string{"load_id", "source", "dataset", "file", "sha256", "rows", "loaded_at",
		"status", "message", "problem_line", "problem_field", "problem_column", "problem_code", "problem_value",
		"problem_detail", "recorded_ns"}, rows)
	if err != nil {
		return fmt.Errorf("warehouse: record load %s: %w", l.LoadID, err)
	}
	return nil
}

// CurrentLoads returns the loads of a source's file (its path in the inbox)
// whose rows count now: what a corrected delivery of that file supersedes.
func (w *Warehouse) CurrentLoads(ctx context.Context, source, file string) ([]Load, error) {
	rows, err := w.conn.Query(ctx, `SELECT load_id, any(dataset), any(sha256), any(rows)
		FROM loads WHERE source = ? AND file = ?
		GROUP BY load_id HAVING argMax(status, recorded_ns) = 'loaded'`, source, file)
	if err != nil {
		return nil, fmt.Errorf("warehouse: current loads of %s: %w", file, err)
	}
	defer rows.Close()
	var out []Load
	for rows.Next() {
		l := Load{Source: source, File: file, Status: StatusLoaded}
		if err := rows.Scan(&l.LoadID, &l.Dataset, &l.SHA256, &l.Rows); err != nil {
			return nil, fmt.Errorf("warehouse: current loads of %s: %w", file, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// RecentLoads returns the latest load records, newest first.
func (w *Warehouse) RecentLoads(ctx context.Context, limit int) ([]Load, error) {
	rows, err := w.conn.Query(ctx, `SELECT load_id, source, dataset, file, sha256, rows, loaded_at, status, message,
			problem_line, problem_field, problem_column, problem_code, problem_value, problem_detail
		FROM loads ORDER BY recorded_ns DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("warehouse: recent loads: %w", err)
	}
	defer rows.Close()
	var out []Load
	for rows.Next() {
		var l Load
		var line uint32
		p := &l.Problem
		if err := rows.Scan(&l.LoadID, &l.Source, &l.Dataset, &l.File, &l.SHA256, &l.Rows, &l.LoadedAt, &l.Status, &l.Message,
			&line, &p.Field, &p.Column, &p.Code, &p.Value, &p.Detail); err != nil {
			return nil, fmt.Errorf("warehouse: recent loads: %w", err)
		}
		p.Line = int(line)
		out = append(out, l)
	}
	return out, rows.Err()
}

// CountRows returns the committed rows of a canonical table.
func (w *Warehouse) CountRows(ctx context.Context, table string) (uint64, error) {
	if !identifierPattern.MatchString(table) {
		return 0, fmt.Errorf("warehouse: invalid table name %q", table)
	}
	var n uint64
	if err := w.conn.QueryRow(ctx, "SELECT count() FROM "+table+" WHERE "+committed).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: count %s: %w", table, err)
	}
	return n, nil
}

// RecordRun records a job run; a run is recorded when it starts and again
// when it ends, the later revision winning.
func (w *Warehouse) RecordRun(ctx context.Context, r JobRun) error {
	revision := uint8(1)
	if !r.FinishedAt.IsZero() {
		revision = 2
	}
	err := w.InsertRows(ctx, "job_runs", []string{"run_id", "job", "started_at", "finished_at", "status", "rows", "message", "revision"},
		[][]any{{r.RunID, r.Job, r.StartedAt, orEpoch(r.FinishedAt), r.Status, r.Rows, r.Message, revision}})
	if err != nil {
		return fmt.Errorf("warehouse: record run %s: %w", r.RunID, err)
	}
	return nil
}

// RecentRuns returns the latest job runs, newest first.
func (w *Warehouse) RecentRuns(ctx context.Context, limit int) ([]JobRun, error) {
	rows, err := w.conn.Query(ctx, `SELECT run_id, any(job), min(started_at) AS started,
			argMax(finished_at, revision), argMax(status, revision), argMax(rows, revision), argMax(message, revision)
		FROM job_runs GROUP BY run_id ORDER BY started DESC, run_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("warehouse: recent runs: %w", err)
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var r JobRun
		if err := rows.Scan(&r.RunID, &r.Job, &r.StartedAt, &r.FinishedAt, &r.Status, &r.Rows, &r.Message); err != nil {
			return nil, fmt.Errorf("warehouse: recent runs: %w", err)
		}
		if r.FinishedAt.Unix() <= 0 {
			r.FinishedAt = time.Time{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0)
	}
	return t
}

// Query ids carry the run id so that a run can be traced in system.query_log.
func withRun(ctx context.Context, runID, step string) context.Context {
	if runID == "" {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithQueryID(runID+"-"+step+"-"+fmt.Sprint(time.Now().UnixNano())))
}

// Delivery is what one source delivered for one month: the file lines whose
// rows count (committed loads only).
type Delivery struct {
	Source  string
	Dataset string
	Period  time.Time
	Lines   uint64
}

// monthlyTables are the tables of events dated within a month, with their
// date column; inventories (services) describe a date and are left out.
var monthlyTables = []struct{ dataset, table, date string }{
	{"contacts", "contacts", "contact_date"},
	{"federation_activity", "federation_activity", "period"},
	{"treatment_demands", "treatment_demands", "demand_date"},
}

// Deliveries returns, for every source of monthly events, the lines loaded
// per month: what the completeness table is made of.
func (w *Warehouse) Deliveries(ctx context.Context) ([]Delivery, error) {
	var out []Delivery
	for _, t := range monthlyTables {
		rows, err := w.conn.Query(ctx, `SELECT source, toStartOfMonth(`+t.date+`) AS month, uniqExact(load_id, line)
			FROM `+t.table+` WHERE `+committed+` GROUP BY source, month ORDER BY source, month`)
		if err != nil {
			return nil, fmt.Errorf("warehouse: deliveries of %s: %w", t.table, err)
		}
		for rows.Next() {
			d := Delivery{Dataset: t.dataset}
			if err := rows.Scan(&d.Source, &d.Period, &d.Lines); err != nil {
				rows.Close()
				return nil, fmt.Errorf("warehouse: deliveries of %s: %w", t.table, err)
			}
			d.Period = utcDate(d.Period)
			out = append(out, d)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("warehouse: deliveries of %s: %w", t.table, err)
		}
	}
	return out, nil
}
