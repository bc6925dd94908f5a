package managed

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
)

// Cluster makes a managed server a node of a ClickHouse cluster, for tests
// and trials on one machine: the configuration defines the cluster Name in
// <remote_servers>, one shard per address of Shards, one replica each.
//
// The servers of a shard connect to one another as User with the node's own
// Password, which the configuration then holds in clear (it stays 0600, like
// the data): every node of the cluster must be started with the same
// password. Each node needs a fixed port (Options.TCPPort), the one its
// address in Shards names. No ZooKeeper is configured: tables are
// replicated by none, and DDL ON CLUSTER is not available.
type Cluster struct {
	// Name is the cluster's name, as Distributed tables and
	// system.clusters name it.
	Name string
	// Shards are the native protocol addresses, "host:port", of the
	// nodes, this server among them.
	Shards []string
}

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// check tells what is wrong with the cluster's definition.
func (cl *Cluster) check() error {
	if !clusterName.MatchString(cl.Name) {
		return fmt.Errorf("cluster name %q: want letters, digits and underscores", cl.Name)
	}
	if len(cl.Shards) == 0 {
		return fmt.Errorf("cluster %s has no shards", cl.Name)
	}
	for _, addr := range cl.Shards {
		if _, _, err := splitAddr(addr); err != nil {
			return fmt.Errorf("cluster %s: shard %q: %w", cl.Name, addr, err)
		}
	}
	return nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, errors.New("want host:port")
	}
	if host == "" {
		return "", 0, errors.New("the host is missing")
	}
	return host, port, nil
}

// remoteServersConfig is <remote_servers>, which ClickHouse 18.16 reads as
// current releases do: <NAME><shard><replica><host/><port/><user/>
// <password/></replica></shard></NAME>.
type remoteServersConfig struct {
	Clusters []clusterConfig
}

type clusterConfig struct {
	// XMLName is the cluster's name: the element is named after it.
	XMLName xml.Name
	Shards  []shardConfig `xml:"shard"`
}

type shardConfig struct {
	Replicas []replicaConfig `xml:"replica"`
}

type replicaConfig struct {
	Host     string `xml:"host"`
	Port     int    `xml:"port"`
	User     string `xml:"user"`
	Password string `xml:"password"`
}

// remoteServers returns the <remote_servers> of a node of the cluster
// (checked) whose nodes accept User with password.
func (cl *Cluster) remoteServers(password string) *remoteServersConfig {
	c := clusterConfig{XMLName: xml.Name{Local: cl.Name}}
	for _, addr := range cl.Shards {
		host, port, _ := splitAddr(addr)
		c.Shards = append(c.Shards, shardConfig{Replicas: []replicaConfig{{Host: host, Port: port, User: User, Password: password}}})
	}
	return &remoteServersConfig{Clusters: []clusterConfig{c}}
}
