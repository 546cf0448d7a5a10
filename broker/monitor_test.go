package broker_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
)

// freezer is a TCP proxy in front of NATS that can stop passing bytes in
// both directions while keeping the connections open: to the client it looks
// like a cluster electing a leader (every request waits for its timeout).
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cond   *sync.Cond
	frozen bool
	wg     sync.WaitGroup
}

func startFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	f.cond = sync.NewCond(&f.mu)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			f.wg.Add(2)
			go func() { defer f.wg.Done(); f.pipe(up, c) }()
			go func() { defer f.wg.Done(); f.pipe(c, up) }()
		}
	}()
	t.Cleanup(func() {
		f.set(false)
		ln.Close()
	})
	return f
}

func (f *freezer) URL() string { return "nats://" + f.ln.Addr().String() }

func (f *freezer) set(frozen bool) {
	f.mu.Lock()
	f.frozen = frozen
	f.mu.Unlock()
	f.cond.Broadcast()
}

func (f *freezer) pipe(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			f.mu.Lock()
			for f.frozen {
				f.cond.Wait()
			}
			f.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// /metrics and /readyz read what the Monitor keeps: while JetStream does not
// answer (an election), a scrape still has every consumer's figures and a
// probe answers at once, where asking the server would wait for a timeout.
func TestMonitorAnswersFromItsCacheWhileJetStreamIsSilent(t *testing.T) {
	s := brokertest.Server(t)
	brokertest.Connect(t, s) // provisions the streams
	proxy := startFreezer(t, s.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := broker.Connect(ctx, broker.ConnConfig{URL: proxy.URL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.NC.Close()

	mon := broker.NewMonitor(conn, 20*time.Millisecond, brokertest.Logger(t))
	reg := prometheus.NewRegistry()
	reg.MustRegister(mon)
	runCtx, stop := context.WithCancel(context.Background())
	monDone := make(chan error, 1)
	go func() { monDone <- mon.Run(runCtx) }()
	defer func() { stop(); <-monDone }()
	cons, err := (broker.Topology{}).EnsureConsumer(ctx, conn.JS, broker.ConsumerSpec{Name: "lagging", Subjects: []string{"acct.test.lag"}})
	if err != nil {
		t.Fatal(err)
	}
	mon.AddConsumer("lagging", cons)
	for range 3 {
		brokertest.PublishRaw(t, conn, "acct.test.lag", []byte(`{}`), "")
	}
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got, ok := pending(t, reg); !ok || got != 3 {
			return fmt.Errorf("pending %v (%v)", got, ok)
		}
		if h := mon.Health(); !h.Ready {
			return fmt.Errorf("health %+v", h)
		}
		return nil
	})

	proxy.set(true) // JetStream goes silent; the connection stays up
	defer proxy.set(false)

	start := time.Now()
	got, ok := pending(t, reg)
	scrape := time.Since(start)
	if !ok || got != 3 {
		t.Fatalf("while JetStream is silent the scrape lost the consumer figures: %v %v", got, ok)
	}
	start = time.Now()
	h := mon.Health()
	probe := time.Since(start)

	// What a scrape cost before: one consumer info, waiting for its timeout.
	start = time.Now()
	ictx, icancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, infoErr := cons.Info(ictx)
	icancel()
	direct := time.Since(start)
	t.Logf("while silent: scrape from cache %v, readiness %v (%s %q); a direct consumer info %v (%v)",
		scrape, probe, h.State, h.Reason, direct, infoErr)
	if infoErr == nil {
		t.Fatal("the proxy did not silence JetStream")
	}
	// Long enough silence: readiness says JetStream is not answering.
	brokertest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if h := mon.Health(); h.Ready || !strings.Contains(h.Reason, "not answering") {
			return fmt.Errorf("health %+v", h)
		}
		return nil
	})
	proxy.set(false)
	brokertest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		if h := mon.Health(); !h.Ready {
			return fmt.Errorf("health %+v", h)
		}
		return nil
	})
}

// pending is the one handler's acctflow_consumer_pending_messages.
func pending(t *testing.T, reg *prometheus.Registry) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "acctflow_consumer_pending_messages" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue(), true
		}
	}
	return 0, false
}
