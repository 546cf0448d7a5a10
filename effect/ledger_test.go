package effect_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/retry"
)

func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	return brokertest.KV(t, brokertest.Connect(t, brokertest.Server(t)), broker.BucketMailSent)
}

var fast = retry.Policy{Initial: time.Millisecond, Max: 4 * time.Millisecond}

// counting is an attempt that counts its calls and returns what next says.
type counting struct {
	n    atomic.Int32
	next func(n int32) error
}

func (c *counting) attempt(context.Context, effect.Record) ([]byte, error) {
	n := c.n.Add(1)
	if c.next == nil {
		return []byte(`"ok"`), nil
	}
	return []byte(`"ok"`), c.next(n)
}

// untilSettled calls Do as redeliveries would, until it returns something
// other than a wait; it returns the last outcome and error.
func untilSettled(t *testing.T, l *effect.Ledger, e effect.Effect) (effect.Outcome, error) {
	t.Helper()
	var out effect.Outcome
	var err error
	brokertest.CheckFor(t, 10*time.Second, time.Millisecond, func() error {
		out, err = l.Do(context.Background(), e)
		if _, later := retry.RetryAfter(err); later && !retry.IsPermanent(err) {
			return err
		}
		return nil
	})
	return out, err
}

func TestDoneOnceAndNeverAgain(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	var c counting
	e := effect.Effect{Key: effect.Key("confirmation", "REQ-1"), What: "test", Policy: effect.Policy{Lease: time.Minute, Budget: 3}, Attempt: c.attempt}
	for i := range 3 {
		out, err := l.Do(context.Background(), e)
		if err != nil || out.State != effect.Done || out.Now != (i == 0) || string(out.Result) != `"ok"` {
			t.Fatalf("call %d: %+v %v", i, out, err)
		}
	}
	if c.n.Load() != 1 {
		t.Fatalf("%d attempts", c.n.Load())
	}
}

// A claim whose worker died is respected for its lease, measured on the
// server's clock, and then taken over; the dead worker's attempt counts.
func TestAbandonedClaimIsTakenOverAfterItsLease(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	key := effect.Key("ticket", "CHG-1")
	dead := effect.NewLedger(kv, "dead-worker", brokertest.Logger(t))
	if _, err := dead.Put(ctx, key, effect.Record{State: effect.Pending, Owner: "dead-worker"}, 0); err != nil {
		t.Fatal(err)
	}
	l := effect.NewLedger(kv, "", brokertest.Logger(t))
	var c counting
	var resolvedSince time.Duration
	const lease = 2 * time.Second // long enough that the first look below is within it, even on a loaded machine
	e := effect.Effect{Key: key, What: "test", Policy: effect.Policy{Lease: lease, Budget: 3}, Attempt: c.attempt,
		Resolve: func(_ context.Context, r effect.Record, since time.Duration) (effect.Resolution, error) {
			resolvedSince = since
			return effect.Resolution{}, nil
		}}
	_, err := l.Do(ctx, e)
	if d, ok := retry.RetryAfter(err); !ok || !errors.Is(err, effect.ErrBusy) || d <= 0 || d > lease {
		t.Fatalf("live claim: %v (wait %v)", err, d)
	}
	out, err := untilSettled(t, l, e)
	if err != nil || !out.Now || c.n.Load() != 1 {
		t.Fatalf("after the lease: %+v %v, %d attempts", out, err, c.n.Load())
	}
	if out.Attempts != 1 || out.Doubt.IsZero() || resolvedSince < lease {
		t.Fatalf("the dead worker's attempt is not on record: %+v, resolved %v after the doubt", out.Record, resolvedSince)
	}
}

// A claim written under this ledger's own (stable) name that no attempt of
// this process holds was left by an earlier run: taken back at once.
func TestOwnClaimFromAnEarlierRunIsTakenBackAtOnce(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	key := effect.Key("create_account", "REQ-1")
	before := effect.NewLedger(kv, "driver-aaaa", brokertest.Logger(t))
	if _, err := before.Put(ctx, key, effect.Record{State: effect.Pending, Owner: "driver-aaaa"}, 0); err != nil {
		t.Fatal(err)
	}
	restarted := effect.NewLedger(kv, "driver-aaaa", brokertest.Logger(t))
	var c counting
	out, err := restarted.Do(ctx, effect.Effect{Key: key, What: "test", Policy: effect.Policy{Lease: time.Hour, Budget: 3, Park: true}, Attempt: c.attempt})
	if err != nil || !out.Parked || out.State != effect.Unknown || c.n.Load() != 0 {
		t.Fatalf("%+v %v, %d attempts", out, err, c.n.Load())
	}
}

// Two callers in one process: the second sees the first's claim as live.
func TestConcurrentCallsOfOneProcessDoNotTakeEachOthersClaim(t *testing.T) {
	l := effect.NewLedger(bucket(t), "driver-stable", brokertest.Logger(t))
	release := make(chan struct{})
	started := make(chan struct{})
	var c counting
	e := effect.Effect{Key: effect.Key("x", "1"), What: "test", Policy: effect.Policy{Lease: time.Hour, Budget: 3},
		Attempt: func(ctx context.Context, r effect.Record) ([]byte, error) {
			close(started)
			<-release
			return c.attempt(ctx, r)
		}}
	done := make(chan error, 1)
	go func() {
		_, err := l.Do(context.Background(), e)
		done <- err
	}()
	<-started
	_, err := l.Do(context.Background(), e)
	close(release)
	if !errors.Is(err, effect.ErrBusy) {
		t.Fatalf("second call: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestBudgetThenDeadAndAReplayStartsAfresh(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	c := counting{next: func(int32) error { return errors.New("451 try later") }}
	e := effect.Effect{Key: effect.Key("confirmation", "REQ-B"), What: "test", Policy: effect.Policy{Lease: time.Minute, Budget: 4, Backoff: fast}, Attempt: c.attempt}
	_, err := untilSettled(t, l, e)
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "gave up after 4 attempts") || c.n.Load() != 4 {
		t.Fatalf("%v after %d attempts", err, c.n.Load())
	}
	// The handler dead-lettered it; a replay is a new delivery with a new budget.
	c.next = nil
	out, err := l.Do(context.Background(), e)
	if err != nil || !out.Now || c.n.Load() != 5 {
		t.Fatalf("replay: %+v %v, %d attempts", out, err, c.n.Load())
	}
}

func TestHoldIsHonouredAcrossCalls(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	c := counting{next: func(n int32) error {
		if n == 1 {
			return errors.New("503")
		}
		return nil
	}}
	e := effect.Effect{Key: effect.Key("t", "hold"), What: "test", Attempt: c.attempt,
		Policy: effect.Policy{Lease: time.Minute, Budget: 5, Backoff: retry.Policy{Initial: time.Hour, Max: time.Hour}}}
	_, err := l.Do(context.Background(), e)
	d, ok := retry.RetryAfter(err)
	if !ok || d < 30*time.Minute {
		t.Fatalf("first: %v", err)
	}
	// An early redelivery (another copy of the message) does not attempt.
	_, err = l.Do(context.Background(), e)
	if d, ok := retry.RetryAfter(err); !ok || !errors.Is(err, effect.ErrHeld) || d < 30*time.Minute || c.n.Load() != 1 {
		t.Fatalf("early redelivery: %v (%v), %d attempts", err, d, c.n.Load())
	}
}

func TestDeferralsAreNotAttempts(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	c := counting{next: func(n int32) error {
		switch {
		case n <= 5:
			return retry.After(errors.New("circuit open"), time.Millisecond)
		case n == 6:
			return errors.New("451")
		}
		return nil
	}}
	// A budget of two: five deferrals and one failure leave one attempt.
	e := effect.Effect{Key: effect.Key("t", "defer"), What: "test", Attempt: c.attempt, Policy: effect.Policy{Lease: time.Minute, Budget: 2, Backoff: fast}}
	out, err := untilSettled(t, l, e)
	if err != nil || out.State != effect.Done || out.Attempts != 1 || c.n.Load() != 7 {
		t.Fatalf("%+v %v after %d calls", out.Record, err, c.n.Load())
	}
}

func TestDoubtfulOutcomeIsResolvedBeforeAnotherAttempt(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	errTimeout := errors.New("timeout: the ticket may exist")
	c := counting{next: func(int32) error { return errTimeout }}
	var resolves atomic.Int32
	e := effect.Effect{Key: effect.Key("ticket", "CHG.1"), What: "test", Attempt: c.attempt,
		Policy:   effect.Policy{Lease: time.Minute, Budget: 5, Backoff: fast},
		Doubtful: func(err error) bool { return errors.Is(err, errTimeout) },
		Resolve: func(_ context.Context, r effect.Record, since time.Duration) (effect.Resolution, error) {
			if resolves.Add(1) == 1 {
				return effect.Resolution{Wait: time.Millisecond}, nil // the search may lag
			}
			return effect.Resolution{Happened: true, Result: json.RawMessage(`{"id":"7"}`)}, nil
		}}
	_, err := l.Do(context.Background(), e)
	if _, ok := retry.RetryAfter(err); !ok {
		t.Fatalf("first: %v", err)
	}
	if got, _ := l.Read(context.Background(), e.Key); got.State != effect.Unknown || got.Doubt.IsZero() || got.Attempts != 1 {
		t.Fatalf("after a doubtful failure: %+v", got.Record)
	}
	out, err := untilSettled(t, l, e)
	if err != nil || out.State != effect.Done || string(out.Result) != `{"id":"7"}` || c.n.Load() != 1 || resolves.Load() != 2 {
		t.Fatalf("%+v %v: %d attempts, %d resolves", out, err, c.n.Load(), resolves.Load())
	}
}

func TestParkedEffectWaitsForReopen(t *testing.T) {
	l := effect.NewLedger(bucket(t), "", brokertest.Logger(t))
	ctx := context.Background()
	errNoAnswer := errors.New("connection reset")
	c := counting{next: func(n int32) error {
		if n == 1 {
			return errNoAnswer
		}
		return nil
	}}
	e := effect.Effect{Key: effect.Key("create_account", "REQ-P"), What: "test", Attempt: c.attempt,
		Policy: effect.Policy{Lease: time.Minute, Budget: 5, Park: true}, Doubtful: func(err error) bool { return errors.Is(err, errNoAnswer) }}
	for range 3 {
		out, err := l.Do(ctx, e)
		if err != nil || !out.Parked || out.State != effect.Unknown || c.n.Load() != 1 {
			t.Fatalf("%+v %v, %d attempts", out, err, c.n.Load())
		}
	}
	ent, _ := l.Read(ctx, e.Key)
	if _, err := l.Reopen(ctx, e.Key, ent, json.RawMessage(`{"retry":1}`)); err != nil {
		t.Fatal(err)
	}
	out, err := l.Do(ctx, e)
	if err != nil || !out.Now || out.Round != 1 || string(out.Data) != `{"retry":1}` || c.n.Load() != 2 {
		t.Fatalf("after reopen: %+v %v, %d attempts", out, err, c.n.Load())
	}
	if _, err := l.Reopen(ctx, e.Key, ent, nil); !errors.Is(err, effect.ErrLost) {
		t.Fatalf("reopen over a stale revision: %v", err)
	}
}

func TestKeysOfDottedIdsNeverCollideAndAreValid(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	seen := map[string][]string{}
	for _, parts := range [][]string{
		{"clarification", "REQ.1", "abc"}, {"clarification", "REQ", "1.abc"},
		{"confirmation", "REQ..1"}, {"confirmation", ".REQ2"}, {"confirmation", "REQ3."},
		{"ops_alert.unknown", "REQ-1"}, {"ops_alert", "unknown.REQ-1"},
	} {
		k := effect.Key(parts[0], parts[1:]...)
		if prev, dup := seen[k]; dup {
			t.Fatalf("%v and %v share key %q", prev, parts, k)
		}
		seen[k] = parts
		if !effect.ValidKey(k) {
			t.Fatalf("%v: %q is not a valid key", parts, k)
		}
		if _, err := kv.Create(ctx, k, []byte("x")); err != nil {
			t.Fatalf("%v: NATS refuses %q: %v", parts, k, err)
		}
	}
	for _, k := range []string{"", ".a", "a.", "a..b", "a b", "a*"} {
		if effect.ValidKey(k) {
			t.Errorf("%q passed as valid", k)
		}
	}
}

func TestOutboxRecordsOfEarlierVersionsAreHonoured(t *testing.T) {
	kv := bucket(t)
	if _, err := kv.Create(context.Background(), "confirmation.REQ-OLD", []byte(`{"state":"sent","message_id":"x@y","to":"a@b","at":"2026-01-01T00:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	var c counting
	out, err := effect.NewLedger(kv, "", nil).Do(context.Background(), effect.Effect{Key: effect.Key("confirmation", "REQ-OLD"), What: "test", Attempt: c.attempt, Policy: effect.Policy{Budget: 1}})
	if err != nil || out.State != effect.Done || c.n.Load() != 0 {
		t.Fatalf("%+v %v, %d attempts", out, err, c.n.Load())
	}
}

// The ledger never reads this host's clock: leases and holds are measured
// on the server's (record timestamps against a stream info timestamp), so
// hosts with skewed clocks agree.
func TestNoLocalClockInTheLedger(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		file, err := parser.ParseFile(fset, f, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); ok && id.Name == "time" {
				switch sel.Sel.Name {
				case "Now", "Since", "Until":
					t.Errorf("%s: time.%s: the ledger must measure time on the server's clock", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
}

// Now is the server's, and records carry the server's timestamps.
func TestServerClock(t *testing.T) {
	kv := bucket(t)
	l := effect.NewLedger(kv, "", nil)
	ctx := context.Background()
	before, err := l.Now(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(ctx, "k", effect.Record{State: effect.Done}, 0); err != nil {
		t.Fatal(err)
	}
	ent, _ := l.Read(ctx, "k")
	after, _ := l.Now(ctx)
	if ent.Written.Before(before) || ent.Written.After(after) {
		t.Fatalf("written %v not within server times %v .. %v", ent.Written, before, after)
	}
}

// A copy of the one message that asks for an effect redelivered while its
// first delivery is still attempting it without a claim (the first waited
// for a worker past AckWait): the copy finds no record and no mark, so it
// holds off for one lease instead of attempting too; when the lease is up
// it finds the first delivery's mark and records the effect done. With no
// mark after the lease, it attempts again.
func TestUnrecordedEffectWaitsALease(t *testing.T) {
	kv := bucket(t)
	ctx := context.Background()
	l := effect.NewLedger(kv, "", brokertest.Logger(t))
	const lease = 2 * time.Second // the copy's first look must fall within it, even on a loaded machine
	stored := time.Now()
	for _, c := range []struct {
		name   string
		marked bool // the first delivery's attempt succeeds and publishes its mark
		want   int32
	}{{"first delivery succeeds", true, 1}, {"first delivery dies", false, 2}} {
		t.Run(c.name, func(t *testing.T) {
			key := effect.Key("test", strings.ReplaceAll(c.name, " ", "-"))
			var attempts atomic.Int32
			var marked atomic.Bool
			started, release := make(chan struct{}), make(chan struct{})
			effectFor := func(delivery uint64) effect.Effect {
				return effect.Effect{Key: key, What: "test", Policy: effect.Policy{Lease: lease, Budget: 3},
					Asked: effect.Asked{Delivery: delivery, Stored: stored},
					Attempt: func(context.Context, effect.Record) ([]byte, error) {
						if attempts.Add(1) == 1 {
							close(started)
							<-release
							if !c.marked {
								return nil, errors.New("killed")
							}
						}
						return nil, nil
					},
					Mark: func(context.Context) error { marked.Store(true); return nil },
					Resolve: func(context.Context, effect.Record, time.Duration) (effect.Resolution, error) {
						return effect.Resolution{Happened: marked.Load()}, nil
					},
				}
			}
			first := make(chan error, 1)
			go func() {
				_, err := l.Do(ctx, effectFor(1))
				first <- err
			}()
			<-started
			_, err := l.Do(ctx, effectFor(2))
			if d, ok := retry.RetryAfter(err); !errors.Is(err, effect.ErrBusy) || !ok || d != lease || attempts.Load() != 1 {
				t.Fatalf("the copy while the first attempts: %v (wait %v), %d attempts", err, d, attempts.Load())
			}
			close(release)
			<-first
			out, err := untilSettled(t, l, effectFor(3))
			// Found: recorded done. Attempted again: its mark is its record.
			if err != nil || attempts.Load() != c.want || c.marked && out.State != effect.Done || !c.marked && !out.Now {
				t.Fatalf("after the lease: %+v %v, %d attempts, want %d", out.Record, err, attempts.Load(), c.want)
			}
		})
	}
}
