package warehouse

import (
	"context"
	"fmt"
	"time"
)

// Statements of the benchmark (cmd/bassins-bench). They run through
// clickhouse-client beside the pipeline, on the database bassins_bench, and
// stay here with every other statement.

// The reference table holds the CSV's own columns, typed, ordered and
// partitioned like the product's contacts table.
const (
	BenchCreateReference = `CREATE TABLE bassins_bench.contacts_reference (date Date, time String, team String, ` +
		`place_type String, postcode String, person String, poles String, referral UInt8, ` +
		`referral_destination String, syringes UInt32, kits UInt32, naloxone UInt32) ` +
		`ENGINE = MergeTree() PARTITION BY toYYYYMM(date) ORDER BY (date, postcode, person)`
	// ClickHouse 18.16 reads CSVWithNames input and the
	// format_csv_delimiter setting given on the client's command line.
	BenchInsertReference = `INSERT INTO bassins_bench.contacts_reference (date, time, team, place_type, postcode, ` +
		`person, poles, referral, referral_destination, syringes, kits, naloxone) FORMAT CSVWithNames`
	BenchCountReference = `SELECT count() FROM bassins_bench.contacts_reference`
	BenchDropDatabase   = `DROP DATABASE IF EXISTS bassins_bench`
	BenchCountMerges    = `SELECT count() FROM system.merges`

	// Both tables must hold the same contacts: compare what survives
	// loading unchanged (persons are pseudonymised by the pipeline only).
	BenchSummarisePipeline = `SELECT count(), min(contact_date), max(contact_date), sum(referral), ` +
		`sum(syringes), sum(kits), sum(naloxone), uniqExact(postcode) FROM bassins_bench.contacts`
	BenchSummariseReference = `SELECT count(), min(date), max(date), sum(referral), ` +
		`sum(syringes), sum(kits), sum(naloxone), uniqExact(postcode) FROM bassins_bench.contacts_reference`
)

// RunningQuery is a statement the server is running, as system.processes
// shows it.
type RunningQuery struct {
	QueryID string
	// Elapsed is how long it has run so far.
	Elapsed     time.Duration
	ReadRows    uint64
	MemoryBytes int64
	// Query is the statement's text, bound values included: for the
	// benchmark's profile, never for a log.
	Query string
}

// RunningQueries returns the statements the server is running whose query id
// starts with prefix (a run's: see WithRun). The benchmark polls it to
// profile the statements of a computation.
func (w *Warehouse) RunningQueries(ctx context.Context, prefix string) ([]RunningQuery, error) {
	rows, err := w.conn.Query(ctx, `SELECT query_id, elapsed, read_rows, memory_usage, query
		FROM system.processes WHERE position(query_id, ?) = 1`, prefix)
	if err != nil {
		return nil, fmt.Errorf("warehouse: running queries: %w", err)
	}
	defer rows.Close()
	var out []RunningQuery
	for rows.Next() {
		var q RunningQuery
		var elapsed float64
		if err := rows.Scan(&q.QueryID, &elapsed, &q.ReadRows, &q.MemoryBytes, &q.Query); err != nil {
			return nil, fmt.Errorf("warehouse: running queries: %w", err)
		}
		q.Elapsed = time.Duration(elapsed * float64(time.Second))
		out = append(out, q)
	}
	return out, rows.Err()
}
