// Package projection folds every event into the lifecycle record of its
// request (KV "requests"), which `request show`, the HTTP API and the ops
// console read, and keeps the index of each region's open requests (KV
// "open-requests") in step with it.
package projection

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/schemas"
)

// Store is the projection's storage.
type Store interface {
	Change(ctx context.Context, id string, f func(*lifecycle.Record) error) (lifecycle.Changed, error)
}

// Index is the index of open requests.
type Index interface {
	Sync(ctx context.Context, before, after lifecycle.Record, rev uint64) error
}

type Handler struct {
	Store  Store
	Index  Index // nil: no index kept
	Logger *slog.Logger

	// Events of one request that arrive while its record is being written
	// wait for that write, then go in one write together (group commit).
	mu   sync.Mutex
	reqs map[string]*pending // requests with a group waiting or writing
}

// pending is a request's groups: the one still open to arrivals, and the
// last one created, whose end the next one waits for.
type pending struct{ open, last *group }

// group is the events of one request folded by one write.
type group struct {
	msgs  []broker.Msg
	after <-chan struct{} // the request's previous write ended
	done  chan struct{}   // this group's write ended; err is set
	err   error
}

const Name = "projection"

// Declaration is what the projection touches in NATS: it alone writes the
// request records and the open-requests index.
var Declaration = broker.Declaration{
	Name:     Name,
	Inputs:   []string{"acct.>"},
	Writes:   []string{broker.BucketRequests, broker.BucketOpen},
	InFlight: 128,
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

// Handle folds m into its request's record. The first event of a request
// to arrive writes at once; those arriving meanwhile join one group, which
// the first of them writes, in one compare-and-swap, as soon as the write
// before ends: a request's events in flight together cost one write.
func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	id := lifecycle.RequestIDOf(m.Subject, m.Data)
	if id == "" {
		return nil // replies and changes without a request have no record
	}
	g, writer := h.join(id, m)
	if !writer {
		select {
		case <-g.done:
			return g.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var err error
	select {
	case <-g.after:
		err = h.fold(ctx, id, h.take(id, g))
	case <-ctx.Done():
		h.take(id, g)
		err = ctx.Err()
	}
	h.finish(id, g, err)
	return err
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// join adds m to its request's open group, or opens one, which the caller
// then writes.
func (h *Handler) join(id string, m broker.Msg) (g *group, writer bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.reqs[id]
	if p != nil && p.open != nil {
		p.open.msgs = append(p.open.msgs, m)
		return p.open, false
	}
	g = &group{msgs: []broker.Msg{m}, after: closed, done: make(chan struct{})}
	if p == nil {
		if h.reqs == nil {
			h.reqs = map[string]*pending{}
		}
		p = &pending{}
		h.reqs[id] = p
	} else {
		g.after = p.last.done
	}
	p.open, p.last = g, g
	return g, true
}

// take closes g to arrivals and returns its events.
func (h *Handler) take(id string, g *group) []broker.Msg {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.reqs[id]; p.open == g {
		p.open = nil
	}
	return g.msgs
}

// finish hands g's outcome to its members and lets the next group write.
func (h *Handler) finish(id string, g *group, err error) {
	h.mu.Lock()
	if p := h.reqs[id]; p.last == g && p.open == nil {
		delete(h.reqs, id)
	}
	h.mu.Unlock()
	g.err = err
	close(g.done)
}

// fold applies events of one request to its record in one write, and
// keeps the index in step.
func (h *Handler) fold(ctx context.Context, id string, msgs []broker.Msg) error {
	var redelivered bool
	c, err := h.Store.Change(ctx, id, func(r *lifecycle.Record) error {
		redelivered = false // f runs again after a lost compare-and-swap
		for _, m := range msgs {
			err := lifecycle.Apply(r, m.Subject, m.Data, m.Env, m.StreamSeq)
			var ve *schemas.ValidationError
			if errors.As(err, &ve) {
				// The handler that owns this subject dead-letters it; one
				// DLQ record per bad event is enough.
				h.Logger.Debug("projection skipped invalid event", "subject", m.Subject, "err", err)
				continue
			}
			if err != nil {
				return err
			}
			redelivered = redelivered || m.Deliveries > 1
		}
		return nil
	})
	if err != nil || h.Index == nil {
		return err
	}
	// The index follows when the request's line changed, and on every
	// redelivery, in case a crash came between the two writes.
	was, wasOpen := lifecycle.Summarize(c.Before)
	now, open := lifecycle.Summarize(c.After)
	if was == now && wasOpen == open && !redelivered {
		return nil
	}
	return h.Index.Sync(ctx, c.Before, c.After, c.Rev)
}
