package warehouse

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// cluster is the warehouse spread over the nodes of a cluster: each table
// is a local table on every node (its name ends with localSuffix) and a
// Distributed table over them under the table's own name.
type cluster struct {
	name     string
	database string
	// zookeeper tells whether the servers have ZooKeeper: DDL then runs ON
	// CLUSTER and tables are replicated.
	zookeeper bool
	// nodes are the cluster's servers, shard by shard, as system.clusters
	// lists them.
	nodes []clusterNode
}

type clusterNode struct {
	addr string
	conn driver.Conn // its database is "default": statements name theirs
}

const localSuffix = "_local"

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// shardingKeys gives the sharding key of each table's Distributed table.
// The rows of a load live on one shard, as do the records of a load, a
// job run, a computing run or a geography version: deletions of a load or a
// run touch one shard, and small tables stay whole on few shards. A table
// missing here cannot be created on a cluster.
var shardingKeys = map[string]string{
	"schema_migrations":   "cityHash64(version)",
	"loads":               "cityHash64(load_id)",
	"quarantine":          "cityHash64(load_id)",
	"load_masks":          "cityHash64(load_id)",
	"excluded_rows":       "cityHash64(load_id)",
	"contacts":            "cityHash64(load_id)",
	"federation_activity": "cityHash64(load_id)",
	"services":            "cityHash64(load_id)",
	"treatment_demands":   "cityHash64(load_id)",
	// The copy migration 0004 makes, which 0006 drops.
	"treatment_demands_tdi3": "cityHash64(load_id)",
	"job_runs":               "cityHash64(run_id)",
	"job_run_records":        "cityHash64(run_id)",
	"indicator_values":       "cityHash64(run_id)",
	"indicator_cells":        "cityHash64(run_id)",
	"indicator_runs":         "cityHash64(run_id)",
	"geo_versions":           "cityHash64(version)",
	"geo_bassins":            "cityHash64(version)",
	"geo_communes":           "cityHash64(version)",
	"geo_areas":              "cityHash64(version)",
	"cell_partials":          "cityHash64(load_id)",
	"visit_partials":         "cityHash64(load_id)",
	"partial_builds":         "cityHash64(load_id)",
}

// openCluster finds the nodes of the cluster opts names, as the server boot
// is connected to defines it, and creates the database on every node.
func openCluster(ctx context.Context, opts Options, boot driver.Conn, ids *queryIDs) (_ *cluster, err error) {
	cl := &cluster{name: opts.Cluster, database: opts.Database}
	defer func() {
		if err != nil {
			cl.close()
		}
	}()
	rows, err := boot.Query(ctx, `SELECT host_name, port FROM system.clusters WHERE cluster = ?
		ORDER BY shard_num, replica_num`, opts.Cluster)
	if err != nil {
		return nil, fmt.Errorf("warehouse: nodes of cluster %s: %w", opts.Cluster, err)
	}
	var addrs []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			rows.Close()
			return nil, fmt.Errorf("warehouse: nodes of cluster %s: %w", opts.Cluster, err)
		}
		addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("warehouse: nodes of cluster %s: %w", opts.Cluster, err)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("warehouse: the server at %s defines no cluster %s in its remote_servers", opts.addr(), opts.Cluster)
	}
	// system.zookeeper exists only on a server configured with ZooKeeper.
	var znodes uint64
	cl.zookeeper = boot.QueryRow(ctx, "SELECT count() FROM system.zookeeper WHERE path = '/'").Scan(&znodes) == nil
	for _, addr := range addrs {
		conn, err := opts.open(ctx, func() string { return addr }, "default", nil)
		if err != nil {
			return nil, fmt.Errorf("warehouse: connect to %s, node of cluster %s: %w", addr, opts.Cluster, err)
		}
		cl.nodes = append(cl.nodes, clusterNode{addr: addr, conn: runConn{Conn: conn, ids: ids}})
	}
	if err := cl.ddl(ctx, "CREATE DATABASE IF NOT EXISTS "+opts.Database+onCluster); err != nil {
		return nil, fmt.Errorf("warehouse: create database %s: %w", opts.Database, err)
	}
	return cl, nil
}

// close closes the connections to the nodes; a nil cluster has none.
func (cl *cluster) close() {
	if cl == nil {
		return
	}
	for _, n := range cl.nodes {
		n.conn.Close()
	}
}

// onCluster marks where a DDL statement takes ON CLUSTER.
const onCluster = "{on_cluster}"

// ddl runs a DDL statement on every node: once ON CLUSTER when the servers
// have ZooKeeper (the statement names its database: the nodes run it in
// their default one), otherwise on each node in turn.
func (cl *cluster) ddl(ctx context.Context, stmt string) error {
	if cl.zookeeper {
		return cl.nodes[0].conn.Exec(ctx, strings.Replace(stmt, onCluster, " ON CLUSTER "+cl.name, 1))
	}
	stmt = strings.Replace(stmt, onCluster, "", 1)
	for _, n := range cl.nodes {
		if err := n.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("on %s: %w", n.addr, err)
		}
	}
	return nil
}

var (
	createTable = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS ([a-z_][a-z0-9_]*) (\(.*\)) ENGINE = MergeTree\(\)(.*)$`)
	dropTable   = regexp.MustCompile(`^DROP TABLE IF EXISTS ([a-z_][a-z0-9_]*)$`)
	ddlStart    = regexp.MustCompile(`^(?i)(CREATE|DROP|ALTER|RENAME|TRUNCATE)\b`)
)

// statements returns the DDL statements (marked with onCluster) that make
// a migration's DDL statement on the cluster; none for a statement that
// reads and writes tables, which runs through the Distributed tables.
func (cl *cluster) statements(stmt string) ([]string, error) {
	db := cl.database + "."
	if m := createTable.FindStringSubmatch(stmt); m != nil {
		table, columns, rest := m[1], m[2], m[3]
		key, ok := shardingKeys[table]
		if !ok {
			return nil, fmt.Errorf("table %s has no sharding key", table)
		}
		local := table + localSuffix
		engine := "MergeTree()"
		if cl.zookeeper {
			engine = "ReplicatedMergeTree('/clickhouse/tables/{shard}/" + cl.database + "/" + local + "', '{replica}')"
		}
		return []string{
			"CREATE TABLE IF NOT EXISTS " + db + local + onCluster + " " + columns + " ENGINE = " + engine + rest,
			"CREATE TABLE IF NOT EXISTS " + db + table + onCluster + " AS " + db + local +
				" ENGINE = Distributed(" + cl.name + ", " + cl.database + ", " + local + ", " + key + ")",
		}, nil
	}
	if m := dropTable.FindStringSubmatch(stmt); m != nil {
		return []string{
			"DROP TABLE IF EXISTS " + db + m[1] + onCluster,
			"DROP TABLE IF EXISTS " + db + m[1] + localSuffix + onCluster,
		}, nil
	}
	if ddlStart.MatchString(stmt) {
		return nil, fmt.Errorf("a cluster cannot run the statement %.40q…: only CREATE TABLE IF NOT EXISTS … "+
			"ENGINE = MergeTree() and DROP TABLE IF EXISTS", stmt)
	}
	return nil, nil
}

// migrationStatement runs a statement of a migration: on a cluster, a
// table's DDL on every node, for its local and its Distributed table.
func (w *Warehouse) migrationStatement(ctx context.Context, stmt string) error {
	if w.cluster == nil {
		return w.conn.Exec(ctx, stmt)
	}
	ddls, err := w.cluster.statements(stmt)
	if err != nil {
		return err
	}
	if len(ddls) == 0 {
		return w.conn.Exec(ctx, stmt)
	}
	for _, d := range ddls {
		if err := w.cluster.ddl(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// deleteWhere deletes the rows of table that meet cond (with args bound),
// through a mutation the server applies in the background
// (waitMutations waits for it): on a cluster, on the local table of every
// node (Distributed tables take no ALTER).
func (w *Warehouse) deleteWhere(ctx context.Context, table, cond string, args ...any) error {
	if w.cluster == nil {
		return w.conn.Exec(ctx, "ALTER TABLE "+table+" DELETE WHERE "+cond, args...)
	}
	for _, n := range w.cluster.nodes {
		if err := n.conn.Exec(ctx, "ALTER TABLE "+w.cluster.database+"."+table+localSuffix+" DELETE WHERE "+cond, args...); err != nil {
			return fmt.Errorf("on %s: %w", n.addr, err)
		}
	}
	return nil
}

// pendingMutations counts the mutations of table not yet done: on a
// cluster, those of its local tables on every node.
func (w *Warehouse) pendingMutations(ctx context.Context, table string) (uint64, error) {
	const q = `SELECT count() FROM system.mutations WHERE database = ? AND table = ? AND is_done = 0`
	if w.cluster == nil {
		var n uint64
		err := w.conn.QueryRow(ctx, q, w.opts.Database, table).Scan(&n)
		return n, err
	}
	var total uint64
	for _, node := range w.cluster.nodes {
		var n uint64
		if err := node.conn.QueryRow(ctx, q, w.cluster.database, table+localSuffix).Scan(&n); err != nil {
			return 0, fmt.Errorf("on %s: %w", node.addr, err)
		}
		total += n
	}
	return total, nil
}
