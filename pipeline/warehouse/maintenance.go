package warehouse

import (
	"context"
	"fmt"
	"time"
)

// Maintenance deletes what no longer counts or is past its retention. Its
// deletions are mutations (ALTER TABLE … DELETE), which the server applies
// in the background: each method waits until they are done. The caller
// makes sure that no ingest runs meanwhile.

const (
	// mutationPoll is how often the end of a mutation is checked.
	mutationPoll = 20 * time.Millisecond
	// deleteChunk bounds the ids one statement names, keeping it well
	// within the server's max_query_size (256 KiB).
	deleteChunk = 1000
)

// settledLoads selects the loads whose rows may count: recorded, with a
// latest status other than rejected or retracted (final statuses).
const settledLoads = `SELECT load_id FROM loads GROUP BY load_id
	HAVING argMax(status, recorded_ns) NOT IN ('` + StatusRejected + `', '` + StatusRetracted + `')`

// orphanTables are the tables whose rows belong to a load: the canonical
// tables, then the lines set aside after the insert and the partials.
var orphanTables = []string{"contacts", "federation_activity", "services", "treatment_demands", "excluded_rows",
	"cell_partials", "visit_partials", "partial_builds"}

// DeleteOrphanRows deletes the rows that do not count and never will: those
// of loads rejected or retracted, and those of load ids never recorded (a
// load interrupted between its insert and its record), in every canonical
// table, in excluded_rows and in the partials. Quarantined rows and load records stay. It
// returns the rows deleted per table, every table listed.
func (w *Warehouse) DeleteOrphanRows(ctx context.Context) (map[string]uint64, error) {
	deleted := map[string]uint64{}
	for _, table := range orphanTables {
		rows, err := w.conn.Query(ctx, `SELECT load_id, count() FROM `+table+`
			WHERE load_id GLOBAL NOT IN (`+settledLoads+`) GROUP BY load_id ORDER BY load_id`)
		if err != nil {
			return deleted, fmt.Errorf("warehouse: orphan rows of %s: %w", table, err)
		}
		var ids []uint64
		var n uint64
		for rows.Next() {
			var id, count uint64
			if err := rows.Scan(&id, &count); err != nil {
				rows.Close()
				return deleted, fmt.Errorf("warehouse: orphan rows of %s: %w", table, err)
			}
			ids, n = append(ids, id), n+count
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return deleted, fmt.Errorf("warehouse: orphan rows of %s: %w", table, err)
		}
		if err := deleteIn(ctx, w, table, "load_id", ids); err != nil {
			return deleted, err
		}
		deleted[table] = n
		if n > 0 {
			w.log.Info("orphan rows deleted", "table", table, "rows", n, "loads", len(ids))
		}
	}
	return deleted, nil
}

// DeleteRunsBefore deletes the job runs that ended before t, but the latest
// run of each job and its latest successful run (JobHistory reads them). It
// returns the runs deleted.
func (w *Warehouse) DeleteRunsBefore(ctx context.Context, t time.Time) (uint64, error) {
	all := latestRuns("")
	ids, err := column[string](ctx, w, `SELECT run_id FROM (`+all+`) AS runs
		WHERE run_status != ? AND run_finished < toDateTime(?)
			AND run_id GLOBAL NOT IN (SELECT argMax(run_id, (run_started, run_id)) FROM (`+all+`) AS latest GROUP BY run_job)
			AND run_id GLOBAL NOT IN (SELECT argMaxIf(run_id, (run_finished, run_id), run_status = ?) FROM (`+all+`) AS succeeded
				GROUP BY run_job)
		ORDER BY run_id`, RunRunning, t.Unix(), RunOK)
	if err != nil {
		return 0, fmt.Errorf("warehouse: runs before %s: %w", t.Format(time.DateTime), err)
	}
	if err := deleteIn(ctx, w, "job_run_records", "run_id", ids); err != nil {
		return 0, err
	}
	return uint64(len(ids)), nil
}

// DeleteQuarantineBefore deletes the quarantined rows recorded before t and
// returns how many there were.
func (w *Warehouse) DeleteQuarantineBefore(ctx context.Context, t time.Time) (uint64, error) {
	var n uint64
	if err := w.conn.QueryRow(ctx, `SELECT count() FROM quarantine WHERE recorded_at < toDateTime(?)`, t.Unix()).Scan(&n); err != nil {
		return 0, fmt.Errorf("warehouse: quarantine before %s: %w", t.Format(time.DateTime), err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := w.deleteWhere(ctx, "quarantine", "recorded_at < toDateTime(?)", t.Unix()); err != nil {
		return 0, fmt.Errorf("warehouse: delete quarantine before %s: %w", t.Format(time.DateTime), err)
	}
	if err := w.waitMutations(ctx, "quarantine"); err != nil {
		return 0, err
	}
	return n, nil
}

// DeleteValuesBefore deletes the indicator values of the computing runs
// made before t, and the runs, always keeping the latest run. It returns the
// values deleted.
func (w *Warehouse) DeleteValuesBefore(ctx context.Context, t time.Time) (uint64, error) {
	latest, _, err := w.LatestRun(ctx)
	if err != nil {
		return 0, err
	}
	ids, err := column[string](ctx, w, `SELECT run_id FROM indicator_runs WHERE run_id != ?
		GROUP BY run_id HAVING max(computed_at) < toDateTime(?) ORDER BY run_id`, latest, t.Unix())
	if err != nil {
		return 0, fmt.Errorf("warehouse: computing runs before %s: %w", t.Format(time.DateTime), err)
	}
	var n uint64
	for start := 0; start < len(ids); start += deleteChunk {
		var count uint64
		chunk := ids[start:min(start+deleteChunk, len(ids))]
		if err := w.conn.QueryRow(ctx, `SELECT count() FROM indicator_cells WHERE has(?, run_id)`, chunk).Scan(&count); err != nil {
			return 0, fmt.Errorf("warehouse: values before %s: %w", t.Format(time.DateTime), err)
		}
		n += count
	}
	// The values first: a run listed without its values would be read as
	// a computation without results.
	if err := deleteIn(ctx, w, "indicator_values", "run_id", ids); err != nil {
		return 0, err
	}
	if err := deleteIn(ctx, w, "indicator_cells", "run_id", ids); err != nil {
		return 0, err
	}
	if err := deleteIn(ctx, w, "indicator_runs", "run_id", ids); err != nil {
		return 0, err
	}
	return n, nil
}

// deleteIn deletes the rows of table whose column holds one of ids, and
// waits until the deletions are done.
func deleteIn[T uint64 | string](ctx context.Context, w *Warehouse, table, column string, ids []T) error {
	if len(ids) == 0 {
		return nil
	}
	if err := checkIdentifiers(table, []string{column}); err != nil {
		return err
	}
	for start := 0; start < len(ids); start += deleteChunk {
		chunk := ids[start:min(start+deleteChunk, len(ids))]
		if err := w.deleteWhere(ctx, table, "has(?, "+column+")", chunk); err != nil {
			return fmt.Errorf("warehouse: delete from %s: %w", table, err)
		}
	}
	return w.waitMutations(ctx, table)
}

// waitMutations waits until the table's mutations are done.
func (w *Warehouse) waitMutations(ctx context.Context, table string) error {
	tick := time.NewTicker(mutationPoll)
	defer tick.Stop()
	for {
		pending, err := w.pendingMutations(ctx, table)
		if err != nil {
			return fmt.Errorf("warehouse: mutations of %s: %w", table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("warehouse: waiting for the deletions in %s: %w", table, ctx.Err())
		case <-tick.C:
		}
	}
}

// column runs a query of one column.
func column[T any](ctx context.Context, w *Warehouse, query string, args ...any) ([]T, error) {
	rows, err := w.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
