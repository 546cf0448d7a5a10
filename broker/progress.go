package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// Progress follows how far a durable consumer on the ACCOUNTS stream has
// handled it, for every waiter of a process at once: a handler that reads
// the projection about an event waits for the projection (consumer
// "projection") to have folded it. However many messages wait, the
// consumer's state is asked for at most once per interval: in a burst,
// dozens of messages in flight wait together, and asking once each would
// load the server with consumer-info requests exactly when it is busiest.
// It is safe for concurrent use.
type Progress struct {
	js       jetstream.JetStream
	consumer string
	interval time.Duration

	mu       sync.Mutex
	last     progressState
	failed   error         // the last request's error, if it failed
	failedAt time.Time     // when
	fetching *progressCall // the request under way, if any
}

type progressState struct {
	ackFloor, delivered uint64
	idle                bool // nothing pending, nothing unacked
	exists              bool
	at                  time.Time
}

// handled: every message up to seq was acked (nothing pending or unacked,
// with seq delivered, says so too).
func (s progressState) handled(seq uint64) bool {
	return s.exists && (s.ackFloor >= seq || s.idle && s.delivered >= seq)
}

// NewProgress follows consumer on js's ACCOUNTS stream.
func NewProgress(js jetstream.JetStream, consumer string) *Progress {
	return &Progress{js: js, consumer: consumer, interval: 50 * time.Millisecond}
}

// Consumer is the durable consumer it follows.
func (p *Progress) Consumer() string { return p.consumer }

// WaitHandled waits, at most for wait, until the consumer has handled every
// event up to stream sequence seq: the projection may fold events in
// another order than the stream's, and a record is whole only once every
// earlier event is in. A consumer not created yet has handled nothing.
func (p *Progress) WaitHandled(ctx context.Context, seq uint64, wait time.Duration) (bool, error) {
	deadline := time.Now().Add(wait)
	for {
		st, err := p.state(ctx)
		if err != nil || st.handled(seq) || !time.Now().Before(deadline) {
			return err == nil && st.handled(seq), err
		}
		t := time.NewTimer(max(time.Until(st.at.Add(p.interval)), time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

// WaitCaughtUp waits, at most for wait, until the consumer has handled
// every event stored when it was called: a fired timer waits so for the
// projection before it reads a record and decides, so that details
// published a moment ago are seen. The target is fixed at the call, so a
// busy stream does not keep moving it. No record is read.
func (p *Progress) WaitCaughtUp(ctx context.Context, wait time.Duration) (bool, error) {
	s, err := p.js.Stream(ctx, events.Stream) // a stream-info request
	if err != nil {
		return false, err
	}
	return p.WaitHandled(ctx, s.CachedInfo().State.LastSeq, wait)
}

// state is the consumer's state, at most an interval old: one caller asks
// the server, the others take its answer.
func (p *Progress) state(ctx context.Context) (progressState, error) {
	p.mu.Lock()
	if !p.last.at.IsZero() && time.Since(p.last.at) < p.interval {
		st := p.last
		p.mu.Unlock()
		return st, nil
	}
	// A refusal (a user without the permission) or an outage is an
	// answer too: asked again after the interval, not by every waiter.
	if p.failed != nil && time.Since(p.failedAt) < p.interval {
		err := p.failed
		p.mu.Unlock()
		return progressState{}, err
	}
	if c := p.fetching; c != nil {
		p.mu.Unlock()
		select {
		case <-c.done:
			return c.st, c.err
		case <-ctx.Done():
			return progressState{}, ctx.Err()
		}
	}
	c := &progressCall{done: make(chan struct{})}
	p.fetching = c
	p.mu.Unlock()

	// Not the caller's context: its end would fail every waiter.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), progressTimeout)
	c.st, c.err = p.fetch(fctx)
	cancel()
	p.mu.Lock()
	if c.err == nil {
		p.last, p.failed = c.st, nil
	} else {
		p.failed, p.failedAt = c.err, time.Now()
	}
	p.fetching = nil
	p.mu.Unlock()
	close(c.done)
	return c.st, c.err
}

// progressCall is one request for the consumer's state, shared by whoever
// waits for it.
type progressCall struct {
	done chan struct{}
	st   progressState
	err  error
}

// progressTimeout bounds one request for the consumer's state.
const progressTimeout = 10 * time.Second

// fetch asks the server once (looking a consumer up is a consumer-info
// request). The state is stamped when the answer arrives: it may be a
// little older, which can only make a waiter wait a little longer, since a
// consumer's ack floor only grows.
func (p *Progress) fetch(ctx context.Context) (progressState, error) {
	c, err := p.js.Consumer(ctx, events.Stream, p.consumer)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return progressState{at: time.Now()}, nil
	}
	if err != nil {
		return progressState{}, fmt.Errorf("consumer %s: %w", p.consumer, err)
	}
	ci := c.CachedInfo()
	return progressState{
		ackFloor: ci.AckFloor.Stream, delivered: ci.Delivered.Stream,
		idle: ci.NumPending == 0 && ci.NumAckPending == 0, exists: true, at: time.Now(),
	}, nil
}
