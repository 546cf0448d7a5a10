package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// slowJS answers consumer lookups after delay, with a consumer that has
// messages pending.
type slowJS struct {
	jetstream.JetStream
	calls atomic.Int32
	delay time.Duration
}

type pendingConsumer struct{ jetstream.Consumer }

func (pendingConsumer) CachedInfo() *jetstream.ConsumerInfo {
	return &jetstream.ConsumerInfo{NumPending: 5}
}

func (s *slowJS) Consumer(context.Context, string, string) (jetstream.Consumer, error) {
	s.calls.Add(1)
	time.Sleep(s.delay)
	return pendingConsumer{}, nil
}

// When the server takes as long as the poll interval to answer, waiters
// take the answer they waited for instead of each asking again in turn (a
// convoy: 41 requests for 32 waiters over a second, found in review).
func TestProgressSlowAnswersAreShared(t *testing.T) {
	js := &slowJS{delay: 100 * time.Millisecond}
	p := NewProgress(js, "projection")
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if ok, err := p.WaitHandled(context.Background(), 10, time.Second); ok || err != nil {
				t.Errorf("handled with messages pending: %v (%v)", ok, err)
			}
		})
	}
	wg.Wait()
	// One request at a time, each 100 ms, for about a second.
	if n := js.calls.Load(); n > 16 {
		t.Fatalf("%d requests for 32 waiters over a second at 100 ms each, want about 10", n)
	}
}

// refusingJS refuses every consumer lookup, as the server does a user
// without the permission.
type refusingJS struct {
	jetstream.JetStream
	calls atomic.Int32
}

func (r *refusingJS) Consumer(context.Context, string, string) (jetstream.Consumer, error) {
	r.calls.Add(1)
	return nil, errors.New("nats: permissions violation")
}

// A failing request is an answer for the interval too: waiters asking
// again and again (the console's live feed, for every waiting request,
// every tick) do not each send one, which a server refusing them would
// log every time.
func TestProgressRemembersAFailure(t *testing.T) {
	js := &refusingJS{}
	p := NewProgress(js, "projection")
	start := time.Now()
	for range 1000 {
		if ok, err := p.WaitHandled(context.Background(), 10, 0); ok || err == nil {
			t.Fatalf("handled %v, err %v: the lookup was refused", ok, err)
		}
	}
	// At most one request per interval, and one to start with.
	if n, most := js.calls.Load(), 1+int32(time.Since(start)/p.interval); n > most {
		t.Fatalf("%d requests in %s, want at most %d", n, time.Since(start), most)
	}
}
