// Package warehouse owns every SQL statement of bassins: the schema and its
// migrations, loading rows, recording loads and job runs, the aggregates the
// indicators are computed from, and the stored indicator values.
//
// Every statement runs on ClickHouse 18.16 as on current releases (the tests
// run on 18.16 and 26.7): every INSERT is a batch with an explicit column list
// (18.16 does not parse inline VALUES sent by this driver), no window
// functions, WITH FILL, Map, DateTime64, LowCardinality or toStartOfWeek, no
// server-side parameters (values are bound by the driver), JOINs written with
// an explicit strictness and USING, every subquery of a JOIN aliased, and no
// inner join with ANY strictness (its meaning changed after 18.16). Every
// migration statement is idempotent: it may run again after a crash before
// its migration was recorded (18.16 has no ADD COLUMN IF NOT EXISTS: a table
// that gains columns is rebuilt under a new name).
//
// Every subquery of IN and every JOIN is GLOBAL: the server that receives
// a statement computes it once and hands its result to the shards. On one
// server this changes nothing (on 18.16 as on 26.7); on a cluster it is
// what makes a subquery of a Distributed table inside a statement over one
// allowed (distributed_product_mode) and complete (not one shard's rows).
//
// # Cluster
//
// With Options.Cluster, the name of a cluster of the servers'
// <remote_servers>, the warehouse is spread over that cluster's nodes (one
// server is then any node). The migrations create each table as a local
// table, X_local, on every node, and a Distributed table over them under
// the table's own name, X; every read and write goes through the
// Distributed tables, with the same SQL as on one server. A load's rows,
// its records, masks, set-aside lines and quarantined rows go to one shard
// (cityHash64(load_id)), as do the records of a job run or a computing run
// and a geography version (see shardingKeys). Aggregates merge across
// shards as on one server. Inserts wait until every shard stored its rows
// (insert_distributed_sync), so a load is whole or absent on the cluster
// too. Deletions (ALTER … DELETE) run on the local tables of every node,
// and the maintenance waits for them on every node.
//
// DDL runs on every node: when the servers have ZooKeeper (system.zookeeper
// can be read), once with ON CLUSTER, the local tables then being
// ReplicatedMergeTree('/clickhouse/tables/{shard}/<database>/X_local',
// '{replica}'), which needs the {shard} and {replica} macros in each
// server's configuration and internal_replication in <remote_servers>;
// without ZooKeeper, on each node that system.clusters lists for the
// cluster, reached at its host and port with the warehouse's user and
// password, the local tables being MergeTree (one replica per shard). The
// path without ZooKeeper is the one tested, on ClickHouse 18.16.
package warehouse

import (
	"context"
	"embed"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options says which server and database to use.
type Options struct {
	// Addr is the server's native protocol address, "host:port".
	Addr string
	// Address, when set, is called at every new connection and wins over
	// Addr: a supervised server may restart on another port.
	Address  func() string
	Database string
	User     string
	Password string
	// Cluster, when set, names the cluster (of the servers'
	// <remote_servers>) the warehouse is spread over: see the package
	// documentation. Addr is then any node of it.
	Cluster string
	// ReadRows answers every cell query from the canonical tables' rows,
	// building and reading no partials (see partials.go): slower, and the
	// reference the partials are tested against.
	ReadRows bool
	Logger   *slog.Logger
}

// Connection settings. A connection is dialled afresh to the current
// address when the pool has none that works: the driver drops a pooled
// connection the server closed (it checks each one before use) and one
// older than connLifetime.
const (
	dialTimeout = 3 * time.Second
	// acquireTimeout bounds the wait for a connection: a free one of the
	// pool, or a new one.
	acquireTimeout = 10 * time.Second
	// readTimeout leaves bulk loads time to send large blocks.
	readTimeout  = 10 * time.Minute
	connLifetime = 10 * time.Minute
	maxOpenConns = 8
)

// Warehouse is a connection to the bassins database.
type Warehouse struct {
	conn driver.Conn
	opts Options // for the connections of inserts (BeginInsert)
	log  *slog.Logger
	ids  *queryIDs
	// cluster is nil on one server.
	cluster *cluster
	// lastStamp orders the records this warehouse writes (recordStamp).
	lastStamp atomic.Int64
}

// addr returns the server's current address.
func (o Options) addr() string {
	if o.Address != nil {
		return o.Address()
	}
	return o.Addr
}

// dial opens a TCP connection to the server's current address.
func (o Options) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	return d.DialContext(ctx, "tcp", o.addr())
}

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Open connects, creating the database when missing (on every node of
// the cluster, if any).
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !databaseName.MatchString(opts.Database) {
		return nil, fmt.Errorf("warehouse: %q is not a valid database name", opts.Database)
	}
	if opts.Cluster != "" && !clusterName.MatchString(opts.Cluster) {
		return nil, fmt.Errorf("warehouse: %q is not a valid cluster name", opts.Cluster)
	}
	boot, err := opts.open(ctx, opts.addr, "default", nil)
	if err != nil {
		return nil, fmt.Errorf("warehouse: connect to %s: %w", opts.addr(), err)
	}
	ids := new(queryIDs)
	var cl *cluster
	if opts.Cluster == "" {
		// The name was checked against a strict pattern above: DDL
		// cannot bind it.
		err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+opts.Database)
		if err != nil {
			err = fmt.Errorf("warehouse: create database %s: %w", opts.Database, err)
		}
	} else {
		cl, err = openCluster(ctx, opts, boot, ids)
	}
	boot.Close()
	if err != nil {
		return nil, err
	}
	var settings clickhouse.Settings
	if cl != nil {
		settings = clickhouse.Settings{"insert_distributed_sync": 1}
	}
	conn, err := opts.open(ctx, opts.addr, opts.Database, settings)
	if err != nil {
		cl.close()
		return nil, fmt.Errorf("warehouse: connect to %s/%s: %w", opts.addr(), opts.Database, err)
	}
	return &Warehouse{conn: runConn{Conn: conn, ids: ids}, opts: opts, log: log.With("component", "warehouse"), ids: ids,
		cluster: cl}, nil
}

// open opens a pool of connections to the server at addr and database db,
// with the settings given, and pings it.
func (o Options) open(ctx context.Context, addr func() string, db string, settings clickhouse.Settings) (driver.Conn, error) {
	conn, err := clickhouse.Open(&clickhouse.Options{
		// The driver needs an address; DialContext dials the current
		// one instead.
		Addr: []string{addr()},
		DialContext: func(ctx context.Context, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: dialTimeout}
			return d.DialContext(ctx, "tcp", addr())
		},
		Auth:            clickhouse.Auth{Database: db, Username: o.User, Password: o.Password},
		Settings:        settings,
		DialTimeout:     acquireTimeout,
		ReadTimeout:     readTimeout,
		MaxOpenConns:    maxOpenConns,
		ConnMaxLifetime: connLifetime,
	})
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// Close closes the connections.
func (w *Warehouse) Close() error {
	w.cluster.close()
	return w.conn.Close()
}

// ServerVersion returns the server's version, e.g. "18.16.1".
func (w *Warehouse) ServerVersion() (string, error) {
	v, err := w.conn.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("warehouse: server version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch), nil
}

// Migrate applies the migrations not yet recorded, in order; it is safe to
// run twice and from two processes (every statement is idempotent).
func (w *Warehouse) Migrate(ctx context.Context) ([]string, error) {
	if err := w.migrationStatement(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime
	) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return nil, fmt.Errorf("warehouse: create schema_migrations: %w", err)
	}
	applied, err := w.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	known, err := knownMigrations()
	if err != nil {
		return nil, err
	}
	var done []string
	for _, m := range known {
		if applied[m.version] {
			continue
		}
		if err := w.applyMigration(ctx, m.name); err != nil {
			return nil, err
		}
		if err := w.InsertRows(ctx, "schema_migrations", []string{"version", "name", "applied_at"},
			[][]any{{m.version, m.name, time.Now()}}); err != nil {
			return nil, fmt.Errorf("warehouse: record migration %s: %w", m.name, err)
		}
		w.log.Info("migration applied", "migration", m.name)
		done = append(done, m.name)
	}
	return done, nil
}

// applyMigration runs the statements of a migration file.
func (w *Warehouse) applyMigration(ctx context.Context, name string) error {
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		return fmt.Errorf("warehouse: %w", err)
	}
	for _, stmt := range splitStatements(string(body)) {
		if err := w.migrationStatement(ctx, stmt); err != nil {
			return fmt.Errorf("warehouse: migration %s: %w", name, err)
		}
	}
	return nil
}

type migration struct {
	version uint32
	name    string
}

// knownMigrations lists the migrations of the program, in order.
func knownMigrations() ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, _, _ := strings.Cut(name, "_")
		version, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("warehouse: migration %s: the name must start with its number", name)
		}
		out = append(out, migration{version: uint32(version), name: name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// appliedVersions returns the versions recorded in schema_migrations.
func (w *Warehouse) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	applied := map[uint32]bool{}
	rows, err := w.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: read schema_migrations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("warehouse: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: read schema_migrations: %w", err)
	}
	return applied, nil
}

// Ping checks that the server answers.
func (w *Warehouse) Ping(ctx context.Context) error {
	if err := w.conn.Ping(ctx); err != nil {
		return fmt.Errorf("warehouse: ping %s: %w", w.opts.addr(), err)
	}
	return nil
}

// Readiness tells whether the warehouse can serve: the server's version,
// the migrations applied and pending, and the latest computation.
type Readiness struct {
	ServerVersion string
	// Applied counts the program's migrations applied, Known all of them;
	// Pending names those not applied, in order.
	Applied, Known int
	Pending        []string
	// LastComputedAt is when the latest indicator values were computed;
	// zero when none were.
	LastComputedAt time.Time
}

// Readiness returns the warehouse's readiness; an error when the server
// cannot be reached or read.
func (w *Warehouse) Readiness(ctx context.Context) (Readiness, error) {
	var r Readiness
	if err := w.Ping(ctx); err != nil {
		return r, err
	}
	version, err := w.ServerVersion()
	if err != nil {
		return r, err
	}
	r.ServerVersion = version
	tables, err := column[string](ctx, w, `SELECT name FROM system.tables
		WHERE database = currentDatabase() AND name IN ('schema_migrations', 'indicator_runs')`)
	if err != nil {
		return r, fmt.Errorf("warehouse: readiness: %w", err)
	}
	applied := map[uint32]bool{}
	if slices.Contains(tables, "schema_migrations") {
		if applied, err = w.appliedVersions(ctx); err != nil {
			return r, err
		}
	}
	known, err := knownMigrations()
	if err != nil {
		return r, err
	}
	r.Known = len(known)
	for _, m := range known {
		if applied[m.version] {
			r.Applied++
		} else {
			r.Pending = append(r.Pending, m.name)
		}
	}
	if slices.Contains(tables, "indicator_runs") {
		if _, r.LastComputedAt, err = w.LatestRun(ctx); err != nil {
			return r, err
		}
	}
	return r, nil
}

// splitStatements splits a migration file on semicolons ending a line,
// dropping comment lines.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line + "\n")
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
