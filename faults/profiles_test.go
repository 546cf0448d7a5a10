package faults

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

var handlers = "routing,projection,confirmation,rejection"

// TestReplicas: one process hosts NATS, two processes run every handler on
// it; replicas are killed at random and restarted.
func TestReplicas(t *testing.T) {
	n := profileSize(40, 1000)
	kills := 3
	if n > 40 {
		kills = envInt("ACCTFLOW_FAULTS_KILLS", 12)
	}
	w := newWorld(t)
	natsAddr := freePort(t)
	host := w.serve("nats", "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr, "--handlers", "none")
	host.start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(90+n/4)*time.Second)
	defer cancel()
	if err := waitFor(ctx, 100*time.Millisecond, func() error { _, err := w.js.Stream(ctx, "ACCOUNTS"); return err }); err != nil {
		t.Fatal(err)
	}
	var replicas []*proc
	for i := range 2 {
		r := w.serve(fmt.Sprintf("replica%d", i), "--data-dir", filepath.Join(w.dir, fmt.Sprint("r", i)), "--nats-url", "nats://"+natsAddr, "--handlers", handlers)
		r.start()
		replicas = append(replicas, r)
	}
	done := make(chan int)
	go func() { done <- killRandomly(ctx, kills, replicas...) }()
	w.publish(ctx, n)
	killed := <-done
	w.verify(ctx, "replicas", n, fmt.Sprintf("2 replicas of every handler, %d SIGKILL", killed))
}

// TestCluster: a three-node JetStream cluster (R3 streams, KV, object
// store) in this test process, two acctflow processes on it, and one node
// shut down mid-run and restarted later.
func TestCluster(t *testing.T) {
	n := profileSize(40, 1000)
	w := newWorld(t)
	c := startCluster(t, w.dir)
	w.connect(c.urls())
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(120+n/4)*time.Second)
	defer cancel()
	if err := waitFor(ctx, 200*time.Millisecond, func() error { // a meta leader is elected
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		defer acancel()
		_, err := w.js.AccountInfo(actx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		w.serve(fmt.Sprintf("node%d", i), "--data-dir", filepath.Join(w.dir, fmt.Sprint("a", i)), "--nats-url", c.urls(),
			"--replicas", "3", "--handlers", handlers).start()
	}
	if err := waitFor(ctx, 100*time.Millisecond, func() error { _, err := w.js.Stream(ctx, "ACCOUNTS"); return err }); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(time.Second)
		c.stop(1)
		time.Sleep(3 * time.Second)
		c.restart(1)
	}()
	w.publish(ctx, n)
	w.verify(ctx, "cluster", n, "1 of 3 NATS nodes down for 3s")
}

// TestSMTPOutage: the mail server goes away for a while and comes back.
func TestSMTPOutage(t *testing.T) {
	n := profileSize(40, 1000)
	w := newWorld(t)
	natsAddr := freePort(t)
	w.serve("serve", "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr).start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(90+n/4)*time.Second)
	defer cancel()
	_ = w.mail().Close()
	go func() {
		time.Sleep(4 * time.Second)
		w.startMail()
	}()
	w.publish(ctx, n)
	w.verify(ctx, "smtp-outage", n, "SMTP down for 4s")
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
		c.t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		c.t.Fatalf("node %d not ready", i)
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
