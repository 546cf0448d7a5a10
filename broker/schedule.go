package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// Timers are JetStream message schedules (nats-server 2.12+) on a stream of
// their own, TIMERS. A timer of some kind and key is one schedule message on
// timer.sched.<kind>.<key>; when it is due, the server itself publishes its
// payload on timer.fire.<kind>.<key>, where a handler's durable consumer
// takes it like any other input (FireSubjects). Nothing scans for due work:
// the server keeps the schedules in a timing wheel and fires each once.
//
// There is at most one schedule per subject: scheduling a (kind, key) again
// replaces the pending one, and Cancel replaces it with a marker that is no
// schedule and expires a second later (a roll-up with a per-message TTL:
// a publish on the timer's own subject, so NATS permissions can confine a
// service to its own timers, which a subject-filtered purge cannot). TIMERS is a work queue, so
// a fired message leaves the stream once its handler acks it, and the stream
// holds only pending schedules and fired messages not yet handled.
//
// The server's clock decides when a timer fires; what a timer is for (its
// due time, the state it was planned from) travels in its payload, so a
// handler checks on arrival that it still applies.
const (
	TimerStream = "TIMERS"

	timerSchedPrefix = "timer.sched."
	timerFirePrefix  = "timer.fire."
)

// Headers of the schedules and of the messages they fire.
const (
	HeaderSchedule         = "Nats-Schedule"
	HeaderScheduleTarget   = "Nats-Schedule-Target"
	HeaderScheduleTimeZone = "Nats-Schedule-Time-Zone"
	// HeaderScheduleNext is set by the server on every fired message: the
	// next time a repeating schedule fires, or "purge" for a one-off.
	HeaderScheduleNext = "Nats-Schedule-Next"
	// HeaderScheduler is set by the server on every fired message: the
	// subject of the schedule that fired it.
	HeaderScheduler = "Nats-Scheduler"
	// HeaderTimerDue is ours: when a one-off timer was meant to fire.
	HeaderTimerDue = "acctflow-timer-due"
)

var (
	timerKind = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	// A key is one or more NATS subject tokens, as events.JoinKey builds.
	timerKey = regexp.MustCompile(`^[A-Za-z0-9_=-]+(\.[A-Za-z0-9_=-]+)*$`)
)

// timerStreamConfig is TIMERS as Topology.Ensure provisions it.
func timerStreamConfig(replicas int) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        TimerStream,
		Description: "acctflow timers: message schedules (timer.sched.>) and the messages they fire (timer.fire.>)",
		Subjects:    []string{"timer.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		// A fired message is removed when its handler acks it; a schedule
		// is never consumed and stays until it fires or is cancelled.
		Retention:         jetstream.WorkQueuePolicy,
		Discard:           jetstream.DiscardOld,
		AllowMsgSchedules: true,
		AllowRollup:       true,
		AllowMsgTTL:       true, // cancellation markers expire
		Duplicates:        DuplicateWindow,
		MaxMsgSize:        1 << 16,
	}
}

// streamFor returns the stream a consumer of these subjects reads: TIMERS
// for timer subjects, ACCOUNTS for everything else; a mix is an error.
func streamFor(subjects []string) (string, error) {
	timers := 0
	for _, s := range subjects {
		if strings.HasPrefix(s, "timer.") {
			timers++
		}
	}
	switch timers {
	case 0:
		return events.Stream, nil
	case len(subjects):
		return TimerStream, nil
	}
	return "", fmt.Errorf("consumer subjects %v mix timers and events: one consumer reads one stream", subjects)
}

// FireSubjects is the consumer filter of a handler that acts on the timers
// of kind.
func FireSubjects(kind string) []string { return []string{timerFirePrefix + kind + ".>"} }

// Fired describes a message a schedule fired.
type Fired struct {
	Kind string
	Key  string
	// Next is the server's next firing time of a repeating schedule (zero
	// for a one-off timer): it is distinct for every firing, so it names
	// the firing in idempotency keys.
	Next string
	// Due is when a one-off timer was meant to fire (zero if unknown).
	Due time.Time
}

// ParseFired reads what fired a message on timer.fire.<kind>.<key>.
func ParseFired(subject string, h nats.Header) (Fired, bool) {
	rest, ok := strings.CutPrefix(subject, timerFirePrefix)
	if !ok {
		return Fired{}, false
	}
	kind, key, ok := strings.Cut(rest, ".")
	if !ok || !timerKind.MatchString(kind) || !timerKey.MatchString(key) {
		return Fired{}, false
	}
	f := Fired{Kind: kind, Key: key}
	if next := h.Get(HeaderScheduleNext); next != "purge" {
		f.Next = next
	}
	if due, err := time.Parse(time.RFC3339Nano, h.Get(HeaderTimerDue)); err == nil {
		f.Due = due
	}
	return f, true
}

// withoutSchedule drops the headers the server set on a fired message
// (Nats-Scheduler, Nats-Schedule-Next): a client may not publish them, so
// a dead letter or a replay of a fired timer must go without them.
func withoutSchedule(h nats.Header) {
	for k := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(k), "Nats-Schedule") {
			delete(h, k)
		}
	}
}

// Timers schedules and cancels timers on the TIMERS stream.
type Timers struct {
	JS jetstream.JetStream
}

func subjects(kind, key string) (sched, fire string, err error) {
	if !timerKind.MatchString(kind) {
		return "", "", fmt.Errorf("timer kind %q must match %s", kind, timerKind)
	}
	if !timerKey.MatchString(key) {
		return "", "", fmt.Errorf("timer key %q must be subject tokens (events.JoinKey)", key)
	}
	return timerSchedPrefix + kind + "." + key, timerFirePrefix + kind + "." + key, nil
}

// At schedules data to be published on timer.fire.<kind>.<key> at the given
// time (at once when it is past), replacing any pending timer of the same
// kind and key. The time keeps its sub-second part, so tests can run on
// millisecond durations; the server fires no sooner than 250 ms after it
// last looked.
func (t Timers) At(ctx context.Context, kind, key string, at time.Time, data []byte) error {
	sched, fire, err := subjects(kind, key)
	if err != nil {
		return err
	}
	due := at.UTC().Format(time.RFC3339Nano)
	h := nats.Header{}
	h.Set(HeaderSchedule, "@at "+due)
	h.Set(HeaderScheduleTarget, fire)
	h.Set(HeaderTimerDue, due)
	setTimerTrace(ctx, h) // trace.go: the step that fires links to this one
	if _, err := t.JS.PublishMsg(ctx, &nats.Msg{Subject: sched, Header: h, Data: data}); err != nil {
		return fmt.Errorf("scheduling timer %s.%s at %s: %w", kind, key, due, err)
	}
	return nil
}

// Cancel removes the pending timer of kind and key, if there is one. A
// message it already fired is not recalled: handlers check on arrival.
func (t Timers) Cancel(ctx context.Context, kind, key string) error {
	sched, _, err := subjects(kind, key)
	if err != nil {
		return err
	}
	return t.cancel(ctx, sched)
}

// CancelUnder removes every pending timer of kind whose key starts with
// prefix followed by a dot (prefix.a, prefix.b.c, ...).
func (t Timers) CancelUnder(ctx context.Context, kind, prefix string) error {
	sched, _, err := subjects(kind, prefix)
	if err != nil {
		return err
	}
	s, err := t.JS.Stream(ctx, TimerStream)
	if err != nil {
		return fmt.Errorf("cancelling timers %s.>: %w", sched, err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(sched+".>"))
	if err != nil {
		return fmt.Errorf("cancelling timers %s.>: %w", sched, err)
	}
	for subject := range info.State.Subjects {
		if err := t.cancel(ctx, subject); err != nil {
			return err
		}
	}
	return nil
}

// cancelTTL is how long a cancellation marker stays (the least TTL).
const cancelTTL = time.Second

func (t Timers) cancel(ctx context.Context, sched string) error {
	msg := nats.NewMsg(sched)
	msg.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	if _, err := t.JS.PublishMsg(ctx, msg, jetstream.WithMsgTTL(cancelTTL)); err != nil {
		return fmt.Errorf("cancelling timer %s: %w", sched, err)
	}
	return nil
}

// Cron ensures a repeating schedule: data is published on
// timer.fire.<kind>.<key> at every time the 6-field cron expression
// (seconds first; or @daily, @hourly, ...) names in the IANA time zone tz
// ("" for UTC). Every replica may call it at start-up: a schedule that is
// already the same is left alone, so its next firing does not move, and
// one stream fires it once, however many processes run.
func (t Timers) Cron(ctx context.Context, kind, key, cron, tz string, data []byte) error {
	sched, fire, err := subjects(kind, key)
	if err != nil {
		return err
	}
	if strings.HasPrefix(cron, "@at ") || strings.HasPrefix(cron, "@every ") || strings.TrimSpace(cron) == "" {
		return fmt.Errorf("cron schedule %q: want a 6-field cron expression or @daily, @hourly, ...", cron)
	}
	if tz == "" {
		tz = "UTC"
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("cron schedule time zone %q: %w", tz, err)
	}
	h := nats.Header{}
	h.Set(HeaderSchedule, cron)
	h.Set(HeaderScheduleTarget, fire)
	h.Set(HeaderScheduleTimeZone, tz)
	s, err := t.JS.Stream(ctx, TimerStream)
	if err != nil {
		return fmt.Errorf("scheduling %s.%s: %w", kind, key, err)
	}
	cur, err := s.GetLastMsgForSubject(ctx, sched)
	switch {
	case err == nil && sameSchedule(cur, h, data):
		return nil
	case err != nil && !errors.Is(err, jetstream.ErrMsgNotFound):
		return fmt.Errorf("reading schedule %s.%s: %w", kind, key, err)
	}
	if _, err := t.JS.PublishMsg(ctx, &nats.Msg{Subject: sched, Header: h, Data: data}); err != nil {
		return fmt.Errorf("scheduling %s.%s (%s %s): %w", kind, key, cron, tz, err)
	}
	return nil
}

func sameSchedule(cur *jetstream.RawStreamMsg, h nats.Header, data []byte) bool {
	for _, k := range []string{HeaderSchedule, HeaderScheduleTarget, HeaderScheduleTimeZone} {
		if cur.Header.Get(k) != h.Get(k) {
			return false
		}
	}
	return string(cur.Data) == string(data)
}

// Pending reports whether a timer of kind and key is scheduled and has not
// fired yet.
func (t Timers) Pending(ctx context.Context, kind, key string) (bool, error) {
	sched, _, err := subjects(kind, key)
	if err != nil {
		return false, err
	}
	s, err := t.JS.Stream(ctx, TimerStream)
	if err != nil {
		return false, err
	}
	last, err := s.GetLastMsgForSubject(ctx, sched)
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return last.Header.Get(HeaderSchedule) != "", nil // not a cancellation marker
}
