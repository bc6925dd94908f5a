package warehouse

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
