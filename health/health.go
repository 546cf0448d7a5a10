// Package health gathers the state of every part acctflow depends on (NATS,
// each IMAP reader, each adapter's circuit) for /readyz and /healthz. Checks
// read state their owners keep up to date in the background, so a probe
// answers at once even while a server hangs or a cluster elects a leader.
package health

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Status is one component's state.
type Status struct {
	Name   string    `json:"name"`             // e.g. "nats", "smtp", "imap acct-replies@mail.example/INBOX"
	Kind   string    `json:"kind"`             // nats, smtp, imap, helpdesk
	Ready  bool      `json:"ready"`            // work flows through it
	State  string    `json:"state"`            // e.g. connected, closed, open, probing, connecting
	Reason string    `json:"reason,omitempty"` // why not ready: the server's words
	Since  time.Time `json:"since,omitzero"`   // when State began
}

// Checker reports a component's state. Health must not block: it reads what
// the component already knows.
type Checker interface {
	Health() Status
}

// Func adapts a function to Checker.
type Func func() Status

// Health implements Checker.
func (f Func) Health() Status { return f() }

// Registry is the set of components of one process. The zero value is ready
// to use.
type Registry struct {
	mu     sync.RWMutex
	checks []Checker
}

// Add registers components.
func (r *Registry) Add(c ...Checker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checks = append(r.checks, c...)
}

// Report is the state of every component.
type Report struct {
	Ready      bool     `json:"ready"`
	Components []Status `json:"components"`
}

// Check asks every component, in registration order.
func (r *Registry) Check() Report {
	r.mu.RLock()
	checks := slices.Clone(r.checks)
	r.mu.RUnlock()
	rep := Report{Ready: true, Components: make([]Status, 0, len(checks))}
	for _, c := range checks {
		s := c.Health()
		rep.Ready = rep.Ready && s.Ready
		rep.Components = append(rep.Components, s)
	}
	return rep
}

// NotReady lists the components that are not ready.
func (r Report) NotReady() []Status {
	var out []Status
	for _, s := range r.Components {
		if !s.Ready {
			out = append(out, s)
		}
	}
	return out
}

// Summary names every component that is not ready and why, in one line.
func (r Report) Summary() string {
	var parts []string
	for _, s := range r.NotReady() {
		p := s.Name + ": " + s.State
		if s.Reason != "" {
			p += ": " + s.Reason
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}
