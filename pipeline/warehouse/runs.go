package warehouse

import (
	"context"
	"fmt"
	"time"
)

var runColumns = []string{"run_id", "job", "started_at", "finished_at", "status", "rows", "message", "heartbeat_at",
	"owner", "as_of", "attempt", "recorded_ns"}

// recordStamp returns the recorded_ns of a new record: the time in
// nanoseconds, always after the previous record of this warehouse.
func (w *Warehouse) recordStamp() uint64 {
	for {
		last := w.lastStamp.Load()
		now := time.Now().UnixNano()
		if now <= last {
			now = last + 1
		}
		if w.lastStamp.CompareAndSwap(last, now) {
			return uint64(now)
		}
	}
}

// RecordRun records a job run as it is now: every call adds a record, and
// the latest one recorded tells the run's state.
func (w *Warehouse) RecordRun(ctx context.Context, r JobRun) error {
	if err := w.insertRuns(ctx, []JobRun{r}); err != nil {
		return fmt.Errorf("warehouse: record run %s: %w", r.RunID, err)
	}
	return nil
}

func (w *Warehouse) insertRuns(ctx context.Context, runs []JobRun) error {
	rows := make([][]any, 0, len(runs))
	for _, r := range runs {
		attempt := uint8(min(max(r.Attempt, 0), 255))
		rows = append(rows, []any{r.RunID, r.Job, orEpoch(r.StartedAt), orEpoch(r.FinishedAt), r.Status, r.Rows,
			r.Message, orEpoch(r.HeartbeatAt), r.Owner, orEpoch(r.AsOf), attempt, w.recordStamp()})
	}
	return w.InsertRows(ctx, "job_run_records", runColumns, rows)
}

// latestRuns selects the latest record of every run, under the names
// run_* (a name of its own for each: an alias equal to a column's name would
// stand for it inside the aggregates), with the condition cond on the
// records.
func latestRuns(cond string) string {
	if cond != "" {
		cond = " WHERE " + cond
	}
	return `SELECT run_id, argMax(job, recorded_ns) AS run_job, argMax(started_at, recorded_ns) AS run_started,
			argMax(finished_at, recorded_ns) AS run_finished, argMax(status, recorded_ns) AS run_status,
			argMax(rows, recorded_ns) AS run_rows, argMax(message, recorded_ns) AS run_message,
			argMax(heartbeat_at, recorded_ns) AS run_heartbeat, argMax(owner, recorded_ns) AS run_owner,
			argMax(as_of, recorded_ns) AS run_as_of, argMax(attempt, recorded_ns) AS run_attempt,
			min(recorded_ns) AS run_first_ns
		FROM job_run_records` + cond + ` GROUP BY run_id`
}

// runFields lists the columns of latestRuns that scanRuns reads.
const runFields = `run_id, run_job, run_started, run_finished, run_status, run_rows, run_message, run_heartbeat,
	run_owner, run_as_of, run_attempt`

// scanRuns reads the runs a query of runFields returns.
func (w *Warehouse) scanRuns(ctx context.Context, query string, args ...any) ([]JobRun, error) {
	rows, err := w.conn.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JobRun
	for rows.Next() {
		var r JobRun
		var attempt uint8
		if err := rows.Scan(&r.RunID, &r.Job, &r.StartedAt, &r.FinishedAt, &r.Status, &r.Rows, &r.Message,
			&r.HeartbeatAt, &r.Owner, &r.AsOf, &attempt); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt, r.HeartbeatAt, r.AsOf = unepoch(r.StartedAt), unepoch(r.FinishedAt),
			unepoch(r.HeartbeatAt), unepoch(r.AsOf)
		r.Attempt = int(attempt)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RecentRuns returns the latest job runs as last recorded, newest first.
func (w *Warehouse) RecentRuns(ctx context.Context, limit int) ([]JobRun, error) {
	runs, err := w.scanRuns(ctx, `SELECT `+runFields+` FROM (`+latestRuns("")+`) AS runs
		ORDER BY run_started DESC, run_first_ns DESC, run_id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("warehouse: recent runs: %w", err)
	}
	return runs, nil
}

// InterruptStaleRuns records as interrupted, finished at now, every run left
// running whose last heartbeat (its start when it had none) is before
// staleBefore: the process running it stopped without ending it. It returns
// the runs as recorded now.
func (w *Warehouse) InterruptStaleRuns(ctx context.Context, staleBefore, now time.Time) ([]JobRun, error) {
	runs, err := w.scanRuns(ctx, `SELECT `+runFields+` FROM (`+latestRuns("")+`) AS runs
		WHERE run_status = ? AND if(run_heartbeat > toDateTime(0), run_heartbeat, run_started) < toDateTime(?)
		ORDER BY run_started, run_id`, RunRunning, staleBefore.Unix())
	if err != nil {
		return nil, fmt.Errorf("warehouse: stale runs: %w", err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	for i := range runs {
		r := &runs[i]
		seen := r.HeartbeatAt
		if seen.IsZero() {
			seen = r.StartedAt
		}
		r.Status, r.FinishedAt = RunInterrupted, now
		r.Message = fmt.Sprintf("interrupted: the process running it (%s) stopped without ending it; last heard of at %s",
			ownerName(r.Owner), seen.UTC().Format(time.RFC3339))
	}
	if err := w.insertRuns(ctx, runs); err != nil {
		return nil, fmt.Errorf("warehouse: interrupt stale runs: %w", err)
	}
	return runs, nil
}

func ownerName(owner string) string {
	if owner == "" {
		return "unknown"
	}
	return owner
}

// JobStatus is what the runs of a job tell: when it last ran, how, and up to
// when it is done.
type JobStatus struct {
	Job string
	// LastStart and LastStatus are those of the job's latest run (the
	// latest started).
	LastStart  time.Time
	LastStatus string
	// LastSuccess is when the latest successful run finished (zero when
	// none did), LastSuccessAsOf the time it worked as of.
	LastSuccess     time.Time
	LastSuccessAsOf time.Time
	// LastTickAsOf is the latest time a run, whatever its status, worked
	// as of: the last scheduled time handled. A backfill of an earlier
	// period does not move it back.
	LastTickAsOf time.Time
}

// JobHistory returns the status of every job that has run, by job name.
func (w *Warehouse) JobHistory(ctx context.Context) ([]JobStatus, error) {
	rows, err := w.conn.Query(ctx, `SELECT run_job, max(run_started),
			argMax(run_status, (run_started, run_id)),
			maxIf(run_finished, run_status = ?),
			argMaxIf(run_as_of, (run_finished, run_id), run_status = ?),
			max(run_as_of)
		FROM (`+latestRuns("")+`) AS runs GROUP BY run_job ORDER BY run_job`, RunOK, RunOK)
	if err != nil {
		return nil, fmt.Errorf("warehouse: job history: %w", err)
	}
	defer rows.Close()
	var out []JobStatus
	for rows.Next() {
		var s JobStatus
		if err := rows.Scan(&s.Job, &s.LastStart, &s.LastStatus, &s.LastSuccess, &s.LastSuccessAsOf, &s.LastTickAsOf); err != nil {
			return nil, fmt.Errorf("warehouse: job history: %w", err)
		}
		s.LastStart, s.LastSuccess, s.LastSuccessAsOf, s.LastTickAsOf = unepoch(s.LastStart), unepoch(s.LastSuccess),
			unepoch(s.LastSuccessAsOf), unepoch(s.LastTickAsOf)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: job history: %w", err)
	}
	return out, nil
}

// orEpoch stores a zero time as the epoch, the zero of a DateTime column.
func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0)
	}
	return t
}

// unepoch reads the epoch of a DateTime column back as the zero time.
func unepoch(t time.Time) time.Time {
	if t.Unix() <= 0 {
		return time.Time{}
	}
	return t
}
