package helpdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/retry"
)

// A revoked API key (401) opens the help desk's circuit: tickets wait and
// are not dead-lettered, the help desk is not called while open, and a probe
// closes the circuit once the key works again.
func TestRevokedKeyOpensTheCircuitUntilAProbeSucceeds(t *testing.T) {
	s := freshdesktest.New(t)
	// After Interval the circuit lets one call through as a probe: long
	// enough that the calls the open circuit refuses below come before it
	// on a loaded machine.
	g := NewGuarded(newClient(t, s.URL, freshdesktest.APIKey), circuit.Config{Interval: 500 * time.Millisecond})
	s.FailNext(1, 401, 0)
	s.FailNextSearch(3, 401, 0) // the key stays revoked for three probes
	_, err := g.Create(t.Context(), changeTicket())
	if c, d := retry.Classify(err); c != retry.ClassConfiguration || d <= 0 || retry.IsPermanent(err) {
		t.Fatalf("401: class %v delay %v: %v", c, d, err)
	}
	creates := s.Creates()
	for range 3 {
		_, err := g.Create(t.Context(), changeTicket())
		var open *circuit.OpenError
		if !errors.As(err, &open) || !strings.Contains(err.Error(), "401") {
			t.Fatalf("while open: %v", err)
		}
	}
	if s.Creates() != creates {
		t.Fatalf("the help desk was called %d times while the circuit was open", s.Creates()-creates)
	}
	if h := g.Breaker().Health(); h.Ready || h.Kind != "helpdesk" || !strings.Contains(h.Reason, "401") {
		t.Fatalf("health %+v", h)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Breaker().Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for !g.Breaker().Health().Ready {
		if time.Now().After(deadline) {
			t.Fatalf("circuit still %s after the key works again", g.Breaker().Health().State)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := s.Searches(); n < 4 {
		t.Fatalf("closed after %d probes; the first three still got 401", n)
	}
	if _, err := g.Create(t.Context(), changeTicket()); err != nil {
		t.Fatalf("after the fix: %v", err)
	}
	if n := len(s.Tickets()); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
}

// A ticket the help desk refuses (400) is the ticket's problem: permanent,
// and the circuit stays closed.
func TestValidationErrorLeavesTheCircuitClosed(t *testing.T) {
	s := freshdesktest.New(t)
	g := NewGuarded(newClient(t, s.URL, freshdesktest.APIKey), circuit.Config{Interval: time.Hour})
	s.FailNext(1, 400, 0)
	if _, err := g.Create(t.Context(), changeTicket()); !retry.IsPermanent(err) {
		t.Fatalf("400: %v", err)
	}
	if !g.Breaker().Health().Ready {
		t.Fatal(fmt.Sprint("a validation error opened the circuit: ", g.Breaker().Health()))
	}
}
