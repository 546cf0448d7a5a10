package effect

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
)

func TestNext(t *testing.T) {
	doubt := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := Policy{Lease: time.Minute}
	park := Policy{Lease: time.Minute, Park: true}
	ent := func(s State, hold time.Duration, withDoubt bool) Entry {
		e := Entry{Record: Record{State: s}, Revision: 3}
		e.setHold(hold)
		if withDoubt {
			e.Doubt = doubt
		}
		return e
	}
	for _, c := range []struct {
		name      string
		e         Entry
		age       time.Duration
		abandoned bool
		p         Policy
		want      Step
		wait      time.Duration
	}{
		{"no record", Entry{}, 0, false, p, Perform, 0},
		{"done", ent(Done, 0, false), time.Hour, false, p, Finished, 0},
		{"live claim", ent(Pending, 0, false), 10 * time.Second, false, p, Wait, 50 * time.Second},
		{"claim past its lease: its worker died", ent(Pending, 0, false), 61 * time.Second, false, p, Resolve, 0},
		{"claim an earlier run of this owner left", ent(Pending, 0, false), time.Second, true, p, Resolve, 0},
		{"parked effect: claim past its lease", ent(Pending, 0, false), 61 * time.Second, false, park, Resolve, 0},
		{"failed, holding", ent(Failed, 30*time.Second, false), 10 * time.Second, false, p, Wait, 20 * time.Second},
		{"failed, hold over", ent(Failed, 30*time.Second, false), 31 * time.Second, false, p, Perform, 0},
		{"failed after a doubt: the doubt stays", ent(Failed, 0, true), time.Second, false, p, Resolve, 0},
		{"unknown, holding", ent(Unknown, 30*time.Second, true), time.Second, false, p, Wait, 29 * time.Second},
		{"unknown, hold over", ent(Unknown, 30*time.Second, true), time.Minute, false, p, Resolve, 0},
		{"unknown, parked", ent(Unknown, 0, true), time.Hour, false, park, Parked, 0},
		{"queued (reopened)", ent(Queued, 0, false), 0, false, park, Perform, 0},
		{"dead: a new delivery is a replay", ent(Dead, 0, false), time.Hour, false, p, Perform, 0},
		{"dead after a doubt: resolve first", ent(Dead, 0, true), time.Hour, false, p, Resolve, 0},
	} {
		got, wait := Next(c.e, c.age, c.abandoned, c.p)
		if got != c.want || wait != c.wait {
			t.Errorf("%s: %s %v, want %s %v", c.name, got, wait, c.want, c.wait)
		}
	}
}

func TestSettleIsTheOnePlaceThatDecidesRetryOrGiveUp(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := Policy{Budget: 3, Backoff: retry.Policy{Initial: 10 * time.Second, Max: time.Minute}}
	transient := errors.New("451 try later")
	for _, c := range []struct {
		name      string
		p         Policy
		claim     Record
		err       error
		doubtful  bool
		state     State
		attempts  int
		hold      [2]time.Duration // range, jitter included
		ret       string           // "after", "permanent", "nil"
		doubtSet  bool
		retryHint time.Duration
	}{
		{"first transient failure", p, Record{}, transient, false, Failed, 1, [2]time.Duration{5 * time.Second, 10 * time.Second}, "after", false, 0},
		{"second transient failure backs off more", p, Record{Attempts: 1}, transient, false, Failed, 2, [2]time.Duration{10 * time.Second, 20 * time.Second}, "after", false, 0},
		{"the budget is spent", p, Record{Attempts: 2}, transient, false, Dead, 3, [2]time.Duration{0, 0}, "permanent", false, 0},
		{"permanent at once", p, Record{}, retry.Permanent(errors.New("550 no such user")), false, Dead, 0, [2]time.Duration{0, 0}, "permanent", false, 0},
		{"a deferral is not an attempt", p, Record{Attempts: 2}, retry.After(errors.New("circuit open"), 42*time.Second), false, Failed, 2, [2]time.Duration{42 * time.Second, 42 * time.Second}, "after", false, 42 * time.Second},
		{"a deferral keeps a doubt", p, Record{Doubt: now}, retry.After(errors.New("429"), time.Second), false, Unknown, 0, [2]time.Duration{time.Second, time.Second}, "after", true, time.Second},
		{"doubtful: unknown, counted", p, Record{}, transient, true, Unknown, 1, [2]time.Duration{5 * time.Second, 10 * time.Second}, "after", true, 0},
		{"doubtful with the budget spent", p, Record{Attempts: 2}, transient, true, Dead, 3, [2]time.Duration{0, 0}, "permanent", true, 0},
		{"parked effect: doubtful parks", Policy{Budget: 3, Park: true}, Record{}, transient, true, Unknown, 1, [2]time.Duration{0, 0}, "nil", true, 0},
		{"parked effect: an answered refusal still retries", Policy{Budget: 3, Park: true, Backoff: p.Backoff}, Record{}, transient, false, Failed, 1, [2]time.Duration{5 * time.Second, 10 * time.Second}, "after", false, 0},
		{"a longer Retry-After on a counted failure wins", p, Record{}, retry.After(errors.New("throttled"), time.Minute), true, Unknown, 1, [2]time.Duration{time.Minute, time.Minute}, "after", true, time.Minute},
	} {
		next, ret := c.p.settle(c.claim, c.err, c.doubtful, now)
		if next.State != c.state || next.Attempts != c.attempts || next.Hold() < c.hold[0] || next.Hold() > c.hold[1] {
			t.Errorf("%s: %s after %d attempts, hold %v; want %s, %d, hold in %v", c.name, next.State, next.Attempts, next.Hold(), c.state, c.attempts, c.hold)
		}
		if (next.Doubt != time.Time{}) != c.doubtSet {
			t.Errorf("%s: doubt %v", c.name, next.Doubt)
		}
		if next.Error == "" || next.Owner != "" {
			t.Errorf("%s: error %q owner %q", c.name, next.Error, next.Owner)
		}
		d, after := retry.RetryAfter(ret)
		switch c.ret {
		case "nil":
			if ret != nil {
				t.Errorf("%s: returned %v, want nil", c.name, ret)
			}
		case "permanent":
			if !retry.IsPermanent(ret) {
				t.Errorf("%s: returned %v, want permanent", c.name, ret)
			}
		case "after":
			if !after || retry.IsPermanent(ret) || d != next.Hold() {
				t.Errorf("%s: returned %v (after %v %v), want retry.After(hold %v)", c.name, ret, d, after, next.Hold())
			}
		}
		if c.state == Dead && c.attempts == 3 && !strings.Contains(ret.Error(), "gave up after 3 attempts") {
			t.Errorf("%s: %v", c.name, ret)
		}
	}
}
