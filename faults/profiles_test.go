package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// TestReplicas: one process hosts NATS and the HTTP API, two processes run
// every handler (and the IMAP readers and provisioning drivers) on it;
// replicas are killed at random and restarted.
func TestReplicas(t *testing.T) {
	t.Parallel()
	n, kills := profileSize(shortN, 1000), 3
	if n > shortN {
		kills = envInt("ACCTFLOW_FAULTS_KILLS", 12)
	}
	w := newWorld(t)
	natsAddr := freePort(t)
	host := w.serve("nats", true, "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr, "--handlers", "none")
	host.start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), budget(n))
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, w.streamReady(ctx)); err != nil {
		t.Fatal(err)
	}
	w.setup(ctx, "nats://"+natsAddr)
	var replicas []*proc
	for i := range 2 {
		r := w.serve(fmt.Sprintf("replica%d", i), false, "--data-dir", filepath.Join(w.dir, fmt.Sprint("r", i)), "--nats-url", "nats://"+natsAddr)
		r.start()
		replicas = append(replicas, r)
	}
	w.flow = newFlow(w, n) // before the killer watches it
	done := make(chan string)
	go func() { done <- w.killRandomly(ctx, kills, replicas...) }()
	w.run(ctx, n)
	w.verify(ctx, "replicas", "2 replicas of every handler; "+<-done)
}

// TestCluster: a three-node JetStream cluster (R3 streams, KV, object
// store) in this test process, two acctflow processes on it, and one node
// shut down mid-run and restarted later.
func TestCluster(t *testing.T) {
	t.Parallel()
	n := profileSize(shortN, 1000)
	w := newWorld(t)
	c := startCluster(t, w.dir)
	w.connect(c.urls())
	ctx, cancel := context.WithTimeout(context.Background(), budget(n))
	defer cancel()
	if err := waitFor(ctx, 200*time.Millisecond, func() error { // a meta leader is elected
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		defer acancel()
		_, err := w.js.AccountInfo(actx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	w.setup(ctx, c.urls(), "--replicas", "3")
	for i := range 2 {
		w.serve(fmt.Sprintf("node%d", i), true, "--data-dir", filepath.Join(w.dir, fmt.Sprint("a", i)), "--nats-url", c.urls(),
			"--replicas", "3").start()
	}
	if err := waitFor(ctx, 100*time.Millisecond, w.streamReady(ctx)); err != nil {
		t.Fatal(err)
	}
	w.flow = newFlow(w, n) // before the node killer watches it
	down := 3 * time.Second
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if _, running := w.flow.waitProgress(ctx, 0.1+0.6*rand.Float64()); !running {
			return
		}
		c.stop(1)
		select {
		case <-ctx.Done():
		case <-time.After(down):
		}
		c.restart(1)
	}()
	w.run(ctx, n)
	<-stopped
	w.verify(ctx, "cluster", fmt.Sprintf("1 of 3 NATS nodes down for %s", down))
}

// cluster is three nats-servers with JetStream, clustered on loopback.
type cluster struct {
	t       *testing.T
	opts    []*server.Options
	servers []*server.Server
}

func startCluster(t *testing.T, dir string) *cluster {
	c := &cluster{t: t}
	var routes []string
	var clusterPorts []string
	for range 3 {
		clusterPorts = append(clusterPorts, freePort(t))
	}
	for _, p := range clusterPorts {
		routes = append(routes, "nats://"+p)
	}
	for i := range 3 {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: server.RANDOM_PORT,
			JetStream: true, StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i)), NoSigs: true,
			Cluster: server.ClusterOpts{Name: "acctflow", Host: "127.0.0.1", Port: portOf(clusterPorts[i])},
			Routes:  server.RoutesFromStr(joinComma(routes)),
		}
		c.opts = append(c.opts, o)
	}
	for i := range 3 {
		c.servers = append(c.servers, nil)
		c.restart(i)
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

func (c *cluster) restart(i int) {
	s, err := server.NewServer(c.opts[i])
	if err != nil {
		c.t.Errorf("node %d: %v", i, err) // not Fatal: restart also runs off the test goroutine
		return
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		c.t.Errorf("node %d not ready", i)
	}
	c.opts[i].Port = s.Addr().(*net.TCPAddr).Port
	c.servers[i] = s
}

func (c *cluster) stop(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
}

func (c *cluster) urls() string {
	var u []string
	for _, o := range c.opts {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return joinComma(u)
}
