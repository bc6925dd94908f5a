package warehouse

import "time"

// JobRun is one run of a scheduled job, as recorded in the job_runs table.
type JobRun struct {
	RunID      string
	Job        string
	StartedAt  time.Time
	FinishedAt time.Time // zero while running
	Status     string    // "running", "ok" or "failed"
	Rows       uint64
	Message    string
}

// Load is one delivered file and what became of it, as recorded in the loads
// table.
type Load struct {
	LoadID   string
	Source   string
	Dataset  string
	File     string
	SHA256   string
	Rows     uint64
	LoadedAt time.Time
	Status   string // StatusLoaded, StatusRejected or StatusSuperseded
	Message  string
	// Problem says what rejected the file; zero otherwise.
	Problem Problem
}

// Problem is what made a file rejected, kept apart so that it can be told in
// French and Dutch: the line, the field and its column, a code (see the
// sources package's Problem* constants), the value read and a detail.
type Problem struct {
	Line                int
	Field, Column       string
	Code, Value, Detail string
}
