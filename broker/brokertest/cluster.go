package brokertest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is three nats-servers with JetStream, clustered on loopback, for
// R3 streams and KV buckets (a lost compare-and-swap has its own error code
// there) and for nodes that go down and come back.
type Cluster struct {
	t       testing.TB
	opts    []*server.Options
	servers []*server.Server
}

// StartCluster starts the three nodes, their stores under dir, and shuts
// them down when the test ends. Until the cluster has elected a meta
// leader, JetStream requests may fail: wait for one to succeed.
func StartCluster(t testing.TB, dir string) *Cluster {
	t.Helper()
	c := &Cluster{t: t}
	var routes, clusterAddrs []string
	for range 3 {
		clusterAddrs = append(clusterAddrs, FreeAddr(t))
	}
	for _, a := range clusterAddrs {
		routes = append(routes, "nats://"+a)
	}
	for i := range 3 {
		_, port, _ := net.SplitHostPort(clusterAddrs[i])
		var p int
		fmt.Sscan(port, &p)
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i)), NoSigs: true,
			Cluster: server.ClusterOpts{Name: "acctflow", Host: "127.0.0.1", Port: p},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		})
	}
	for i := range 3 {
		c.servers = append(c.servers, nil)
		c.Restart(i)
	}
	t.Cleanup(func() {
		for _, s := range c.servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	return c
}

// Restart starts node i again (on the client port it had).
func (c *Cluster) Restart(i int) {
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Errorf("node %d: %v", i, err) // not Fatal: Restart also runs off the test goroutine
		return
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		c.t.Errorf("node %d not ready", i)
	}
	c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	c.servers[i] = s
}

// Stop shuts node i down.
func (c *Cluster) Stop(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
}

// URLs are the nodes' client URLs, comma-separated (nats.Connect's form).
func (c *Cluster) URLs() string {
	var u []string
	for _, o := range c.opts {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return strings.Join(u, ",")
}

// KV connects to the cluster and creates the bucket, once the cluster has a
// meta leader and the bucket's stream a leader of its own (a KV read then
// answers "not found" rather than "no responders").
func (c *Cluster) KV(t testing.TB, cfg jetstream.KeyValueConfig) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var kv jetstream.KeyValue
	CheckFor(t, time.Minute, 100*time.Millisecond, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if kv, err = js.CreateOrUpdateKeyValue(ctx, cfg); err != nil {
			return err
		}
		if _, err := kv.Get(ctx, "ready-probe"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("bucket %s not ready: %v", cfg.Bucket, err)
		}
		return nil
	})
	return kv
}
