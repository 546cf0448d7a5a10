// Package tickets opens exactly one support ticket per support type change:
// acct.support.changed → a help desk ticket (or a mail to the support desk)
// → acct.ticket.created. It also keeps the account's support history in KV
// accounts and chases the support plan group when the change makes it wrong.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "tickets"

// Declaration is what tickets touches in NATS. One delivery makes at most
// one attempt, bounded by the lease (1 minute unless set).
var Declaration = broker.Declaration{
	Name:    Name,
	Inputs:  []string{events.SubjectSupportChanged},
	Outputs: []string{events.SubjectTicketCreated, events.SubjectSupportGroupMissing},
	Writes:  []string{broker.BucketTickets, broker.BucketAccounts, broker.BucketMailSent},
	AckWait: time.Minute + 30*time.Second,
	Effect:  events.EffectTicket,
}

// Requests is the projection lookup for the change's request, if it names one.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler handles acct.support.changed.
type Handler struct {
	JS       events.Publisher
	Ledger   *effect.Ledger // over KV tickets: one record per change
	Accounts KV             // KV accounts: support history per account
	Requests Requests
	Desk     Desk
	Metrics  *Metrics // nil: unregistered counters
	Logger   *slog.Logger
	Now      func() time.Time // timestamps of events only; leases are the server's

	// Lease is how long a claim by a live worker is respected; one
	// attempt (a search and a create) is bounded to 5/6 of it, leaving
	// time to record the outcome. Default 1 min.
	Lease time.Duration
	// Settle is how long after an unknown outcome a search that finds
	// nothing is not trusted (Freshdesk's index lags its writes by up to a
	// few minutes). Default 2 min.
	Settle time.Duration
	// Budget and Backoff: see TicketBudget, TicketBackoff.
	Budget  int
	Backoff retry.Policy
}

func (h *Handler) Broker() broker.Handler {
	// One delivery makes at most one attempt, bounded by the lease.
	hd := Declaration.Handler(h.Handle)
	hd.AckWait = h.lease() + 30*time.Second
	return hd
}

const sourceName = "acctflow/tickets"

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	ev, err := decode(m.Data)
	if err != nil {
		return retry.Permanent(fmt.Errorf("invalid SupportChanged: %w", err))
	}
	rec, err := h.request(ctx, ev.RequestID)
	if err != nil {
		return err
	}
	t := Ticket{Tag: helpdesk.ChangeTag(ev.ChangeID), Reporter: ev.ReportedBy.Email, Data: ticketData(ev, rec)}
	opened, now, at, err := h.ensure(ctx, ev.ChangeID, t)
	if err != nil {
		return err
	}
	if now || at.IsZero() {
		at = h.now()
	}
	if err := updateAccount(ctx, h.Accounts, ev.AccountID, accountChange(ev, h.Desk.System(), opened)); err != nil {
		return err
	}
	if miss := groupMissing(ev, rec, h.now()); miss != nil {
		id := events.DerivedID("support-group-missing", miss.Cause, ev.ChangeID)
		if _, err := events.Publish(ctx, h.JS, *miss, id, sourceName, m.Env); err != nil {
			return err
		}
	}
	created := events.TicketCreated{
		ChangeID: ev.ChangeID, TicketID: opened.ID, TicketURL: opened.URL, System: h.Desk.System(),
		AccountID: ev.AccountID, RequestID: ev.RequestID, CreatedAt: events.Time(at),
	}
	_, err = events.Publish(ctx, h.JS, created, events.DerivedID("ticket-created", ev.ChangeID), sourceName, m.Env)
	return err
}

// request returns the change's request record, nil when it names none or
// the projection has not heard of it.
func (h *Handler) request(ctx context.Context, id string) (*lifecycle.Record, error) {
	if id == "" {
		return nil, nil
	}
	rec, err := h.Requests.Get(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading request %s of the change: %w", id, err)
	}
	return &rec, nil
}

func (h *Handler) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

func (h *Handler) lease() time.Duration  { return durationOr(h.Lease, time.Minute) }
func (h *Handler) settle() time.Duration { return durationOr(h.Settle, 2*time.Minute) }

func (h *Handler) budget() int {
	if h.Budget <= 0 {
		return TicketBudget
	}
	return h.Budget
}

func (h *Handler) backoff() retry.Policy {
	if h.Backoff.Initial <= 0 {
		return TicketBackoff
	}
	return h.Backoff
}

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return max(d, 0)
}
