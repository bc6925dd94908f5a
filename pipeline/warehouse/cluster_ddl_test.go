package warehouse_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
)

func TestMigrationStatementsOnAClusterMakeLocalAndDistributedTables(t *testing.T) {
	create := "CREATE TABLE IF NOT EXISTS load_masks (\n    load_id UInt64,\n    month Date,\n    by_load UInt64\n) " +
		"ENGINE = MergeTree() ORDER BY (load_id, month)"
	columns := "(\n    load_id UInt64,\n    month Date,\n    by_load UInt64\n)"
	cases := []struct {
		name      string
		zookeeper bool
		stmt      string
		want      []string
		fails     bool
	}{
		{name: "create, each node", stmt: create, want: []string{
			"CREATE TABLE IF NOT EXISTS db.load_masks_local " + columns + " ENGINE = MergeTree() ORDER BY (load_id, month)",
			"CREATE TABLE IF NOT EXISTS db.load_masks AS db.load_masks_local " +
				"ENGINE = Distributed(c1, db, load_masks_local, cityHash64(load_id))",
		}},
		{name: "create, on cluster", zookeeper: true, stmt: create, want: []string{
			"CREATE TABLE IF NOT EXISTS db.load_masks_local ON CLUSTER c1 " + columns +
				" ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/db/load_masks_local', '{replica}') ORDER BY (load_id, month)",
			"CREATE TABLE IF NOT EXISTS db.load_masks ON CLUSTER c1 AS db.load_masks_local " +
				"ENGINE = Distributed(c1, db, load_masks_local, cityHash64(load_id))",
		}},
		{name: "drop, each node", stmt: "DROP TABLE IF EXISTS contacts", want: []string{
			"DROP TABLE IF EXISTS db.contacts", "DROP TABLE IF EXISTS db.contacts_local"}},
		{name: "drop, on cluster", zookeeper: true, stmt: "DROP TABLE IF EXISTS contacts", want: []string{
			"DROP TABLE IF EXISTS db.contacts ON CLUSTER c1", "DROP TABLE IF EXISTS db.contacts_local ON CLUSTER c1"}},
		{name: "insert: through the Distributed tables", stmt: "INSERT INTO loads (load_id) SELECT 1"},
		{name: "a table without sharding key", stmt: "CREATE TABLE IF NOT EXISTS extra (a UInt8) ENGINE = MergeTree() ORDER BY a",
			fails: true},
		{name: "another engine", stmt: "CREATE TABLE IF NOT EXISTS loads (a UInt8) ENGINE = Log", fails: true},
		{name: "an ALTER", stmt: "ALTER TABLE loads ADD COLUMN b UInt8", fails: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := warehouse.ClusterStatements("c1", "db", tc.zookeeper, tc.stmt)
			if tc.fails {
				if err == nil {
					t.Fatalf("accepted, giving %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// Every table the migrations create can be made on a cluster.
func TestEveryTableOfTheMigrationsHasAShardingKey(t *testing.T) {
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v", err)
	}
	creates := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(string(body), ";\n") {
			var kept []string
			for _, line := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(line), "--") && strings.TrimSpace(line) != "" {
					kept = append(kept, line)
				}
			}
			stmt = strings.TrimSuffix(strings.TrimSpace(strings.Join(kept, "\n")), ";")
			if !strings.HasPrefix(stmt, "CREATE") {
				continue
			}
			creates++
			if _, err := warehouse.ClusterStatements("c1", "db", false, stmt); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	if creates < 15 {
		t.Errorf("%d CREATE statements found in the migrations, want the 15 or more they hold", creates)
	}
}

// Subqueries of IN and JOINs are GLOBAL, so that on a cluster the server
// that receives a statement computes them once, over every shard, and sends
// them to the others: a subquery of a Distributed table inside a statement
// over one is refused (distributed_product_mode), and run on each shard
// would see that shard's rows only. On one server GLOBAL changes nothing.
func TestSubqueriesOfInAndJoinsAreGlobal(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("migrations/*.sql")
	files = append(files, more...)
	// IN followed by a subquery or a Go expression that builds one, and
	// every JOIN, with what comes before it.
	inSubquery := regexp.MustCompile("(\\w+)\\s+(NOT\\s+)?IN\\s*\\(\\s*(SELECT|`\\s*\\+)")
	join := regexp.MustCompile(`(\w+)\s+(ANY|ALL)\s+(LEFT|INNER|RIGHT|FULL)\s+JOIN`)
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range inSubquery.FindAllStringSubmatch(string(body), -1) {
			checked++
			if m[1] != "GLOBAL" {
				t.Errorf("%s: %q is not GLOBAL", f, m[0])
			}
		}
		for _, m := range join.FindAllStringSubmatch(string(body), -1) {
			checked++
			if m[1] != "GLOBAL" {
				t.Errorf("%s: %q is not GLOBAL", f, m[0])
			}
		}
	}
	if checked < 15 {
		t.Errorf("%d subqueries and joins found, want the 15 or more the package holds", checked)
	}
}
