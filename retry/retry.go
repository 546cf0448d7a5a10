// Package retry classifies failures and retries the temporary ones with capped
// exponential backoff and jitter. Adapters mark their errors (Permanent, After,
// Configuration); Classify is the one place that reads the marks, and both
// Do and the broker decide with it.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as one that retrying cannot fix (a 5xx SMTP reply, a
// schema violation, an HTTP 400).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or any error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type afterError struct {
	err   error
	delay time.Duration
}

func (e afterError) Error() string { return e.err.Error() }
func (e afterError) Unwrap() error { return e.err }

// After marks err as temporary with a server-given earliest retry time
// (Retry-After, throttling hints).
func After(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return afterError{err, d}
}

// RetryAfter returns the delay attached by After, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var a afterError
	if errors.As(err, &a) {
		return a.delay, true
	}
	return 0, false
}

type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// Configuration marks err as a fault of the configuration (ours or the
// server's), not of the message: a refused password (SMTP 535/530, IMAP
// AUTHENTICATIONFAILED), an untrusted certificate, a rejected HELO, a help
// desk's 401/403. Retrying the message cannot fix it and dead-lettering it
// would be wrong: the adapter's circuit opens and the work waits for the fix.
func Configuration(err error) error {
	if err == nil {
		return nil
	}
	return configError{err}
}

// IsConfiguration reports whether err, or any error it wraps, was marked
// Configuration.
func IsConfiguration(err error) bool {
	var c configError
	return errors.As(err, &c)
}

// Class is what a failed attempt means for the work behind it.
type Class int

const (
	// ClassSuccess: no error.
	ClassSuccess Class = iota
	// ClassTemporary: try again with backoff; give up after a budget of failures.
	ClassTemporary
	// ClassDeferred: "come back in the given delay" (a lease held elsewhere, a
	// Retry-After, an open circuit). Not a failure: it never counts towards
	// giving up.
	ClassDeferred
	// ClassConfiguration: a configuration error. Like Deferred it never gives up;
	// the adapter's circuit decides when to try again.
	ClassConfiguration
	// ClassPermanent: give up now.
	ClassPermanent
)

func (c Class) String() string {
	switch c {
	case ClassSuccess:
		return "success"
	case ClassTemporary:
		return "temporary"
	case ClassDeferred:
		return "deferred"
	case ClassConfiguration:
		return "configuration"
	case ClassPermanent:
		return "permanent"
	}
	return "unknown"
}

// Classify reads the marks on err, the one place that does. A configuration
// error wins over every other mark (it must never be dead-lettered), then
// Permanent, then After. The delay is the one attached by After, if any.
func Classify(err error) (Class, time.Duration) {
	if err == nil {
		return ClassSuccess, 0
	}
	d, hinted := RetryAfter(err)
	switch {
	case IsConfiguration(err):
		return ClassConfiguration, d
	case IsPermanent(err):
		return ClassPermanent, 0
	case hinted:
		return ClassDeferred, d
	}
	return ClassTemporary, 0
}

// Policy is a capped exponential backoff with full jitter.
type Policy struct {
	Initial  time.Duration // first delay
	Max      time.Duration // cap on any one delay
	Attempts int           // total tries, including the first; 0 means until ctx ends
}

// Default suits calls to SMTP servers and HTTP APIs.
var Default = Policy{Initial: 200 * time.Millisecond, Max: 30 * time.Second, Attempts: 6}

// Delay returns the wait before retry number attempt (1-based), jittered
// uniformly in [d/2, d] so that replicas do not retry in lockstep.
func (p Policy) Delay(attempt int) time.Duration {
	d := p.Initial
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// Do calls fn until it succeeds, fails permanently or with a configuration
// error (retrying in a loop cannot fix either), runs out of attempts or ctx
// ends. A Retry-After hint longer than the computed delay wins, as the server
// asked. The last error is returned.
func Do(ctx context.Context, p Policy, fn func(context.Context) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if c, _ := Classify(err); c == ClassSuccess || c == ClassPermanent || c == ClassConfiguration {
			return err
		}
		if p.Attempts > 0 && attempt >= p.Attempts {
			return err
		}
		wait := p.Delay(attempt)
		if hint, ok := RetryAfter(err); ok && hint > wait {
			wait = hint
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}
