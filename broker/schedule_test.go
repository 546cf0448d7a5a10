package broker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// fired collects what a timer handler receives.
type fired struct {
	mu   sync.Mutex
	msgs []broker.Msg
}

func (f *fired) handler(name, kind string) broker.Handler {
	return broker.Handler{Name: name, Subjects: broker.FireSubjects(kind), Handle: func(_ context.Context, m broker.Msg) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.msgs = append(f.msgs, m)
		return nil
	}}
}

func (f *fired) payloads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, m := range f.msgs {
		out = append(out, string(m.Data))
	}
	return out
}

func (f *fired) wait(t *testing.T, want ...string) []broker.Msg {
	t.Helper()
	brokertest.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
		if got := f.payloads(); !slices.Equal(got, want) {
			return fmt.Errorf("fired %q, want %q", got, want)
		}
		return nil
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.msgs)
}

func timerState(t *testing.T, conn *broker.Conn) jetstream.StreamState {
	t.Helper()
	s, err := conn.JS.Stream(context.Background(), broker.TimerStream)
	if err != nil {
		t.Fatal(err)
	}
	si, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return si.State
}

// TestTimersAtReplaceCancel: a timer fires once, at its time, on its fire
// subject, to a durable consumer like any other input; scheduling the same
// key again replaces it; a cancelled timer never fires; a handled timer
// leaves nothing behind in TIMERS.
func TestTimersAtReplaceCancel(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	tm := broker.Timers{JS: conn.JS}
	var f fired
	brokertest.Run(t, conn, f.handler("test-timers", "test"))

	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tm.At(ctx, "test", "REQ=1.replaced", now.Add(time.Hour), []byte("too late")))
	must(tm.At(ctx, "test", "REQ=1.replaced", now.Add(300*time.Millisecond), []byte("replaced")))
	must(tm.At(ctx, "test", "REQ=1.cancelled", now.Add(400*time.Millisecond), []byte("cancelled")))
	must(tm.At(ctx, "test", "REQ=2.a", now.Add(500*time.Millisecond), []byte("under a")))
	must(tm.At(ctx, "test", "REQ=2.b.c", now.Add(500*time.Millisecond), []byte("under b")))
	must(tm.At(ctx, "test", "REQ=3.barrier", now.Add(900*time.Millisecond), []byte("barrier")))
	must(tm.Cancel(ctx, "test", "REQ=1.cancelled"))
	must(tm.CancelUnder(ctx, "test", "REQ=2"))
	if ok, err := tm.Pending(ctx, "test", "REQ=1.replaced"); err != nil || !ok {
		t.Fatalf("replaced timer pending %v (%v)", ok, err)
	}
	if ok, err := tm.Pending(ctx, "test", "REQ=1.cancelled"); err != nil || ok {
		t.Fatalf("cancelled timer pending %v (%v)", ok, err)
	}

	// The barrier is due after every other timer: once it fired, the
	// cancelled ones would have fired before it.
	msgs := f.wait(t, "replaced", "barrier")
	fr, ok := broker.ParseFired(msgs[0].Subject, msgs[0].Header)
	if !ok || fr.Kind != "test" || fr.Key != "REQ=1.replaced" || fr.Next != "" || !fr.Due.Equal(now.Add(300*time.Millisecond).UTC()) {
		t.Fatalf("fired %+v from %s %v", fr, msgs[0].Subject, msgs[0].Header)
	}
	if ok, err := tm.Pending(ctx, "test", "REQ=1.replaced"); err != nil || ok {
		t.Fatalf("fired timer still pending %v (%v)", ok, err)
	}
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if st := timerState(t, conn); st.Msgs != 0 {
			return fmt.Errorf("TIMERS holds %d messages", st.Msgs)
		}
		return nil
	})
}

// TestTimersCron: every replica may ensure the same repeating schedule at
// start-up; there is still one, and each firing has its own Next.
func TestTimersCron(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	tm := broker.Timers{JS: conn.JS}
	for range 3 {
		if err := tm.Cron(ctx, "test", "us", "* * * * * *", "Europe/Berlin", []byte("tick")); err != nil {
			t.Fatal(err)
		}
	}
	if st := timerState(t, conn); st.Msgs != 1 || st.LastSeq != 1 {
		t.Fatalf("ensuring the same schedule three times: %d messages, last seq %d", st.Msgs, st.LastSeq)
	}
	if err := tm.Cron(ctx, "test", "us", "@every 1s", "", nil); err == nil {
		t.Fatal("@every accepted as a cron schedule")
	}
	if err := tm.Cron(ctx, "test", "us", "@daily", "Mars/Olympus", nil); err == nil {
		t.Fatal("unknown time zone accepted")
	}
	var f fired
	brokertest.Run(t, conn, f.handler("test-cron", "test"))
	msgs := f.wait(t, "tick", "tick")
	a, _ := broker.ParseFired(msgs[0].Subject, msgs[0].Header)
	b, _ := broker.ParseFired(msgs[1].Subject, msgs[1].Header)
	if a.Key != "us" || a.Next == "" || a.Next == b.Next {
		t.Fatalf("firings %+v then %+v", a, b)
	}
	if err := tm.Cancel(ctx, "test", "us"); err != nil {
		t.Fatal(err)
	}
	if ok, err := tm.Pending(ctx, "test", "us"); err != nil || ok {
		t.Fatalf("cancelled cron pending %v (%v)", ok, err)
	}
}

func TestTimerKeysAndConsumers(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	tm := broker.Timers{JS: conn.JS}
	for _, c := range []struct{ kind, key string }{{"Test", "k"}, {"test", "a..b"}, {"test", ""}, {"test", "a b"}, {"test", "a.>"}, {"te.st", "k"}} {
		if err := tm.At(ctx, c.kind, c.key, time.Now(), nil); err == nil {
			t.Errorf("kind %q key %q accepted", c.kind, c.key)
		}
	}
	_, err := (broker.Topology{}).EnsureConsumer(ctx, conn.JS, broker.ConsumerSpec{Name: "mixed",
		Subjects: append(broker.FireSubjects("test"), events.SubjectCreated)})
	if err == nil {
		t.Fatal("a consumer mixing timers and events was provisioned")
	}
}

// TestCaughtUp: a consumer has handled a sequence only once it acked it and
// every message before it, whatever order it handled them in.
func TestCaughtUp(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	release := make(chan struct{})
	h := broker.Handler{Name: "slow", Subjects: []string{events.SubjectCreated}, Handle: func(ctx context.Context, m broker.Msg) error {
		if m.Env.ID != "first" {
			return nil
		}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	brokertest.Run(t, conn, h)
	slow := broker.NewProgress(conn.JS, "slow")
	if ok, err := slow.WaitCaughtUp(ctx, 0); err != nil || !ok {
		t.Fatalf("idle consumer caught up %v (%v)", ok, err)
	}
	brokertest.PublishRaw(t, conn, events.SubjectCreated, []byte(`{"n":1}`), "first")
	brokertest.PublishRaw(t, conn, events.SubjectCreated, []byte(`{"n":2}`), "second")
	// The second is acked at once, the first is held: neither is handled
	// up to the second.
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		c, err := conn.JS.Consumer(ctx, events.Stream, "slow")
		if err != nil {
			return err
		}
		ci, err := c.Info(ctx)
		if err != nil {
			return err
		}
		if ci.NumPending != 0 || ci.NumAckPending != 1 {
			return fmt.Errorf("%d pending, %d unacked", ci.NumPending, ci.NumAckPending)
		}
		return nil
	})
	if ok, err := slow.WaitHandled(ctx, 2, 0); err != nil || ok {
		t.Fatalf("handled up to 2 with 1 unacked: %v (%v)", ok, err)
	}
	if ok, err := slow.WaitCaughtUp(ctx, 0); err != nil || ok {
		t.Fatalf("caught up with 1 unacked: %v (%v)", ok, err)
	}
	close(release)
	if ok, err := slow.WaitCaughtUp(ctx, 10*time.Second); err != nil || !ok {
		t.Fatalf("not caught up once everything is acked: %v (%v)", ok, err)
	}
	if ok, err := broker.NewProgress(conn.JS, "missing").WaitCaughtUp(ctx, 0); err != nil || ok {
		t.Fatalf("a consumer not created yet is caught up %v (%v)", ok, err)
	}
}

// A fired timer that its handler refuses is dead-lettered like any event,
// without the headers only the server may set, and a replay of it fires the
// handler again.
func TestFiredTimerDeadLetters(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	brokertest.Run(t, conn, broker.Handler{Name: "refuses", Subjects: broker.FireSubjects("test"), Handle: func(context.Context, broker.Msg) error {
		calls.Add(1)
		return retry.Permanent(errors.New("no such thing"))
	}})
	if err := (broker.Timers{JS: conn.JS}).At(ctx, "test", "k", time.Now(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitCount(t, conn, "dlq.timer.fire.test.k", 1)
	dl := brokertest.Messages(t, conn, "dlq.timer.fire.test.k")[0]
	if dl.Headers().Get(broker.HeaderError) != "no such thing" || dl.Headers().Get(broker.HeaderScheduler) != "" || string(dl.Data()) != "x" {
		t.Fatalf("dead letter %v %q", dl.Headers(), dl.Data())
	}
	h := dl.Headers()
	for _, k := range []string{broker.HeaderError, broker.HeaderHandler, broker.HeaderDeliveries, events.HeaderMsgID} {
		h.Del(k)
	}
	if _, err := conn.JS.PublishMsg(ctx, &nats.Msg{Subject: "timer.fire.test.k", Header: h, Data: dl.Data()}); err != nil {
		t.Fatalf("replaying: %v", err)
	}
	brokertest.WaitCalls(t, &calls, 2)
}
