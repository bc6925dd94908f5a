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
// inner join with ANY strictness (its meaning changed after 18.16).
package warehouse

import (
	"context"
	"embed"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options says which server and database to use.
type Options struct {
	Addr     string
	Database string
	User     string
	Password string
	Logger   *slog.Logger
}

// Warehouse is a connection to the bassins database.
type Warehouse struct {
	conn driver.Conn
	opts Options // for the connections of inserts (BeginInsert)
	log  *slog.Logger
}

var databaseName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Open connects, creating the database when missing.
func Open(ctx context.Context, opts Options) (*Warehouse, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if !databaseName.MatchString(opts.Database) {
		return nil, fmt.Errorf("warehouse: %q is not a valid database name", opts.Database)
	}
	open := func(db string) (driver.Conn, error) {
		conn, err := clickhouse.Open(&clickhouse.Options{
			Addr:        []string{opts.Addr},
			Auth:        clickhouse.Auth{Database: db, Username: opts.User, Password: opts.Password},
			DialTimeout: 10 * time.Second,
			// Bulk loads send large blocks; leave time for them.
			ReadTimeout:     10 * time.Minute,
			MaxOpenConns:    8,
			ConnMaxLifetime: time.Hour,
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
	boot, err := open("default")
	if err != nil {
		return nil, fmt.Errorf("warehouse: connect to %s: %w", opts.Addr, err)
	}
	// The name was checked against a strict pattern above: DDL cannot bind it.
	err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+opts.Database)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("warehouse: create database %s: %w", opts.Database, err)
	}
	conn, err := open(opts.Database)
	if err != nil {
		return nil, fmt.Errorf("warehouse: connect to %s/%s: %w", opts.Addr, opts.Database, err)
	}
	return &Warehouse{conn: conn, opts: opts, log: log.With("component", "warehouse")}, nil
}

// Close closes the connection.
func (w *Warehouse) Close() error { return w.conn.Close() }

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
	if err := w.conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version UInt32, name String, applied_at DateTime
	) ENGINE = MergeTree() ORDER BY version`); err != nil {
		return nil, fmt.Errorf("warehouse: create schema_migrations: %w", err)
	}
	applied := map[uint32]bool{}
	rows, err := w.conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("warehouse: read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()

	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, fmt.Errorf("warehouse: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var done []string
	for _, e := range entries {
		name := e.Name()
		num, _, _ := strings.Cut(name, "_")
		version, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("warehouse: migration %s: the name must start with its number", name)
		}
		if applied[uint32(version)] {
			continue
		}
		body, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return nil, fmt.Errorf("warehouse: %w", err)
		}
		for _, stmt := range splitStatements(string(body)) {
			if err := w.conn.Exec(ctx, stmt); err != nil {
				return nil, fmt.Errorf("warehouse: migration %s: %w", name, err)
			}
		}
		if err := w.InsertRows(ctx, "schema_migrations", []string{"version", "name", "applied_at"},
			[][]any{{uint32(version), name, time.Now()}}); err != nil {
			return nil, fmt.Errorf("warehouse: record migration %s: %w", name, err)
		}
		w.log.Info("migration applied", "migration", name)
		done = append(done, name)
	}
	return done, nil
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
