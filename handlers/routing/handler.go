package routing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Requests is the projection lookup routing needs to route a request once.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler routes acct.requested.
type Handler struct {
	JS       events.Publisher
	Table    *Table
	Requests Requests
	Logger   *slog.Logger
	Now      func() time.Time
}

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "routing"

// Declaration is what routing touches in NATS.
var Declaration = broker.Declaration{
	Name:    Name,
	Inputs:  []string{events.SubjectRequested},
	Outputs: []string{events.SubjectRoutedPrefix + "*", events.SubjectRejected},
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	now := h.Now()
	// A request without an id gets one from its content, so a redelivered
	// copy is routed under the same id.
	req, err := events.ParseAccountRequested(m.Data, events.IDFromHash(m.Data), now)
	if err != nil {
		return retry.Permanent(fmt.Errorf("invalid AccountRequested: %w", err))
	}
	rec, err := h.Requests.Get(ctx, req.RequestID)
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		return err
	}
	switch Again(rec, req) {
	case Same:
		// The projection remembers long after JetStream's duplicate window.
		h.Logger.Info("request published again, nothing changes", "request_id", req.RequestID, "stage", rec.Stage)
		return nil
	case Conflict:
		return h.conflict(ctx, m, req, rec)
	}
	routed, rejected := Decide(req, h.Table, now)
	if routed != nil {
		ack, err := events.Publish(ctx, h.JS, *routed, events.DerivedID("routed", req.RequestID), "acctflow/routing", m.Env)
		if err == nil && ack.Duplicate && m.Deliveries <= 1 {
			// Routed moments ago and not projected yet: whether this copy is
			// the same request is known once the record shows it. On a
			// redelivery the routed event is most likely this message's own.
			return retry.After(fmt.Errorf("request %s was routed moments ago; comparing once it is projected", req.RequestID), 2*time.Second)
		}
		return err
	}
	// A corrected request may be sent again under the same id: a rejection
	// for other reasons is a new event.
	id := events.DerivedID("rejected", req.RequestID, strings.Join(rejected.Reasons, ","))
	_, err = events.Publish(ctx, h.JS, *rejected, id, "acctflow/routing", m.Env)
	return err
}

// conflict refuses a different request under the id of one already routed:
// the original is untouched, and ops see the conflict on it.
func (h *Handler) conflict(ctx context.Context, m broker.Msg, req events.AccountRequested, rec lifecycle.Record) error {
	h.Logger.Warn("a different request under the id of a routed one: refused", "request_id", req.RequestID, "stage", rec.Stage)
	ev := events.RequestRejected{
		RequestID:  req.RequestID,
		Reasons:    []string{events.ReasonRequestIDConflict},
		Detail:     "request " + req.RequestID + " was already routed (stage " + string(rec.Stage) + "); a different request under the same id is refused",
		RejectedBy: "routing",
		RejectedAt: events.Time(h.Now()),
		Request:    &req,
	}
	body, err := events.Marshal(req)
	if err != nil {
		return retry.Permanent(err)
	}
	_, err = events.Publish(ctx, h.JS, ev, events.DerivedID("conflict", req.RequestID, string(body)), "acctflow/routing", m.Env)
	return err
}
