package broker_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
)

// However many messages wait for the projection at once, the consumer's
// state is asked for about once per interval (50 ms), not once per waiter:
// 100 waiters for half a second ask about 10 times, not 1,000.
func TestProgressAsksOnceForEveryWaiter(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	ctx := context.Background()
	brokertest.Run(t, conn, broker.Handler{Name: "follow", Subjects: []string{events.SubjectCreated}, Handle: func(context.Context, broker.Msg) error { return nil }})
	var asked atomic.Int32
	sub, err := conn.NC.Subscribe("$JS.API.CONSUMER.INFO."+events.Stream+".follow", func(*nats.Msg) { asked.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := conn.NC.Flush(); err != nil {
		t.Fatal(err)
	}
	p := broker.NewProgress(conn.JS, "follow")
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			// Sequence 1000 is never stored: every waiter waits it out.
			if ok, err := p.WaitHandled(ctx, 1000, 500*time.Millisecond); ok || err != nil {
				t.Errorf("handled up to 1000: %v (%v)", ok, err)
			}
		})
	}
	wg.Wait()
	if n := asked.Load(); n == 0 || n > 40 {
		t.Fatalf("%d consumer-info requests for 100 waiters over 500 ms, want about 10", n)
	}
}
