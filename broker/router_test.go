package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/logging/logtest"
	"github.com/acctflow/acctflow/retry"
)

const maxFailures = 6 // brokertest.Run's budget

func payload(requestID string) []byte {
	b, _ := json.Marshal(map[string]string{"request_id": requestID})
	return b
}

// counting returns a handler on subject whose attempts are counted and
// answered by f (given the attempt number, 1-based).
func counting(name, subject string, calls *atomic.Int32, f func(n int32) error) broker.Handler {
	return broker.Handler{Name: name, Subjects: []string{subject}, Handle: func(context.Context, broker.Msg) error {
		return f(calls.Add(1))
	}}
}

func dlqHeader(t *testing.T, m jetstream.Msg, k string) string {
	t.Helper()
	return m.Headers().Get(k)
}

// A transient failure is one attempt per delivery: no in-process retry loop
// multiplies it. The message is dead-lettered after exactly the budget.
func TestTransientFailureIsOneAttemptPerDeliveryAndDeadLettersAtTheBudget(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	brokertest.Run(t, conn, counting("flaky", "acct.test.flaky", &calls, func(int32) error {
		return errors.New("451 4.3.0 try again later")
	}))
	brokertest.PublishRaw(t, conn, "acct.test.flaky", payload("REQ-1"), "m1")
	brokertest.WaitCount(t, conn, "dlq.acct.test.flaky", 1)
	brokertest.WaitIdle(t, conn, "flaky")
	if n := calls.Load(); n != maxFailures {
		t.Fatalf("%d attempts for one failing message, want exactly %d (one per delivery)", n, maxFailures)
	}
	dl := brokertest.Messages(t, conn, "dlq.acct.test.flaky")[0]
	if got := dlqHeader(t, dl, broker.HeaderFailures); got != fmt.Sprint(maxFailures) {
		t.Fatalf("%s = %q", broker.HeaderFailures, got)
	}
	if got := dlqHeader(t, dl, broker.HeaderHandler); got != "flaky" {
		t.Fatalf("%s = %q", broker.HeaderHandler, got)
	}
}

// Deferrals never count: a message deferred many more times than the
// failure budget, with a few failures among them, is handled in the end.
func TestDeferralsDoNotCountTowardsTheDeadLetterLimit(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	const deferrals = 3 * maxFailures
	brokertest.Run(t, conn, counting("lease", "acct.test.lease", &calls, func(n int32) error {
		switch {
		case n <= deferrals:
			return retry.After(errors.New("another worker holds the lease"), 5*time.Millisecond)
		case n <= deferrals+maxFailures-1:
			return errors.New("connection reset") // failures, one short of the budget
		}
		return nil
	}))
	brokertest.PublishRaw(t, conn, "acct.test.lease", payload("REQ-2"), "m2")
	brokertest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := calls.Load(); n < deferrals+maxFailures {
			return fmt.Errorf("%d attempts", n)
		}
		return nil
	})
	brokertest.WaitIdle(t, conn, "lease")
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters: deferrals were counted as failures", n)
	}
	if n := calls.Load(); n != deferrals+maxFailures {
		t.Fatalf("%d attempts, want %d", n, deferrals+maxFailures)
	}
}

// An open circuit (a configuration error) defers and never dead-letters,
// however long it lasts.
func TestConfigurationErrorsAreNeverDeadLettered(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	brokertest.Run(t, conn, counting("smtpauth", "acct.test.smtpauth", &calls, func(n int32) error {
		if n <= 3*maxFailures {
			return retry.After(retry.Configuration(errors.New("535 5.7.8 authentication failed")), 5*time.Millisecond)
		}
		return nil
	}))
	brokertest.PublishRaw(t, conn, "acct.test.smtpauth", payload("REQ-3"), "m3")
	brokertest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := calls.Load(); n <= 3*maxFailures {
			return fmt.Errorf("%d attempts", n)
		}
		return nil
	})
	brokertest.WaitIdle(t, conn, "smtpauth")
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters for a configuration error", n)
	}
}

// Two replicas share one failure budget: the count lives in KV, not in
// either process.
func TestReplicasShareTheFailureBudget(t *testing.T) {
	s := brokertest.Server(t)
	a, b := brokertest.Connect(t, s), brokertest.Connect(t, s)
	var calls atomic.Int32
	h := counting("shared", "acct.test.shared", &calls, func(int32) error { return errors.New("503 try later") })
	brokertest.Run(t, a, h)
	brokertest.Run(t, b, h)
	for i := range 5 {
		brokertest.PublishRaw(t, a, "acct.test.shared", payload(fmt.Sprintf("REQ-%d", i)), fmt.Sprintf("s%d", i))
	}
	brokertest.WaitCount(t, a, "dlq.acct.test.shared", 5)
	brokertest.WaitIdle(t, a, "shared")
	if n := calls.Load(); n != 5*maxFailures {
		t.Fatalf("%d attempts over two replicas for 5 messages, want %d", n, 5*maxFailures)
	}
}

// A handler slower than AckWait keeps its message: the heartbeat stops the
// server from handing it to the second replica meanwhile.
func TestSlowEffectIsNotRedeliveredToAnotherWorker(t *testing.T) {
	s := brokertest.Server(t)
	a, b := brokertest.Connect(t, s), brokertest.Connect(t, s)
	// AckWait leaves the heartbeat (every AckWait/3) room for a loaded
	// machine's scheduling delays: a beat late by more than 2/3 s would
	// let the server redeliver.
	const ackWait = time.Second
	var calls atomic.Int32
	h := broker.Handler{Name: "slow", Subjects: []string{"acct.test.slow"}, AckWait: ackWait,
		Handle: func(ctx context.Context, _ broker.Msg) error {
			calls.Add(1)
			// The effect itself takes three AckWaits (an SMTP server that
			// answers slowly); this is the work, not the test waiting.
			select {
			case <-time.After(3 * ackWait):
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}}
	brokertest.Run(t, a, h)
	brokertest.Run(t, b, h)
	brokertest.PublishRaw(t, a, "acct.test.slow", payload("REQ-SLOW"), "slow1")
	brokertest.WaitCalls(t, &calls, 1)
	brokertest.WaitIdle(t, a, "slow")
	if n := calls.Load(); n != 1 {
		t.Fatalf("the slow effect ran %d times: it was redelivered while still running", n)
	}
	cons, err := a.JS.Consumer(context.Background(), events.Stream, "slow")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered != 0 || info.Delivered.Consumer != 1 {
		t.Fatalf("server redelivered: %+v", info)
	}
}

// An attempt's context ends at the handler's Timeout, so a hung call cannot
// keep its message alive forever through the heartbeat.
func TestAttemptHasADeadline(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	brokertest.Run(t, conn, broker.Handler{Name: "hung", Subjects: []string{"acct.test.hung"}, Timeout: 50 * time.Millisecond,
		Handle: func(ctx context.Context, _ broker.Msg) error {
			if calls.Add(1) > 1 {
				return nil
			}
			<-ctx.Done() // a call that never returns on its own
			return ctx.Err()
		}})
	brokertest.PublishRaw(t, conn, "acct.test.hung", payload("REQ-H"), "h1")
	brokertest.WaitCalls(t, &calls, 2)
	brokertest.WaitIdle(t, conn, "hung")
}

func effectFailed(t *testing.T, conn *broker.Conn) []events.EffectFailed {
	t.Helper()
	var out []events.EffectFailed
	for _, m := range brokertest.Messages(t, conn, events.SubjectEffectFailed) {
		var ev events.EffectFailed
		if err := events.Unmarshal("effect-failed", m.Data(), &ev); err != nil {
			t.Fatalf("acct.effect.failed does not fit its schema: %v", err)
		}
		out = append(out, ev)
	}
	return out
}

// A dead-lettered effect lands on its request: acct.effect.failed with the
// server's words and the dead letter's sequence, once.
func TestDeadLetteredEffectIsRecordedOnTheRequest(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var calls atomic.Int32
	h := counting("confirm", "acct.test.confirm", &calls, func(int32) error {
		return retry.Permanent(errors.New("550 5.1.1 <j***@northwind.example>: Recipient address rejected: User unknown"))
	})
	h.Effect, h.EffectKind = events.EffectEmail, "confirmation"
	var other atomic.Int32
	plain := counting("plain", "acct.test.plain", &other, func(int32) error { return retry.Permanent(errors.New("schema violation")) })
	brokertest.Run(t, conn, h, plain)
	brokertest.PublishRaw(t, conn, "acct.test.confirm", payload("REQ..1"), "c1")
	brokertest.PublishRaw(t, conn, "acct.test.plain", payload("REQ-P"), "p1")
	// A payload about no request: dead-lettered, nothing to record it on
	// (the alerts handler could only fail on it in turn).
	brokertest.PublishRaw(t, conn, "acct.test.confirm", []byte(`{}`), "c2")
	brokertest.WaitCount(t, conn, "dlq.>", 3)
	brokertest.WaitCount(t, conn, events.SubjectEffectFailed, 1)
	brokertest.WaitIdle(t, conn, "confirm")
	brokertest.WaitIdle(t, conn, "plain")
	evs := effectFailed(t, conn)
	if len(evs) != 1 {
		t.Fatalf("%d effect.failed events, want 1 (none for a handler without an effect)", len(evs))
	}
	ev := evs[0]
	var seq uint64 // the dead letter of REQ..1 (the other is about no request)
	for _, dl := range brokertest.Messages(t, conn, "dlq.acct.test.confirm") {
		if md, _ := dl.Metadata(); strings.Contains(string(dl.Data()), "REQ..1") {
			seq = md.Sequence.Stream
		}
	}
	if ev.RequestID != "REQ..1" || ev.Effect != events.EffectEmail || ev.Kind != "confirmation" ||
		ev.Outcome != events.OutcomeDeadLettered || ev.Handler != "confirm" || ev.Input != "acct.test.confirm" ||
		ev.DLQSeq != seq || seq == 0 || ev.Error == "" {
		t.Fatalf("effect.failed %+v (dlq seq %d)", ev, seq)
	}
	if want := "550 5.1.1"; !strings.Contains(ev.Error, want) {
		t.Fatalf("error %q lacks the server's words %q", ev.Error, want)
	}
	if calls.Load() != 2 {
		t.Fatalf("2 permanent failures were attempted %d times, want once each", calls.Load())
	}
}

// An effect blocked behind an open circuit is recorded once per request and
// opening, however often it is deferred.
func TestBlockedEffectIsRecordedOncePerOpening(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	b := circuit.New(circuit.Config{Name: "smtp test", Kind: "smtp", Interval: time.Hour, Logger: brokertest.Logger(t)})
	_ = b.Do(context.Background(), func(context.Context) error {
		return retry.Configuration(errors.New("535 5.7.8 authentication failed"))
	})
	var calls atomic.Int32
	h := broker.Handler{Name: "blocked", Subjects: []string{"acct.test.blocked"}, Effect: events.EffectEmail, EffectKind: "confirmation",
		Handle: func(ctx context.Context, _ broker.Msg) error {
			if calls.Add(1) > 6 {
				return nil
			}
			err := b.Do(ctx, func(context.Context) error { return nil })
			var open *circuit.OpenError
			if !errors.As(err, &open) {
				return fmt.Errorf("circuit not open: %v", err)
			}
			return retry.After(err, 5*time.Millisecond) // come back soon, for the test
		}}
	brokertest.Run(t, conn, h)
	brokertest.PublishRaw(t, conn, "acct.test.blocked", payload("REQ-B"), "b1")
	brokertest.WaitCalls(t, &calls, 7)
	brokertest.WaitIdle(t, conn, "blocked")
	evs := effectFailed(t, conn)
	if len(evs) != 1 || evs[0].Outcome != events.OutcomeBlocked || evs[0].RequestID != "REQ-B" || !strings.Contains(evs[0].Error, "535") {
		t.Fatalf("effect.failed events %+v, want one 'blocked' with the reason", evs)
	}
	if n := brokertest.Count(t, conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters behind an open circuit", n)
	}
}

// A replayed dead letter is for the handler that gave up on it: another
// handler on the same subject acks it unseen.
func TestReplayForOneHandlerSkipsTheOthers(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var target, bystander atomic.Int32
	brokertest.Run(t, conn,
		counting("target", "acct.test.replay", &target, func(int32) error { return nil }),
		counting("bystander", "acct.test.replay", &bystander, func(int32) error { return nil }))
	m := payload("REQ-R")
	msg := natsMsg("acct.test.replay", m)
	msg.Header.Set(broker.HeaderReplayFor, "target")
	if _, err := conn.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	brokertest.WaitCalls(t, &target, 1)
	brokertest.WaitIdle(t, conn, "bystander")
	brokertest.WaitIdle(t, conn, "target")
	if bystander.Load() != 0 {
		t.Fatalf("the bystander handled a replay meant for another handler")
	}
}

func natsMsg(subject string, data []byte) *nats.Msg {
	return &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
}

// Deferrals and the failures before the budget is spent are not errors in
// the log: only a dead letter is.
func TestDeferralsAreNotLoggedAsErrors(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	var logs logtest.Buffer
	var calls atomic.Int32
	h := counting("quiet", "acct.test.quiet", &calls, func(n int32) error {
		switch {
		case n <= 3:
			return retry.After(errors.New("lease held by another worker"), 5*time.Millisecond)
		case n <= 4:
			return retry.After(retry.Configuration(errors.New("535 authentication failed")), 5*time.Millisecond)
		case n <= 5:
			return errors.New("451 try later")
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		done <- broker.Run(ctx, conn, broker.RouterConfig{
			Topology:   broker.Topology{Replicas: 1},
			Logger:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Metrics:    broker.NewMetrics(prometheus.NewRegistry()),
			Redelivery: retry.Policy{Initial: 5 * time.Millisecond, Max: 10 * time.Millisecond},
			Started:    func() { close(started) },
		}, []broker.Handler{h})
	}()
	defer func() { cancel(); <-done }()
	<-started
	brokertest.PublishRaw(t, conn, "acct.test.quiet", payload("REQ-Q"), "q1")
	brokertest.WaitCalls(t, &calls, 6)
	brokertest.WaitIdle(t, conn, "quiet")
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("deferrals or a retried failure logged at ERROR:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "handling deferred") {
		t.Fatalf("deferrals not logged at all:\n%s", logs.String())
	}
}

// Each replica of a handler has its own in-flight budget: two processes on
// one consumer hold twice InFlight messages at once, and neither more than
// its own InFlight.
func TestEachReplicaHasItsOwnInFlightBudget(t *testing.T) {
	s := brokertest.Server(t)
	a, b := brokertest.Connect(t, s), brokertest.Connect(t, s)
	const inFlight = 3
	release := make(chan struct{})
	var total atomic.Int32
	replica := func(busy *atomic.Int32, most *atomic.Int32) broker.Handler {
		return broker.Handler{Name: "slow", Subjects: []string{"acct.test.slow"}, InFlight: inFlight,
			Handle: func(ctx context.Context, m broker.Msg) error {
				n := busy.Add(1)
				for {
					if old := most.Load(); n <= old || most.CompareAndSwap(old, n) {
						break
					}
				}
				total.Add(1)
				defer busy.Add(-1)
				defer total.Add(-1)
				<-release
				return nil
			}}
	}
	var busyA, busyB, mostA, mostB atomic.Int32
	brokertest.Run(t, a, replica(&busyA, &mostA))
	brokertest.Run(t, b, replica(&busyB, &mostB))
	for i := range 4 * inFlight {
		brokertest.PublishRaw(t, a, "acct.test.slow", payload(fmt.Sprintf("REQ-S%04d", i)), fmt.Sprintf("slow-%d", i))
	}
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := total.Load(); n < 2*inFlight {
			return fmt.Errorf("%d messages in progress, want %d", n, 2*inFlight)
		}
		return nil
	})
	close(release)
	brokertest.WaitIdle(t, a, "slow")
	if mostA.Load() > inFlight || mostB.Load() > inFlight {
		t.Fatalf("a replica held more than its budget: %d and %d, want at most %d", mostA.Load(), mostB.Load(), inFlight)
	}
}

// A replica that stops gives back at once what it had fetched but not
// started (a nak), instead of leaving it counted as delivered until AckWait
// expires: another replica, or this one restarted, takes it right away, as
// a first attempt (a confirmation's first attempt needs no claim).
// (Only some stops find a message fetched and not yet started, so it stops
// eight times.)
func TestStoppingReplicaGivesBackWhatItFetched(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	const inFlight, perRound, rounds = 4, 20, 8
	var started, handled, givenBack, notFirst atomic.Int32
	handler := func(release chan struct{}) broker.Handler {
		return broker.Handler{Name: "fetched", Subjects: []string{"acct.test.fetched"}, InFlight: inFlight, AckWait: time.Minute,
			Handle: func(_ context.Context, m broker.Msg) error {
				if release != nil {
					started.Add(1)
					<-release
				} else if m.Deliveries > 1 {
					// Given back unstarted: still the first attempt.
					givenBack.Add(1)
					if m.Attempt() != 1 {
						notFirst.Add(1)
					}
				}
				handled.Add(1)
				return nil
			}}
	}
	for round := range rounds {
		started.Store(0)
		release := make(chan struct{})
		stop := brokertest.Run(t, conn, handler(release))
		for i := range perRound {
			id := fmt.Sprintf("REQ-F%d-%04d", round, i)
			brokertest.PublishRaw(t, conn, "acct.test.fetched", payload(id), id)
		}
		brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			if s := started.Load(); s < inFlight {
				return fmt.Errorf("%d messages in progress, want %d", s, inFlight)
			}
			return nil
		})
		// Stop with inFlight messages in progress and more fetched behind
		// them.
		stopped := make(chan struct{})
		go func() {
			stop()
			close(stopped)
		}()
		close(release)
		<-stopped
		stop = brokertest.Run(t, conn, handler(nil))
		// Well before AckWait (a minute) would have given anything back.
		want := int32((round + 1) * perRound)
		brokertest.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
			if h := handled.Load(); h < want {
				return fmt.Errorf("round %d: %d of %d handled", round+1, h, want)
			}
			return nil
		})
		stop()
	}
	if givenBack.Load() == 0 {
		t.Fatal("no stop gave a message back: nothing was tested")
	}
	if n := notFirst.Load(); n > 0 {
		t.Fatalf("%d of %d messages given back unstarted came back as a later attempt", n, givenBack.Load())
	}
}
