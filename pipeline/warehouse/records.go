package warehouse

import (
	"time"

	"github.com/brusano/bassins/sources"
)

// Statuses of a job run.
const (
	RunRunning = "running"
	RunOK      = "ok"
	RunFailed  = "failed"
	// RunCancelled: stopped through its context, by its deadline or by
	// the process stopping.
	RunCancelled = "cancelled"
	// RunInterrupted: left running by a process that died; marked so by
	// the next process to start.
	RunInterrupted = "interrupted"
)

// JobRun is one run of a scheduled job, as recorded in the job_runs table. A
// run is recorded when it starts, at every heartbeat and when it ends; the
// latest record wins.
type JobRun struct {
	RunID      string
	Job        string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Status     string    // one of the Run* statuses
	Rows       uint64
	Message    string
	// HeartbeatAt is when the running process last said the run goes on.
	HeartbeatAt time.Time
	// Owner names the process running it: host and pid.
	Owner string
	// AsOf is the time the run worked as of: its start, or an earlier
	// time for a catch-up or a backfill (a report's period follows it).
	AsOf time.Time
	// Attempt counts from 1; a retry is a new run with the next attempt.
	Attempt int
}

// Load is one delivery (one file of a source) and what became of it, as
// recorded in the loads table.
type Load struct {
	// LoadID orders loads: a later load has a greater id.
	LoadID      uint64
	Source      string
	Dataset     string
	File        string
	SHA256      string
	DeliveredAt time.Time // the file's modification time
	LoadedAt    time.Time
	Status      string // StatusLoaded, StatusRejected or StatusRetracted
	// Replace is what the load replaced when it was loaded: file, months
	// or none.
	Replace string
	// RowsRead counts the file's records; RowsLoaded those that count,
	// RowsQuarantined those set aside, RowsDuplicate the exact repeats
	// dropped. RowsStored counts table rows (a federation line holds one
	// row per measure).
	RowsRead, RowsLoaded, RowsStored, RowsQuarantined, RowsDuplicate uint64
	// Months are the first days of the months the loaded rows fall in.
	Months []time.Time
	// Message is an English summary, never a delivered value.
	Message string
	// ReplacedMonths lists the months of this load that a later loaded
	// delivery replaces (filled by Loads).
	ReplacedMonths []time.Time
	// RecordedAt is when this status was recorded.
	RecordedAt time.Time
}

// Replaced reports whether every month of a loaded delivery is replaced by a
// later one: none of its rows count any more.
func (l Load) Replaced() bool {
	return l.Status == StatusLoaded && len(l.Months) > 0 && len(l.ReplacedMonths) == len(l.Months)
}

// Reason is one problem of a quarantined row, as the sources package
// states it: code, field, column, detail and the value read (shown to
// operators only).
type Reason = sources.Reason

// QuarantinedRow is a delivered record set aside, with every reason. Raw is
// the record as delivered, cut to 4 KiB, person identifiers pseudonymised.
type QuarantinedRow struct {
	LoadID     uint64
	Source     string
	File       string
	Line       int
	Raw        string
	Reasons    []Reason
	RecordedAt time.Time
}

// Mask says that the rows of a load in a month (the first day of it) stop
// counting once load By is loaded.
type Mask struct {
	LoadID uint64
	Month  time.Time
	By     uint64
}
