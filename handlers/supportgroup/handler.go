package supportgroup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Names in --handlers, and the durable consumers' names.
const (
	Name       = "supportgroup"        // schedules checks, from events
	TimersName = "supportgroup-timers" // checks when one fires
)

// TimerKind is the kind of the checks' timers on the TIMERS stream.
const TimerKind = "support-group"

// Declaration is what the scheduler touches in NATS; TimersDeclaration what
// the checker does. Both wait for the projection to catch up.
var (
	Declaration = broker.Declaration{
		Name:   Name,
		Inputs: []string{events.SubjectCreated, events.SubjectSupportChanged},
		Timers: []string{TimerKind},
		Waits:  []string{projection.Name},
	}
	TimersDeclaration = broker.Declaration{
		Name:    TimersName,
		Inputs:  broker.FireSubjects(TimerKind),
		Outputs: []string{events.SubjectSupportGroupMissing},
		Timers:  []string{TimerKind},
		Waits:   []string{projection.Name},
	}
)

// DefaultGrace is how long after creation an account may go without its
// support plan group.
const DefaultGrace = 24 * time.Hour

// Requests reads projected records.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler checks each created account's support plan group once its grace
// period is over (a timer set on acct.created), and again at once after
// every support change (acct.support.changed): no pass over every record.
// acct.support_group.assigned needs nothing: a check that finds the group
// in place raises nothing.
type Handler struct {
	JS       jetstream.JetStream // publishes, schedules
	Requests Requests
	Grace    time.Duration // DefaultGrace when 0
	// Projection follows the durable consumer that folds events into
	// Requests (projection.Name): a check waits until it has caught up.
	Projection *broker.Progress
	Logger     *slog.Logger
	Now        func() time.Time
}

// check is the payload of a check's timer.
type check struct {
	RequestID string `json:"request_id"`
	Cause     string `json:"cause"` // created or support_changed
}

func (h *Handler) grace() time.Duration {
	if h.Grace <= 0 {
		return DefaultGrace
	}
	return h.Grace
}

// Scheduler is the handler that sets the checks' timers.
func (h *Handler) Scheduler() broker.Handler {
	return Declaration.Handler(h.Schedule)
}

// Checker is the handler that checks when a timer fires.
func (h *Handler) Checker() broker.Handler {
	return TimersDeclaration.Handler(h.Check)
}

// Schedule sets a check at the end of the grace period of a created account
// and, for a support change, at once. Each request has one timer of each
// kind: a redelivery or a later change replaces it.
func (h *Handler) Schedule(ctx context.Context, m broker.Msg) error {
	var (
		c  check
		at time.Time
	)
	switch m.Subject {
	case events.SubjectCreated:
		var e events.AccountCreated
		if err := events.Unmarshal("account-created", m.Data, &e); err != nil {
			return retry.Permanent(fmt.Errorf("invalid AccountCreated: %w", err))
		}
		created, err := time.Parse(time.RFC3339, e.CreatedAt)
		if err != nil {
			created = h.Now()
		}
		// A second past the grace period, so that the check finds it over
		// whichever clock is a little ahead.
		c, at = check{RequestID: e.RequestID, Cause: "created"}, created.Add(h.grace()+time.Second)
	case events.SubjectSupportChanged:
		var e events.SupportChanged
		if err := events.Unmarshal("support-changed", m.Data, &e); err != nil {
			return retry.Permanent(fmt.Errorf("invalid SupportChanged: %w", err))
		}
		if e.RequestID == "" {
			return nil // no request, no record to check
		}
		c, at = check{RequestID: e.RequestID, Cause: CauseSupportChanged}, h.Now()
	default:
		return retry.Permanent(fmt.Errorf("supportgroup: unexpected subject %s", m.Subject))
	}
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return broker.Timers{JS: h.JS}.At(ctx, TimerKind, events.JoinKey(c.RequestID, c.Cause), at, data)
}

// Check raises acct.support_group.missing when the record, once the
// projection has folded every earlier event, shows the group missing.
func (h *Handler) Check(ctx context.Context, m broker.Msg) error {
	var c check
	if err := json.Unmarshal(m.Data, &c); err != nil || !events.ValidRequestID(c.RequestID) {
		return retry.Permanent(fmt.Errorf("invalid support group check on %s: %v", m.Subject, err))
	}
	caught, err := h.Projection.WaitCaughtUp(ctx, time.Second)
	if err != nil {
		return err
	}
	if !caught {
		return retry.After(errors.New("waiting for the projection to fold every event before checking"), time.Second)
	}
	rec, err := h.Requests.Get(ctx, c.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		h.Logger.Warn("support group check of an unknown request", "request_id", c.RequestID)
		return nil
	}
	if err != nil {
		return err
	}
	now := h.Now()
	if f, ok := broker.ParseFired(m.Subject, m.Header); ok && f.Due.After(now) {
		now = f.Due // the server's clock says the time has come
	}
	e, msgID := Decide(rec, now, h.grace())
	if e == nil {
		return nil
	}
	if _, err := events.Publish(ctx, h.JS, *e, msgID, "acctflow/supportgroup", events.Envelope{}); err != nil {
		return err
	}
	h.Logger.Warn("support plan group missing", "request_id", c.RequestID, "cause", e.Cause, "expected", e.ExpectedGroup)
	return nil
}
