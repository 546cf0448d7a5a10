package circuit_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/logging/logtest"
	"github.com/acctflow/acctflow/retry"
)

// poll calls f until it returns nil; the test's own deadline bounds it.
func poll(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var errAuth = retry.Configuration(errors.New("535 5.7.8 Error: authentication failed"))

func newBreaker(t *testing.T, cfg circuit.Config) (*circuit.Breaker, *logtest.Buffer, *circuit.Metrics) {
	t.Helper()
	var logs logtest.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Metrics = circuit.NewMetrics(prometheus.NewRegistry())
	if cfg.Name == "" {
		cfg.Name = "smtp test"
	}
	return circuit.New(cfg), &logs, cfg.Metrics
}

func TestConfigurationErrorOpensAndDefersEveryCaller(t *testing.T) {
	b, logs, m := newBreaker(t, circuit.Config{Interval: time.Hour})
	calls := 0
	fail := func(context.Context) error { calls++; return errAuth }
	err := b.Do(context.Background(), fail)
	class, delay := retry.Classify(err)
	if class != retry.ClassConfiguration || delay <= 0 {
		t.Fatalf("first failure: class %v delay %v (%v); want a configuration error with a delay", class, delay, err)
	}
	for range 5 {
		err = b.Do(context.Background(), fail)
		var open *circuit.OpenError
		if !errors.As(err, &open) || !strings.Contains(err.Error(), "535") {
			t.Fatalf("while open: %v; want an OpenError carrying the server's words", err)
		}
		if c, d := retry.Classify(err); c == retry.ClassPermanent || c == retry.ClassTemporary || d < 30*time.Minute {
			t.Fatalf("while open: class %v delay %v; want a deferral until the next probe", c, d)
		}
	}
	if calls != 1 {
		t.Fatalf("the server was called %d times; an open circuit must not call it", calls)
	}
	h := b.Health()
	if h.Ready || h.State != "open" || !strings.Contains(h.Reason, "535") || h.Since.IsZero() {
		t.Fatalf("health %+v", h)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines, want exactly one per opening:\n%s", n, logs)
	}
	if got := testutil.ToFloat64(m.Opened.WithLabelValues("smtp test")); got != 1 {
		t.Fatalf("opened metric %v", got)
	}
	if got := testutil.ToFloat64(m.Rejected.WithLabelValues("smtp test")); got != 5 {
		t.Fatalf("rejected metric %v", got)
	}
}

func TestMessageAndTemporaryErrorsPassThrough(t *testing.T) {
	b, _, _ := newBreaker(t, circuit.Config{Interval: time.Hour})
	unknownUser := retry.Permanent(errors.New("550 5.1.1 unknown user"))
	refused := errors.New("connection refused")
	for range 10 {
		if err := b.Do(context.Background(), func(context.Context) error { return unknownUser }); !errors.Is(err, unknownUser) || !retry.IsPermanent(err) {
			t.Fatalf("550 came back as %v", err)
		}
		if err := b.Do(context.Background(), func(context.Context) error { return refused }); err != refused {
			t.Fatalf("a refused connection came back as %v", err)
		}
	}
	if h := b.Health(); !h.Ready || h.State != "closed" {
		t.Fatalf("message and temporary errors opened the circuit: %+v", h)
	}
}

func TestProbeClosesCircuitAfterFixAndOpsAreToldOnce(t *testing.T) {
	var fixed atomic.Bool
	var probes, alerts atomic.Int32
	var alerted health.Status
	var mu sync.Mutex
	b, logs, _ := newBreaker(t, circuit.Config{
		Interval: 20 * time.Millisecond,
		Probe: func(context.Context) error {
			probes.Add(1)
			if fixed.Load() {
				return nil
			}
			return errAuth
		},
		Alert: func(_ context.Context, s health.Status) error {
			mu.Lock()
			alerted = s
			mu.Unlock()
			if alerts.Add(1) == 1 {
				return errors.New("alert mail failed once") // retried, still one alert
			}
			return nil
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if err := b.Do(ctx, func(context.Context) error { return errAuth }); !retry.IsConfiguration(err) {
		t.Fatalf("got %v", err)
	}
	// Several failed probes: the circuit stays open, and ops hear once.
	poll(t, func() error {
		if n := probes.Load(); n < 3 {
			return fmt.Errorf("%d probes", n)
		}
		return nil
	})
	if h := b.Health(); h.Ready {
		t.Fatalf("ready while the password is still wrong: %+v", h)
	}
	poll(t, func() error {
		if n := alerts.Load(); n != 2 {
			return fmt.Errorf("%d alert attempts", n)
		}
		return nil
	})
	mu.Lock()
	if alerted.Ready || !strings.Contains(alerted.Reason, "535") {
		t.Fatalf("alert carried %+v", alerted)
	}
	mu.Unlock()

	fixed.Store(true)
	poll(t, func() error {
		if h := b.Health(); !h.Ready {
			return fmt.Errorf("still %s", h.State)
		}
		return nil
	})
	if err := b.Do(ctx, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
	if n := alerts.Load(); n != 2 {
		t.Fatalf("%d alert attempts, want one failed and one sent", n)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines over one opening with many failed probes:\n%s", n, logs)
	}
	if !strings.Contains(logs.String(), "circuit closed") {
		t.Fatalf("no line says the circuit closed:\n%s", logs)
	}

	// A second opening is a second alert.
	fixed.Store(false)
	_ = b.Do(ctx, func(context.Context) error { return errAuth })
	poll(t, func() error {
		if n := alerts.Load(); n != 3 {
			return fmt.Errorf("%d alert attempts", n)
		}
		return nil
	})
}

func TestWithoutProbeTheNextCallAfterTheIntervalProbes(t *testing.T) {
	b, _, _ := newBreaker(t, circuit.Config{Interval: 10 * time.Millisecond})
	_ = b.Do(context.Background(), func(context.Context) error { return errAuth })
	var ran atomic.Int32
	poll(t, func() error {
		err := b.Do(context.Background(), func(context.Context) error { ran.Add(1); return nil })
		return err
	})
	if ran.Load() != 1 || !b.Health().Ready {
		t.Fatalf("ran %d, health %+v", ran.Load(), b.Health())
	}
}

func TestHalfOpenLetsOneProbeThrough(t *testing.T) {
	b, _, _ := newBreaker(t, circuit.Config{Interval: 10 * time.Millisecond})
	_ = b.Do(context.Background(), func(context.Context) error { return errAuth })
	poll(t, func() error {
		if h := b.Health(); h.State != "probing" {
			return fmt.Errorf("state %s", h.State)
		}
		return nil
	})
	release := make(chan struct{})
	started := make(chan struct{})
	var inside atomic.Int32
	go func() {
		_ = b.Do(context.Background(), func(context.Context) error {
			inside.Add(1)
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	for range 10 {
		err := b.Do(context.Background(), func(context.Context) error { inside.Add(1); return nil })
		if _, ok := retry.RetryAfter(err); !ok {
			t.Fatalf("a second caller during the probe got %v; want a deferral", err)
		}
	}
	close(release)
	poll(t, func() error {
		if !b.Health().Ready {
			return errors.New("not closed")
		}
		return nil
	})
	if inside.Load() != 1 {
		t.Fatalf("%d calls reached the server while probing, want 1", inside.Load())
	}
}

func TestInconclusiveProbeKeepsProbing(t *testing.T) {
	var n atomic.Int32
	b, _, _ := newBreaker(t, circuit.Config{Interval: 10 * time.Millisecond, Probe: func(context.Context) error {
		switch n.Add(1) {
		case 1, 2:
			return errors.New("connection refused") // says nothing about the password
		}
		return nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	_ = b.Do(ctx, func(context.Context) error { return errAuth })
	poll(t, func() error {
		if !b.Health().Ready {
			return fmt.Errorf("not closed after %d probes", n.Load())
		}
		return nil
	})
	if n.Load() < 3 {
		t.Fatalf("closed after %d probes; an unreachable server is no proof of a fix", n.Load())
	}
}
