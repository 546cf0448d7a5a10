package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// Hub turns the events of the pipeline into notices for the console's open
// pages. One ordered, ephemeral JetStream consumer follows acct.> (the
// regional acct.routed.<region> subjects and every lifecycle subject) from
// now on; for each event of a request the hub re-reads the request's record
// once the projection has folded that event in, and tells the pages that
// show its region or the request itself. A change not folded in within
// its first ticks is read again when the projection's progress (one shared
// poll) says it is: a burst the projection is behind on costs a few reads
// per change, not one every tick until the projection catches up.
//
// Notices are numbered. A page is rendered with the hub's cursor (taken
// before it reads), and its live stream starts from that number: what
// changed while the page was on its way is sent again. The hub keeps the
// last ringSize notices for that; a page further behind is told to resync.
//
// While no page is open (no live stream, no cursor taken for a while) the
// hub reads nothing: it lets the changes go once the projection has them,
// and a stream that starts from a cursor older than that resyncs.
type Hub struct {
	js         jetstream.JetStream
	records    Records
	projection Projection // nil: read every waiting record each tick
	log        *slog.Logger
	// settle bounds how long a change waits for the projection before the
	// record is read as it is; follow, how long while the projection's
	// progress can be asked (waiting then costs no read).
	settle, follow time.Duration
	// rendering is how long after taking a cursor a page counts as open
	// before its live stream starts.
	rendering time.Duration

	epoch string
	mu    sync.Mutex
	next  uint64 // number of the next notice
	// from is where changes were last let go unread while nobody watched
	// (a stream from an older cursor resyncs); lastCursor, when a page last
	// took a cursor.
	from       uint64
	lastCursor time.Time
	ring       []Notice // the last notices, oldest first
	subs       map[*Sub]struct{}
	ready      chan struct{}
	done       chan struct{}
}

// Notice says a request changed: its line in its region's queue, now.
type Notice struct {
	N       uint64
	ID      string
	Region  string
	Stage   lifecycle.Stage
	Open    bool
	Summary lifecycle.Summary
}

// Sub is one page's subscription.
type Sub struct {
	Region, Request string
	C               chan Notice
	lost            bool // a notice was dropped: the page must resync
}

const (
	ringSize  = 4096
	subBuffer = 256
)

// Projection says whether the projection has folded every event up to a
// stream sequence (broker.Progress; wait 0 asks without waiting).
type Projection interface {
	WaitHandled(ctx context.Context, seq uint64, wait time.Duration) (bool, error)
}

// NewHub makes a hub; Run feeds it. projection may be nil: then every
// waiting record is read again each tick until it shows its events.
func NewHub(js jetstream.JetStream, records Records, projection Projection, log *slog.Logger) *Hub {
	var e [4]byte
	_, _ = rand.Read(e[:])
	return &Hub{
		js: js, records: records, projection: projection, log: log, settle: 5 * time.Second, follow: 2 * time.Minute, rendering: 30 * time.Second, epoch: hex.EncodeToString(e[:]),
		subs: map[*Sub]struct{}{}, ready: make(chan struct{}), done: make(chan struct{}),
	}
}

// Ready is closed once the hub follows the stream.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Done is closed when Run has returned: live streams end with it.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Cursor is the position a page rendered now starts its stream from.
func (h *Hub) Cursor() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lastCursor = time.Now()
	return h.epoch + "-" + strconv.FormatUint(h.next, 10)
}

// Subscribe registers a page for a region's or a request's notices from
// cursor since on, and returns those it missed. resync says the page is
// too far behind (or from before a restart) and must read itself again.
func (h *Hub) Subscribe(region, request, since string) (sub *Sub, missed []Notice, resync bool) {
	sub = &Sub{Region: region, Request: request, C: make(chan Notice, subBuffer)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[sub] = struct{}{}
	epoch, n, ok := strings.Cut(since, "-")
	from, err := strconv.ParseUint(n, 10, 64)
	oldest := h.next - uint64(len(h.ring))
	if !ok || err != nil || epoch != h.epoch || from > h.next || from < oldest {
		return sub, nil, true
	}
	for _, x := range h.ring[from-oldest:] {
		if sub.wants(x) {
			missed = append(missed, x)
		}
	}
	return sub, missed, false
}

// Unsubscribe ends a subscription.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// Lost reports, and clears, whether notices were dropped for s.
func (h *Hub) Lost(s *Sub) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	lost := s.lost
	s.lost = false
	return lost
}

func (s *Sub) wants(n Notice) bool {
	if s.Request != "" {
		return n.ID == s.Request
	}
	return n.Region != "" && n.Region == s.Region
}

func (h *Hub) publish(rec lifecycle.Record) Notice {
	sum, open := lifecycle.Summarize(rec)
	h.mu.Lock()
	defer h.mu.Unlock()
	n := Notice{N: h.next, ID: rec.RequestID, Region: rec.Region, Stage: rec.Stage, Open: open, Summary: sum}
	h.next++
	if len(h.ring) == ringSize {
		copy(h.ring, h.ring[1:])
		h.ring = h.ring[:ringSize-1]
	}
	h.ring = append(h.ring, n)
	for s := range h.subs {
		if !s.wants(n) {
			continue
		}
		select {
		case s.C <- n:
		default:
			s.lost = true
		}
	}
	return n
}

// change is an event of a request the hub has not shown yet.
type change struct {
	id    string
	seq   uint64
	event string // the event's id, as the record's history keeps it
}

// Run follows the stream until ctx ends, and returns ctx's error then.
func (h *Hub) Run(ctx context.Context) error {
	defer close(h.done)
	cons, err := h.js.OrderedConsumer(ctx, events.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"acct.>"},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return fmt.Errorf("console live feed: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("console live feed: %w", err)
	}
	close(h.ready)
	changes := make(chan change, 1024)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // stops the iterator when ctx ends, so Next returns
		defer wg.Done()
		<-ctx.Done()
		it.Stop()
	}()
	go func() {
		defer wg.Done()
		h.settleLoop(ctx, changes)
	}()
	defer wg.Wait()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("console live feed ended: %w", err)
			}
			h.log.Warn("console live feed", "err", err)
			continue
		}
		id := lifecycle.RequestIDOf(msg.Subject(), msg.Data())
		if id == "" {
			continue
		}
		md, err := msg.Metadata()
		if err != nil {
			continue
		}
		env := events.Read(msg.Subject(), msg.Headers(), msg.Data())
		select {
		case changes <- change{id: id, seq: md.Sequence.Stream, event: env.ID}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// pending is what the hub waits to see in a request's record.
type pending struct {
	events []string
	seq    uint64 // the last of them in the stream
	since  time.Time
}

// eager is how long a change's record is read every tick: the projection
// usually folds a change in within a few milliseconds. After that (in a
// burst, the projection far behind) it is read when the projection's
// progress says the change is in.
const eager = 100 * time.Millisecond

// settleLoop reads each changed request once the projection has folded in
// the events the hub saw for it (or after h.follow, or h.settle when its
// progress cannot be asked, whatever the record
// says then).
func (h *Hub) settleLoop(ctx context.Context, changes <-chan change) {
	waiting := map[string]*pending{}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var tick <-chan time.Time
		if len(waiting) > 0 {
			timer.Reset(20 * time.Millisecond)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case c := <-changes:
			h.note(waiting, c)
		drain:
			for {
				select {
				case c := <-changes:
					h.note(waiting, c)
				default:
					break drain
				}
			}
		case <-tick:
		}
		h.settleAll(ctx, waiting)
	}
}

func (h *Hub) note(waiting map[string]*pending, c change) {
	p := waiting[c.id]
	if p == nil {
		p = &pending{since: time.Now()}
		waiting[c.id] = p
	}
	if len(p.events) < 32 && !slices.Contains(p.events, c.event) {
		p.events = append(p.events, c.event)
	}
	p.seq = max(p.seq, c.seq)
}

// unwatched says whether no page is open: no live stream, and no page
// took a cursor within h.rendering.
func (h *Hub) unwatched() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) == 0 && time.Since(h.lastCursor) > h.rendering
}

// letGo forgets the changes up to now, unread, if still nobody watches: a
// stream from an older cursor must resync.
func (h *Hub) letGo() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) > 0 || time.Since(h.lastCursor) <= h.rendering {
		return false
	}
	// The changes let go take a number, so that every cursor up to now
	// is older than the ring.
	h.next++
	h.ring = h.ring[:0]
	h.from = h.next
	return true
}

func (h *Hub) settleAll(ctx context.Context, waiting map[string]*pending) {
	if h.projection != nil && h.unwatched() {
		// Nobody to tell: read nothing, and let the changes go once the
		// projection has them (a page rendered after that reads them).
		// Should a page open first, they are read as usual.
		var last uint64
		for _, p := range waiting {
			last = max(last, p.seq)
		}
		if done, err := h.projection.WaitHandled(ctx, last, 0); err == nil && done && h.letGo() {
			clear(waiting)
		}
		return
	}
	for id, p := range waiting {
		waited := time.Since(p.since)
		late := waited > h.settle
		if h.projection != nil && waited > eager {
			// Read when the projection says the change is in: in a burst
			// it may be minutes behind, and a row read before would show
			// a stage already past, until the request's next event.
			switch done, err := h.projection.WaitHandled(ctx, p.seq, 0); {
			case err != nil:
				// As without a projection to follow.
			case done:
				late = true // in: what the record says now is the news
			case waited <= h.follow:
				continue
			default:
				late = true // the projection has not got there for long
			}
		}
		rec, err := h.records.Get(ctx, id)
		switch {
		case errors.Is(err, lifecycle.ErrNotFound) && !late:
			continue
		case err != nil:
			if ctx.Err() == nil && !errors.Is(err, lifecycle.ErrNotFound) {
				h.log.Warn("console live feed: reading a request", "request", id, "err", err)
			}
			delete(waiting, id)
			continue
		}
		allSeen := !slices.ContainsFunc(p.events, func(e string) bool { return !rec.Seen(e) })
		if allSeen || late {
			h.publish(rec)
			delete(waiting, id)
		}
	}
}
