package projection_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/lifecycle"
)

// gatedStore holds its first write until released, and counts writes.
type gatedStore struct {
	mu      sync.Mutex
	rec     lifecycle.Record
	writes  atomic.Int32
	release chan struct{}
}

func (s *gatedStore) Change(ctx context.Context, id string, f func(*lifecycle.Record) error) (lifecycle.Changed, error) {
	if s.writes.Add(1) == 1 {
		<-s.release
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.rec
	if err := f(&s.rec); err != nil {
		return lifecycle.Changed{}, err
	}
	return lifecycle.Changed{Before: before, After: s.rec}, nil
}

func msg(t *testing.T, ev events.Event, seq uint64) broker.Msg {
	t.Helper()
	data, err := events.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return broker.Msg{Subject: ev.Subject(), Data: data, StreamSeq: seq, Deliveries: 1,
		Env: events.Envelope{ID: fmt.Sprint("ev-", seq), Time: events.Time(time.Now())}}
}

// Events of one request that arrive while its record is being written go
// in one write together once that write ends.
func TestEventsOfARequestInFlightTogetherAreOneWrite(t *testing.T) {
	store := &gatedStore{release: make(chan struct{})}
	h := &projection.Handler{Store: store, Logger: brokertest.Logger(t)}
	req := handlertest.Request("REQ-G")
	msgs := []broker.Msg{
		msg(t, handlertest.Routed(req), 2),
		msg(t, handlertest.Confirmed("REQ-G"), 3),
		msg(t, handlertest.Details("REQ-G", "root@acme.example", "Acme", events.SupportBusiness), 4),
	}
	errs := make(chan error, len(msgs))
	handle := func(m broker.Msg) { go func() { errs <- h.Handle(context.Background(), m) }() }
	handle(msgs[0])
	brokertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if store.writes.Load() != 1 {
			return fmt.Errorf("first write not started")
		}
		return nil
	})
	handle(msgs[1])
	handle(msgs[2])
	brokertest.CheckFor(t, 5*time.Second, time.Millisecond, func() error {
		if projection.Gathered(h, "REQ-G") != 2 {
			return fmt.Errorf("the two later events have not gathered")
		}
		return nil
	})
	close(store.release)
	for range msgs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := store.writes.Load(); n != 2 {
		t.Fatalf("%d writes for 3 events, want 2 (the first, then the two that waited)", n)
	}
	if len(store.rec.History) != 3 || store.rec.Stage != lifecycle.StageDetailsReceived {
		t.Fatalf("record %s with %d events, want details_received with 3", store.rec.Stage, len(store.rec.History))
	}
	if n := projection.Tracked(h); n != 0 {
		t.Fatalf("%d requests still tracked after their writes", n)
	}
}
