package effect

import (
	"fmt"
	"time"

	"github.com/acctflow/acctflow/retry"
)

// Policy is one kind of effect's retry and lease policy.
type Policy struct {
	// Lease is how long a pending claim is respected after it was
	// written, on the server's clock. It must exceed Timeout plus the
	// time to record the outcome.
	Lease time.Duration
	// Timeout bounds one attempt (the caller's context may end sooner).
	// 0: only the caller's context.
	Timeout time.Duration
	// Budget is the number of attempts before giving up; the attempt
	// that reaches it is the last.
	Budget int
	// Backoff is the hold after the n-th failed attempt.
	Backoff retry.Policy
	// Park: an attempt that may have had its effect is never retried by
	// itself; the record stays unknown until Reopen (CreateAccount).
	Park bool
}

// Step is what to do about an effect now.
type Step int

const (
	// Perform: claim the effect and make an attempt.
	Perform Step = iota
	// Resolve: claim the effect, then find out what an earlier attempt
	// that may have had its effect did (Effect.Resolve); for a parked
	// effect, record it unknown.
	Resolve
	// Wait: come back after the returned duration (a live claim, a hold).
	Wait
	// Finished: the effect happened.
	Finished
	// Parked: unknown, and never retried by itself.
	Parked
)

func (s Step) String() string {
	return [...]string{"perform", "resolve", "wait", "finished", "parked"}[s]
}

// Next decides what to do about an effect from its entry (Revision 0: none),
// the age of that revision on the server's clock, and whether its pending
// claim was left by an earlier run of this very owner (abandoned: the
// process that wrote it is gone, whatever its lease says).
func Next(e Entry, age time.Duration, abandoned bool, p Policy) (Step, time.Duration) {
	if e.Revision == 0 {
		return Perform, 0
	}
	held := func() (time.Duration, bool) {
		left := e.Hold() - age
		return left, left > 0
	}
	switch e.State {
	case Done:
		return Finished, 0
	case Pending:
		if left := p.Lease - age; left > 0 && !abandoned {
			return Wait, left
		}
		return Resolve, 0 // its worker died mid-attempt
	case Unknown:
		if p.Park {
			return Parked, 0
		}
		if left, ok := held(); ok {
			return Wait, left
		}
		return Resolve, 0
	case Failed, Queued:
		if left, ok := held(); ok {
			return Wait, left
		}
	}
	// Failed, Queued, or Dead (a new delivery after giving up: a replay,
	// which starts a fresh budget). A doubt is never forgotten.
	if !e.Doubt.IsZero() {
		if p.Park {
			return Parked, 0
		}
		return Resolve, 0
	}
	return Perform, 0
}

// settle decides, in one place, what an attempt that ended with err (never
// nil) leaves in the record and what the caller returns:
//
//   - a permanent error: dead, retry.Permanent;
//   - a deferral (retry.After from the adapter: Retry-After, an open
//     circuit): the claim is released with that hold, the attempt not
//     counted, retry.After;
//   - a parked effect's doubtful error: unknown, nil (the caller alerts);
//   - otherwise the attempt counts: with the budget spent, dead and
//     retry.Permanent; else failed (unknown when doubtful) with the
//     backoff as hold, and retry.After(err, hold).
//
// c is the claim the attempt ran under; doubtAt is the server's time, used
// when the error is doubtful and no doubt is recorded yet.
func (p Policy) settle(c Record, err error, doubtful bool, doubtAt time.Time) (Record, error) {
	next := c
	next.Owner, next.Error, next.HoldMS = "", err.Error(), 0
	if retry.IsPermanent(err) {
		next.State = Dead
		return next, err
	}
	if d, ok := retry.RetryAfter(err); ok && !doubtful {
		next.State = Failed
		if !next.Doubt.IsZero() {
			next.State = Unknown
		}
		next.setHold(d)
		return next, err
	}
	next.Attempts++
	if doubtful && next.Doubt.IsZero() {
		next.Doubt = doubtAt
	}
	if doubtful && p.Park {
		next.State = Unknown
		return next, nil
	}
	if next.Attempts >= max(p.Budget, 1) {
		next.State = Dead
		return next, retry.Permanent(fmt.Errorf("gave up after %d attempts: %w", next.Attempts, err))
	}
	next.State = Failed
	if !next.Doubt.IsZero() {
		next.State = Unknown
	}
	hold := p.Backoff.Delay(next.Attempts)
	if d, ok := retry.RetryAfter(err); ok && d > hold {
		hold = d
	}
	next.setHold(hold)
	return next, retry.After(err, next.Hold())
}
