package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
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
	c := brokertest.StartCluster(t, w.dir)
	w.connect(c.URLs())
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
	w.setup(ctx, c.URLs(), "--replicas", "3")
	for i := range 2 {
		w.serve(fmt.Sprintf("node%d", i), true, "--data-dir", filepath.Join(w.dir, fmt.Sprint("a", i)), "--nats-url", c.URLs(),
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
		c.Stop(1)
		select {
		case <-ctx.Done():
		case <-time.After(down):
		}
		c.Restart(1)
	}()
	w.run(ctx, n)
	<-stopped
	w.verify(ctx, "cluster", fmt.Sprintf("1 of 3 NATS nodes down for %s", down))
}
