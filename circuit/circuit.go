// Package circuit keeps a configuration error of one adapter (SMTP, an IMAP
// mailbox, the help desk) from turning into message errors. A refused
// password, an untrusted certificate or a rejected HELO fails every message
// the same way, so the first one opens the adapter's circuit: from then on
// every caller gets retry.After(…, until the next probe) without touching the
// server, nothing is dead-lettered, readiness names the adapter and the
// reason, and ops are told once. A probe — the adapter's own check, or the
// next real call — closes the circuit by itself once the fix is in.
//
// Only errors marked retry.Configuration count. Message errors (550 unknown
// user) and temporary ones (a 4xx, a refused connection) pass through
// untouched and neither open nor close the circuit: they are the broker's
// and the effect ledger's to retry or dead-letter.
//
// The state machine is sony/gobreaker's: it opens on the first
// configuration error, lets one call through once the probe interval has
// passed (half-open), and closes on its success.
package circuit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/retry"
)

// DefaultInterval is how often an open circuit is probed.
const DefaultInterval = 30 * time.Second

// Config describes one adapter's circuit.
type Config struct {
	Name string // shown in /readyz, logs and alerts, e.g. "smtp mail.example.com:587"
	Kind string // smtp, imap, helpdesk
	// Interval between probes while open; default DefaultInterval.
	Interval time.Duration
	// Probe checks the configuration without doing any work (an SMTP session
	// up to AUTH, a help-desk search). Optional: without it the next real
	// call after Interval is the probe. Run calls it.
	Probe func(ctx context.Context) error
	// Alert tells ops, once per opening; Run calls it and retries it while
	// the circuit stays open. Optional.
	Alert   func(ctx context.Context, s health.Status) error
	Logger  *slog.Logger
	Metrics *Metrics // optional
}

// OpenError is what callers get while the circuit is open. It wraps the
// configuration error that opened it.
type OpenError struct {
	Name     string
	Since    time.Time
	Interval time.Duration
	Cause    error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("%s unavailable since %s (circuit open, probing every %s): %v",
		e.Name, e.Since.UTC().Format(time.RFC3339), e.Interval, e.Cause)
}

func (e *OpenError) Unwrap() error { return e.Cause }

// Breaker is one adapter's circuit. It is safe for concurrent use.
type Breaker struct {
	cfg Config
	cb  *gobreaker.CircuitBreaker[struct{}]
	log *slog.Logger

	mu                   sync.Mutex
	cause                error         // the configuration error that opened the circuit, or the latest probe's
	since                time.Time     // when it opened (zero while closed)
	probeAt              time.Time     // when the next probe may run
	opening              uint64        // how many times it opened
	alerted              uint64        // the opening ops were told about
	wakeProbe, wakeAlert chan struct{} // a state change happened
	lastSeen             error         // the latest configuration error, for the state change hook
}

// New returns a closed circuit.
func New(cfg Config) *Breaker {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	b := &Breaker{cfg: cfg, wakeProbe: make(chan struct{}, 1), wakeAlert: make(chan struct{}, 1)}
	b.log = cfg.Logger.With("circuit", cfg.Name)
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        cfg.Name,
		MaxRequests: 1, // one probe at a time while half-open
		Timeout:     cfg.Interval,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		// Only a configuration error is a failure; only a success is a
		// success. A message error or a temporary one says nothing about
		// the configuration.
		IsSuccessful:  func(err error) bool { return err == nil },
		IsExcluded:    func(err error) bool { return err != nil && !retry.IsConfiguration(err) },
		OnStateChange: b.changed,
	})
	if cfg.Metrics != nil {
		cfg.Metrics.Open.WithLabelValues(cfg.Name).Set(0)
	}
	return b
}

// Name is the circuit's name.
func (b *Breaker) Name() string { return b.cfg.Name }

// Do runs fn unless the circuit is open. A configuration error from fn opens
// the circuit; it and every call turned away while open come back as
// retry.After(err, time until the next probe). Other errors pass through.
func (b *Breaker) Do(ctx context.Context, fn func(context.Context) error) error {
	var err error
	_, cbErr := b.cb.Execute(func() (struct{}, error) {
		err = fn(ctx)
		if retry.IsConfiguration(err) {
			b.mu.Lock()
			b.lastSeen = err
			b.mu.Unlock()
		}
		return struct{}{}, err
	})
	if errors.Is(cbErr, gobreaker.ErrOpenState) || errors.Is(cbErr, gobreaker.ErrTooManyRequests) {
		if b.cfg.Metrics != nil {
			b.cfg.Metrics.Rejected.WithLabelValues(b.cfg.Name).Inc()
		}
		return retry.After(b.openError(), b.wait())
	}
	if retry.IsConfiguration(err) {
		return retry.After(b.openError(), b.wait())
	}
	return err
}

// Open reports whether calls are being turned away (open or probing).
func (b *Breaker) Open() bool { return b.cb.State() != gobreaker.StateClosed }

// Health reports the circuit for /readyz: ready while closed.
func (b *Breaker) Health() health.Status {
	st := b.cb.State() // may move open → half-open: call before taking mu
	b.mu.Lock()
	defer b.mu.Unlock()
	s := health.Status{Name: b.cfg.Name, Kind: b.cfg.Kind, Ready: st == gobreaker.StateClosed, State: "closed"}
	switch st {
	case gobreaker.StateOpen:
		s.State = "open"
	case gobreaker.StateHalfOpen:
		s.State = "probing"
	}
	if !s.Ready {
		s.Since = b.since
		if b.cause != nil {
			s.Reason = reason(b.cause)
		}
	}
	return s
}

// reason bounds an error's text for /readyz, logs and alerts.
func reason(err error) string {
	s := err.Error()
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

func (b *Breaker) openError() *OpenError {
	b.mu.Lock()
	defer b.mu.Unlock()
	cause := b.cause
	if cause == nil {
		cause = b.lastSeen
	}
	if cause == nil {
		cause = retry.Configuration(errors.New("circuit open"))
	}
	return &OpenError{Name: b.cfg.Name, Since: b.since, Interval: b.cfg.Interval, Cause: cause}
}

// wait is how long a turned-away caller should stay away: until the next
// probe, plus a little jitter so that parked work does not return at once.
func (b *Breaker) wait() time.Duration {
	b.mu.Lock()
	d := time.Until(b.probeAt)
	b.mu.Unlock()
	if d < time.Second {
		d = min(time.Second, b.cfg.Interval)
	}
	return d + rand.N(b.cfg.Interval/10+1)
}

// changed runs under gobreaker's lock on every transition: it only records
// and logs, never calls back into the breaker.
func (b *Breaker) changed(_ string, from, to gobreaker.State) {
	now := time.Now()
	b.mu.Lock()
	openSince := b.since
	switch to {
	case gobreaker.StateOpen:
		b.probeAt = now.Add(b.cfg.Interval)
		if b.lastSeen != nil {
			b.cause = b.lastSeen
		}
		if from == gobreaker.StateClosed {
			b.since = now
			b.opening++
		}
	case gobreaker.StateClosed:
		b.since, b.cause, b.lastSeen = time.Time{}, nil, nil
	}
	cause, opening := b.cause, b.opening
	b.mu.Unlock()
	for _, w := range []chan struct{}{b.wakeProbe, b.wakeAlert} {
		select {
		case w <- struct{}{}:
		default:
		}
	}

	m := b.cfg.Metrics
	switch {
	case to == gobreaker.StateOpen && from == gobreaker.StateClosed:
		if m != nil {
			m.Open.WithLabelValues(b.cfg.Name).Set(1)
			m.Opened.WithLabelValues(b.cfg.Name).Inc()
		}
		// The one ERROR line of this opening; what follows is quieter.
		b.log.Error("circuit open: configuration error; work waits (nothing is dead-lettered) and resumes by itself once a probe succeeds",
			"kind", b.cfg.Kind, "reason", errText(cause), "probe_every", b.cfg.Interval, "opening", opening)
	case to == gobreaker.StateOpen:
		b.log.Debug("probe failed; circuit stays open", "reason", errText(cause))
	case to == gobreaker.StateHalfOpen:
		b.log.Debug("circuit half-open: next call is a probe")
	case to == gobreaker.StateClosed:
		if m != nil {
			m.Open.WithLabelValues(b.cfg.Name).Set(0)
		}
		b.log.Info("circuit closed: probe succeeded, work resumes", "kind", b.cfg.Kind, "was_open_since", openSince, "was_open_for", now.Sub(openSince).Round(time.Millisecond))
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return reason(err)
}

// Run probes the circuit while it is open and raises the ops alert once per
// opening, until ctx ends. Without Run, the next real call after the probe
// interval is the probe and no alert is sent.
func (b *Breaker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer b.recoverLog("alerting")
		b.alertLoop(ctx)
	}()
	defer wg.Wait()
	defer b.recoverLog("probing")
	b.probeLoop(ctx)
	return ctx.Err()
}

func (b *Breaker) recoverLog(what string) {
	if v := recover(); v != nil {
		b.log.Error("circuit "+what+" panicked", "panic", v)
	}
}

func (b *Breaker) probeLoop(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		t.Stop()
		var wait <-chan time.Time
		if b.cfg.Probe != nil && b.Open() {
			b.mu.Lock()
			d := time.Until(b.probeAt)
			b.mu.Unlock()
			if d <= 0 {
				b.probe(ctx)
				d = b.cfg.Interval // still open or half-open: next round
			}
			t.Reset(d)
			wait = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wakeProbe:
		case <-wait:
		}
	}
}

// probe runs the adapter's check through the breaker, as a real call would.
func (b *Breaker) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, max(b.cfg.Interval, 30*time.Second))
	defer cancel()
	err := b.Do(pctx, b.cfg.Probe)
	if err != nil {
		if c, _ := retry.Classify(err); c != retry.ClassConfiguration {
			// Not a verdict on the configuration (server unreachable):
			// stay half-open and try again after the interval.
			b.log.Debug("probe inconclusive", "err", err)
			b.mu.Lock()
			b.probeAt = time.Now().Add(b.cfg.Interval)
			b.mu.Unlock()
		}
	}
}

func (b *Breaker) alertLoop(ctx context.Context) {
	backoff := retry.Policy{Initial: time.Second, Max: 5 * time.Minute}
	failures := 0
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		t.Stop()
		var retryIn <-chan time.Time
		b.mu.Lock()
		pending := b.opening > b.alerted && !b.since.IsZero()
		opening := b.opening
		if pending && b.cfg.Alert == nil {
			b.alerted, pending = opening, false
		}
		b.mu.Unlock()
		if pending {
			actx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err := b.cfg.Alert(actx, b.Health())
			cancel()
			if err == nil {
				failures = 0
				b.mu.Lock()
				b.alerted = opening
				b.mu.Unlock()
				continue
			}
			if ctx.Err() != nil {
				return
			}
			failures++
			d := backoff.Delay(failures)
			b.log.Warn("alerting ops failed; will retry", "err", err, "retry_in", d)
			t.Reset(d)
			retryIn = t.C
		}
		select {
		case <-ctx.Done():
			return
		case <-b.wakeAlert:
		case <-retryIn:
		}
	}
}

// Metrics are the circuit series, labelled by circuit name.
type Metrics struct {
	Open     *prometheus.GaugeVec
	Opened   *prometheus.CounterVec
	Rejected *prometheus.CounterVec
}

// NewMetrics registers the circuit series on reg (nil: unregistered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "acctflow_circuit_open", Help: "1 while an adapter's circuit is open after a configuration error.",
		}, []string{"circuit"}),
		Opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_circuit_opened_total", Help: "Times an adapter's circuit opened (each raises one ops alert).",
		}, []string{"circuit"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "acctflow_circuit_rejected_total", Help: "Calls turned away (deferred) while a circuit was open.",
		}, []string{"circuit"}),
	}
	if reg != nil {
		reg.MustRegister(m.Open, m.Opened, m.Rejected)
	}
	return m
}
