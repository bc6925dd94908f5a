-- Job runs are recorded with their heartbeat, owner, as-of time and attempt,
-- one row per record (the latest recorded_ns wins). ClickHouse 18.16 has no
-- ADD COLUMN IF NOT EXISTS, and a statement may run again after a crash
-- before the migration is recorded: the runs move to a new table, each
-- statement idempotent. job_runs is left as it was, no longer read.
CREATE TABLE IF NOT EXISTS job_run_records (
    run_id String,
    job String,
    started_at DateTime,
    -- the epoch while running
    finished_at DateTime,
    status String,
    rows UInt64,
    -- English, for operators
    message String,
    -- the epoch until the first heartbeat
    heartbeat_at DateTime,
    -- host and pid of the process running it
    owner String,
    as_of DateTime,
    attempt UInt8,
    recorded_ns UInt64
) ENGINE = MergeTree() ORDER BY (started_at, run_id);

-- The runs recorded before: their revision (1 at the start, 2 at the end)
-- orders their records, before any later record.
INSERT INTO job_run_records (run_id, job, started_at, finished_at, status, rows, message, heartbeat_at, owner,
    as_of, attempt, recorded_ns)
SELECT run_id, job, started_at, finished_at, status, rows, message, toDateTime(0), '', started_at, 1,
    toUInt64(revision)
FROM job_runs
WHERE (run_id, toUInt64(revision)) GLOBAL NOT IN (SELECT run_id, recorded_ns FROM job_run_records);
