package warehousetest

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"testing"

	"github.com/brusano/bassins/pipeline/warehouse"
	"github.com/brusano/bassins/pipeline/warehouse/managed"
)

// ClusterName is the cluster OpenCluster's servers form.
const ClusterName = "bassins_test"

// ClusterShards is the number of shards (one server each) of OpenCluster.
const ClusterShards = 2

// ClusterBinary returns the server binary a cluster is tested on: the
// installed clickhouse-server (Debian's ClickHouse 18.16), whatever
// EngineEnv says. The test fails when it is missing.
func ClusterBinary(t testing.TB) string {
	t.Helper()
	for _, candidate := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "/usr/bin/clickhouse-server"} {
		if path, err := exec.LookPath(candidate); err == nil {
			return path
		}
	}
	t.Fatal("warehousetest: a cluster is tested on clickhouse-server (ClickHouse 18.16), which is not installed " +
		"(run `make test`, which installs it)")
	return ""
}

// OpenCluster starts ClusterShards managed ClickHouse servers on loopback,
// forming the cluster ClusterName of one shard each, and returns a
// migrated warehouse spread over it, connected to the first server, with
// the servers in shard order. The cluster runs on clickhouse-server
// (ClusterBinary), whatever EngineEnv says; every server has the same
// password. All are closed when the test ends.
func OpenCluster(t testing.TB) (*warehouse.Warehouse, []*managed.Server) {
	t.Helper()
	ctx := context.Background()
	bin := ClusterBinary(t)
	ports := freePorts(t, ClusterShards)
	cl := &managed.Cluster{Name: ClusterName}
	for _, p := range ports {
		cl.Shards = append(cl.Shards, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	password := NewPassword(t)
	var servers []*managed.Server
	for _, p := range ports {
		srv, err := managed.Start(ctx, managed.Options{DataDir: t.TempDir(), Binary: bin, Password: password,
			TCPPort: p, Cluster: cl})
		if err != nil {
			t.Fatalf("starting a ClickHouse server of the cluster: %v", err)
		}
		t.Cleanup(func() { _ = srv.Close() })
		servers = append(servers, srv)
	}
	wh, err := warehouse.Open(ctx, warehouse.Options{Addr: servers[0].Addr(), Database: "bassins_test",
		User: servers[0].User(), Password: password, Cluster: ClusterName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = wh.Close() })
	version, err := wh.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("warehousetest: a cluster of %d shards on ClickHouse %s (%s)", ClusterShards, version, engineName(bin))
	if _, err := wh.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return wh, servers
}

// freePorts returns n distinct ports free on loopback.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("warehousetest: free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
