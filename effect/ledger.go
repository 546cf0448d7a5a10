package effect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// KV is the part of a JetStream KV bucket the ledger uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	Status(ctx context.Context) (jetstream.KeyValueStatus, error)
}

// Errors a caller may meet, wrapped in retry.After.
var (
	// ErrBusy: another worker holds a live claim on the effect.
	ErrBusy = errors.New("another worker holds the effect's claim")
	// ErrHeld: the effect waits for its next attempt (backoff,
	// Retry-After, a doubt that cannot be settled yet).
	ErrHeld = errors.New("waiting before the next attempt")
	// ErrLost: a compare-and-swap write lost to another writer.
	ErrLost = errors.New("the effect's record changed concurrently")
)

// Ledger keeps effects in one KV bucket. It is safe for concurrent use.
type Ledger struct {
	kv    KV
	owner string
	log   *slog.Logger

	mu      sync.Mutex
	holding map[string]int // keys this process has an attempt under way for
}

// NewLedger returns a ledger over kv. owner names this process in claims;
// give a name that a restarted process on the same data takes again (and
// no live process shares), and claims it left are taken back at once
// instead of after their lease. "" picks a random name.
func NewLedger(kv KV, owner string, log *slog.Logger) *Ledger {
	if owner == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		owner = "proc-" + hex.EncodeToString(b[:])
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Ledger{kv: kv, owner: owner, log: log, holding: map[string]int{}}
}

// Owner is the name this ledger writes in its claims.
func (l *Ledger) Owner() string { return l.owner }

// Effect is one effect to carry out at most once.
type Effect struct {
	Key    string // see Key
	What   string // for errors and logs, e.g. "confirmation email to REQ-1"
	Policy Policy
	// Attempt makes one attempt under the claim r and returns what to
	// remember of it. Its errors are classified with package retry.
	Attempt func(ctx context.Context, r Record) ([]byte, error)
	// Doubtful reports whether a failed attempt may have had its effect
	// anyway. Nil: never.
	Doubtful func(error) bool
	// Resolve is called, holding the claim, when an earlier attempt may
	// have had its effect (a claim whose worker died, an unknown
	// outcome). r is the claim, since how long ago (server clock) the
	// doubt arose. Nil: attempt again.
	Resolve func(ctx context.Context, r Record, since time.Duration) (Resolution, error)
	// Data is kept in a new record (the caller's state, see Record.Data).
	Data json.RawMessage
	// Mark, when set, records a successful attempt instead of a write
	// here: it publishes the effect's event under its deterministic id,
	// and the record stays pending (Effect.Resolve then looks for the
	// event). If Mark fails, the record is written done after all.
	Mark func(ctx context.Context) error
	// Asked is the message that asks for the effect, when only that one
	// message ever does (zero: unknown; the attempt is claimed first).
	Asked Asked
}

// Asked describes the one JetStream message that asks for an effect. A
// message is delivered to one worker at a time, so on its first delivery,
// with no record, nobody else can be attempting the effect: the attempt goes
// without a claim, one write less. A failure is recorded as usual; a success
// writes its outcome, or nothing at all when Effect.Mark publishes its event.
// On a later delivery with no record, an earlier one may have made an
// attempt it never recorded (its worker died), or may still be making it:
// the effect is in doubt since the message was stored. Effect.Resolve looks
// at once; when it finds nothing, every delivery waits one lease (as behind
// a live claim) before the doubt is resolved as for an abandoned claim.
type Asked struct {
	Delivery uint64    // the attempt (broker.Msg.Attempt): 1 when no worker had it before
	Stored   time.Time // when the server stored the message
}

// Resolution is what Effect.Resolve found. The zero value means: nothing
// happened, attempt now.
type Resolution struct {
	Happened bool            // the effect happened: record it done
	Result   json.RawMessage // what to remember of it
	Wait     time.Duration   // cannot tell yet: release the claim, look again after Wait
}

// Outcome is the effect's record after Do, and what this call did.
type Outcome struct {
	Entry
	Now    bool // this call performed the effect
	Parked bool // unknown and parked: ops must look
}

const (
	maxRounds   = 4               // claim races lost within one call
	busyRecheck = 2 * time.Second // how soon a live claim is looked at again
)

// Do brings the effect one step forward: it returns the outcome when the
// effect is done (now or before) or parked, else an error for the caller to
// return from its handler — retry.After when the broker should bring the
// message back later, retry.Permanent when the ledger gave up, or a plain
// error when NATS itself failed.
func (l *Ledger) Do(ctx context.Context, e Effect) (Outcome, error) {
	if !ValidKey(e.Key) {
		return Outcome{}, retry.Permanent(fmt.Errorf("%s: %q is not a valid ledger key", e.What, e.Key))
	}
	for range maxRounds {
		ent, err := l.Read(ctx, e.Key)
		if err != nil {
			return Outcome{}, err
		}
		unrecorded := ent.Revision == 0 && e.Asked.Delivery > 1 // see Asked
		var now time.Time
		var age time.Duration
		if ent.Revision > 0 && ent.State != Done || unrecorded {
			if now, err = l.Now(ctx); err != nil {
				return Outcome{}, err
			}
			age = now.Sub(ent.Written)
		}
		step, wait := Next(ent, age, l.abandoned(ent, e.Key), e.Policy)
		switch step {
		case Finished:
			return Outcome{Entry: ent}, nil
		case Parked:
			return Outcome{Entry: ent, Parked: true}, nil
		case Wait:
			why := ErrHeld
			if ent.State == Pending {
				why = ErrBusy
				if ent.Owner != "" {
					// The holder usually finishes long before its lease
					// (a claim in nobody's name waits it out: see
					// unrecorded).
					wait = min(wait, busyRecheck)
				}
			}
			return Outcome{Entry: ent}, retry.After(fmt.Errorf("%s: %w", e.What, why), wait)
		}
		claim := ent.Record
		claim.State, claim.Owner, claim.HoldMS = Pending, l.owner, 0
		if ent.Revision == 0 {
			claim.Data = e.Data
		}
		if ent.State == Dead {
			claim.Attempts = 0 // a new delivery after giving up: a replay, with a fresh budget
		}
		if unrecorded && !e.Asked.Stored.IsZero() {
			return l.unrecorded(ctx, e, now)
		}
		if step == Perform && ent.Revision == 0 && e.Asked.Delivery == 1 {
			// The first delivery of the only message that asks for it:
			// nobody else can hold it (see Asked), no claim is written.
			l.hold(e.Key)
			return l.tracedAttempt(ctx, e, step, claim, 0, now)
		}
		if ent.Revision > 0 && ent.State == Pending {
			// Its worker died mid-attempt: that attempt counts, and may
			// have had the effect.
			claim.Attempts++
			if claim.Doubt.IsZero() {
				claim.Doubt = ent.Written
			}
			l.log.Warn("taking over an abandoned claim", "effect", e.What, "key", e.Key, "owner", ent.Owner)
		}
		if step == Resolve && e.Policy.Park {
			claim.State, claim.Owner = Unknown, ""
			rev, err := l.Put(ctx, e.Key, claim, ent.Revision)
			if errors.Is(err, ErrLost) {
				continue
			}
			if err != nil {
				return Outcome{}, err
			}
			return Outcome{Entry: Entry{Record: claim, Revision: rev}, Parked: true}, nil
		}
		// Held before the claim is written, so that no call of this
		// process takes our fresh claim for an abandoned one.
		l.hold(e.Key)
		rev, err := l.Put(ctx, e.Key, claim, ent.Revision)
		if err != nil {
			l.release(e.Key)
			if errors.Is(err, ErrLost) {
				continue // someone else moved it: look again
			}
			return Outcome{}, err
		}
		return l.tracedAttempt(ctx, e, step, claim, rev, now)
	}
	return Outcome{}, retry.After(fmt.Errorf("%s: %w", e.What, ErrBusy), time.Second)
}

// unrecorded handles a later delivery of the one message that asks for e
// when there is no record (see Asked). Its first delivery attempted e
// without a claim and may have done it (the effect's mark tells), may have
// died, or may still be at it (a copy redelivered after AckWait while the
// first waited for a worker). Done: recorded done. Otherwise a claim in
// nobody's name, in doubt since the message was stored, holds every delivery
// off for one lease, after which the doubt is resolved as for an abandoned
// claim.
func (l *Ledger) unrecorded(ctx context.Context, e Effect, now time.Time) (Outcome, error) {
	doubt := Record{State: Pending, Doubt: e.Asked.Stored, Data: e.Data}
	if e.Resolve != nil {
		res, err := e.Resolve(ctx, doubt, now.Sub(doubt.Doubt))
		if err != nil {
			return Outcome{}, err
		}
		if res.Happened {
			done := Record{State: Done, Result: res.Result, Data: e.Data, Doubt: doubt.Doubt}
			rev, err := l.Put(ctx, e.Key, done, 0)
			if errors.Is(err, ErrLost) {
				return Outcome{}, retry.After(fmt.Errorf("%s: %w", e.What, ErrBusy), busyRecheck)
			}
			if err != nil {
				return Outcome{}, err
			}
			return Outcome{Entry: Entry{Record: done, Revision: rev}}, nil
		}
	}
	rev, err := l.Put(ctx, e.Key, doubt, 0)
	if errors.Is(err, ErrLost) {
		return Outcome{}, retry.After(fmt.Errorf("%s: %w", e.What, ErrBusy), busyRecheck) // written meanwhile: look again
	}
	if err != nil {
		return Outcome{}, err
	}
	l.log.Warn("an earlier delivery may still be attempting this effect without a claim; waiting one lease", "effect", e.What, "key", e.Key)
	return Outcome{Entry: Entry{Record: doubt, Revision: rev}},
		retry.After(fmt.Errorf("%s: %w (an earlier delivery may still be attempting it)", e.What, ErrBusy), e.Policy.Lease)
}

// attempt runs under the claim (revision rev, held by Do) and records what
// came of it.
func (l *Ledger) attempt(ctx context.Context, e Effect, step Step, claim Record, rev uint64, now time.Time) (Outcome, error) {
	defer l.release(e.Key)
	actx := ctx
	if e.Policy.Timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, e.Policy.Timeout)
		defer cancel()
	}
	if step == Resolve && e.Resolve != nil {
		since := now.Sub(claim.Doubt)
		res, err := e.Resolve(actx, claim, since)
		switch {
		case err != nil:
			return l.settle(ctx, e, claim, rev, err, true)
		case res.Happened:
			claim.State, claim.Owner, claim.Result, claim.Error = Done, "", res.Result, ""
			nrev, err := l.record(ctx, e, claim, rev)
			return Outcome{Entry: Entry{Record: claim, Revision: nrev}}, err
		case res.Wait > 0:
			claim.State, claim.Owner = Unknown, ""
			claim.setHold(res.Wait)
			if _, err := l.record(ctx, e, claim, rev); err != nil {
				return Outcome{}, err
			}
			return Outcome{}, retry.After(fmt.Errorf("%s: %w (the outcome of an earlier attempt cannot be told yet)", e.What, ErrHeld), res.Wait)
		}
		l.log.Warn("an earlier attempt may have had its effect; attempting again", "effect", e.What, "key", e.Key)
	}
	result, err := e.Attempt(actx, claim)
	if err != nil {
		doubtful := e.Doubtful != nil && e.Doubtful(err)
		return l.settle(ctx, e, claim, rev, fmt.Errorf("%s: %w", e.What, err), doubtful)
	}
	if e.Mark != nil {
		merr := e.Mark(ctx)
		if merr == nil {
			return Outcome{Entry: Entry{Record: claim, Revision: rev}, Now: true}, nil
		}
		// The effect happened but its event did not go out: record it
		// here so that nobody does it again, and let the caller retry the
		// event.
		claim.State, claim.Owner, claim.Result, claim.Error = Done, "", result, ""
		nrev, err := l.record(ctx, e, claim, rev)
		if err != nil {
			l.log.Warn("effect done but neither its event nor its record written", "effect", e.What, "key", e.Key, "err", err)
		}
		return Outcome{Entry: Entry{Record: claim, Revision: nrev}, Now: true}, merr
	}
	claim.State, claim.Owner, claim.Result, claim.Error = Done, "", result, ""
	nrev, err := l.record(ctx, e, claim, rev)
	if err != nil {
		// The effect happened; a later look resolves the doubt the
		// unrecorded claim leaves.
		l.log.Warn("effect done but not recorded", "effect", e.What, "key", e.Key, "err", err)
	}
	return Outcome{Entry: Entry{Record: claim, Revision: nrev}, Now: true}, nil
}

// settle records a failed attempt as Policy.settle decides.
func (l *Ledger) settle(ctx context.Context, e Effect, claim Record, rev uint64, err error, doubtful bool) (Outcome, error) {
	var at time.Time
	if doubtful && claim.Doubt.IsZero() {
		at, _ = l.Now(context.WithoutCancel(ctx)) // zero on failure: the record's own time then stands in
	}
	next, ret := e.Policy.settle(claim, err, doubtful, at)
	nrev, werr := l.record(ctx, e, next, rev)
	if werr != nil && ret == nil {
		ret = werr
	}
	switch {
	case next.State == Dead:
		l.log.Warn("effect given up", "effect", e.What, "key", e.Key, "attempts", next.Attempts, "err", err)
	case ret == nil:
		l.log.Warn("effect outcome unknown; parked", "effect", e.What, "key", e.Key, "err", err)
	default:
		l.log.Info("effect deferred", "effect", e.What, "key", e.Key, "attempts", next.Attempts, "hold", next.Hold(), "err", err)
	}
	return Outcome{Entry: Entry{Record: next, Revision: nrev}, Parked: ret == nil && next.State == Unknown}, ret
}

// record writes the outcome of our own attempt over our claim, a few times
// if NATS hiccups: losing it costs a doubt later, never a second effect.
func (l *Ledger) record(ctx context.Context, e Effect, r Record, rev uint64) (uint64, error) {
	ctx = context.WithoutCancel(ctx)
	var err error
	for i := range 3 {
		var nrev uint64
		if nrev, err = l.Put(ctx, e.Key, r, rev); err == nil {
			return nrev, nil
		}
		if errors.Is(err, ErrLost) {
			l.log.Warn("outcome not recorded: the claim was taken over after its lease", "effect", e.What, "key", e.Key)
			return 0, err
		}
		t := time.NewTimer(time.Duration(i+1) * 100 * time.Millisecond)
		<-t.C
	}
	return 0, err
}

// Read returns the effect's entry; Revision 0 when there is none.
func (l *Ledger) Read(ctx context.Context, key string) (Entry, error) {
	kve, err := l.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Entry{}, nil
	}
	if err != nil {
		return Entry{}, fmt.Errorf("reading effect %s: %w", key, err)
	}
	r, err := decode(kve.Value())
	if err != nil {
		return Entry{}, retry.Permanent(fmt.Errorf("decoding effect %s: %w", key, err))
	}
	return Entry{Record: r, Revision: kve.Revision(), Written: kve.Created()}, nil
}

// Put writes r over revision rev (0: only if there is no record), returning
// the new revision, or ErrLost when someone else wrote first.
func (l *Ledger) Put(ctx context.Context, key string, r Record, rev uint64) (uint64, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("encoding effect %s: %w", key, err)
	}
	if rev == 0 {
		rev, err = l.kv.Create(ctx, key, data)
	} else {
		rev, err = l.kv.Update(ctx, key, data, rev)
	}
	if events.Conflict(err) {
		return 0, fmt.Errorf("writing effect %s: %w", key, ErrLost)
	}
	if err != nil {
		return 0, fmt.Errorf("writing effect %s: %w", key, err)
	}
	return rev, nil
}

// Reopen starts an effect that is unknown (or dead) over again, as ops
// decided after looking: a new round with a fresh budget and data. It
// writes over revision rev of e and returns the new entry.
func (l *Ledger) Reopen(ctx context.Context, key string, e Entry, data json.RawMessage) (Entry, error) {
	r := Record{State: Queued, Round: e.Round + 1, Data: data}
	rev, err := l.Put(ctx, key, r, e.Revision)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Record: r, Revision: rev}, nil
}

// Now is the server's time: when the bucket's stream answered.
func (l *Ledger) Now(ctx context.Context) (time.Time, error) {
	st, err := l.kv.Status(ctx)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading the server's clock: %w", err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil || bs.StreamInfo().TimeStamp.IsZero() {
		return time.Time{}, errors.New("reading the server's clock: the server sent no timestamp (NATS 2.10 or later needed)")
	}
	return bs.StreamInfo().TimeStamp, nil
}

func (l *Ledger) hold(key string) {
	l.mu.Lock()
	l.holding[key]++
	l.mu.Unlock()
}

func (l *Ledger) release(key string) {
	l.mu.Lock()
	if l.holding[key]--; l.holding[key] <= 0 {
		delete(l.holding, key)
	}
	l.mu.Unlock()
}

// abandoned: a pending claim written under our name that no attempt of
// this process holds was left by an earlier run of this owner.
func (l *Ledger) abandoned(e Entry, key string) bool {
	if e.State != Pending || e.Owner != l.owner {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.holding[key] == 0
}
