package retry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClassification(t *testing.T) {
	base := errors.New("boom")
	if IsPermanent(base) {
		t.Fatal("plain error must be temporary")
	}
	if !IsPermanent(fmt.Errorf("sending: %w", Permanent(base))) {
		t.Fatal("wrapped permanent error not recognised")
	}
	if !errors.Is(Permanent(base), base) {
		t.Fatal("Permanent must unwrap")
	}
	d, ok := RetryAfter(fmt.Errorf("ctx: %w", After(base, 3*time.Second)))
	if !ok || d != 3*time.Second {
		t.Fatalf("RetryAfter = %v, %v", d, ok)
	}
	if Permanent(nil) != nil || After(nil, time.Second) != nil {
		t.Fatal("nil must stay nil")
	}
}

func TestDelayCappedAndJittered(t *testing.T) {
	p := Policy{Initial: 100 * time.Millisecond, Max: time.Second}
	for attempt := 1; attempt < 40; attempt++ {
		d := p.Delay(attempt)
		if d > time.Second || d < 50*time.Millisecond {
			t.Fatalf("attempt %d: delay %v outside [50ms,1s]", attempt, d)
		}
	}
}

func TestDo(t *testing.T) {
	p := Policy{Initial: time.Millisecond, Max: 2 * time.Millisecond, Attempts: 5}
	calls := 0
	err := Do(context.Background(), p, func(context.Context) error {
		calls++
		if calls < 3 {
			return errors.New("temporary")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("temporary then success: err=%v calls=%d", err, calls)
	}

	calls = 0
	err = Do(context.Background(), p, func(context.Context) error {
		calls++
		return Permanent(errors.New("550 no such user"))
	})
	if !IsPermanent(err) || calls != 1 {
		t.Fatalf("permanent: err=%v calls=%d", err, calls)
	}

	calls = 0
	err = Do(context.Background(), p, func(context.Context) error {
		calls++
		return errors.New("always")
	})
	if err == nil || calls != 5 {
		t.Fatalf("exhausted: err=%v calls=%d", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Do(ctx, Policy{Initial: time.Hour, Max: time.Hour}, func(context.Context) error { return errors.New("x") })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestClassify(t *testing.T) {
	base := errors.New("535 5.7.8 authentication failed")
	cases := []struct {
		name  string
		err   error
		class Class
		delay time.Duration
	}{
		{"nil", nil, ClassSuccess, 0},
		{"plain", base, ClassTemporary, 0},
		{"permanent", fmt.Errorf("x: %w", Permanent(base)), ClassPermanent, 0},
		{"after", After(base, time.Second), ClassDeferred, time.Second},
		{"permanent beats after", After(Permanent(base), time.Second), ClassPermanent, 0},
		{"configuration", Configuration(base), ClassConfiguration, 0},
		{"configuration beats permanent", Permanent(Configuration(base)), ClassConfiguration, 0},
		{"configuration keeps its delay", fmt.Errorf("open: %w", After(Configuration(base), 30*time.Second)), ClassConfiguration, 30 * time.Second},
	}
	for _, c := range cases {
		class, d := Classify(c.err)
		if class != c.class || d != c.delay {
			t.Errorf("%s: Classify = %v %v, want %v %v", c.name, class, d, c.class, c.delay)
		}
	}
	if Configuration(nil) != nil || !errors.Is(Configuration(base), base) {
		t.Fatal("Configuration must keep nil and unwrap")
	}
}

func TestDoStopsAtConfigurationError(t *testing.T) {
	calls := 0
	err := Do(context.Background(), Policy{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 5}, func(context.Context) error {
		calls++
		return Configuration(errors.New("535"))
	})
	if calls != 1 || !IsConfiguration(err) {
		t.Fatalf("calls = %d, err = %v: a configuration error must not be retried in a loop", calls, err)
	}
}
