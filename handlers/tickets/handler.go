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
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "tickets"

// Requests is the projection lookup for the change's request, if it names one.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler handles acct.support.changed.
type Handler struct {
	JS       events.Publisher
	Tickets  KV // KV tickets: one claim per change
	Accounts KV // KV accounts: support history per account
	Requests Requests
	Desk     Desk
	Metrics  *Metrics // nil: unregistered counters
	Logger   *slog.Logger
	Now      func() time.Time

	// Lease is how long a claim by a live worker is respected; it must
	// exceed the desk's call timeout. Default 1 min.
	Lease time.Duration
	// Settle is how long after an unknown outcome a search that finds
	// nothing is not trusted (Freshdesk's index lags its writes by up to a
	// few minutes). Default 2 min.
	Settle time.Duration
	// InlineWait is the longest wait (Retry-After, settling) slept inside
	// the handler; longer ones return a retry.After error, and the broker
	// redelivers the message when the wait is over without counting it as
	// a failure. Default 0: every wait goes back to the broker.
	InlineWait time.Duration
}

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{events.SubjectSupportChanged}, Handle: h.Handle, Effect: events.EffectTicket}
}

var (
	errBusy   = errors.New("another worker is opening this ticket")
	errNotYet = errors.New("waiting before the next attempt")
)

const (
	maxRounds  = 6 // claim attempts within one delivery
	sourceName = "acctflow/tickets"
)

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
	cl, err := h.ensure(ctx, ev, t)
	if err != nil {
		return err
	}
	opened := Opened{ID: cl.TicketID, URL: cl.TicketURL}
	if err := updateAccount(ctx, h.Accounts, ev.AccountID, accountChange(ev, cl.System, opened)); err != nil {
		return err
	}
	if miss := groupMissing(ev, rec, h.now()); miss != nil {
		id := events.DerivedID("support-group-missing", miss.Cause, ev.ChangeID)
		if _, err := events.Publish(ctx, h.JS, *miss, id, sourceName, m.Env); err != nil {
			return err
		}
	}
	created := events.TicketCreated{
		ChangeID: ev.ChangeID, TicketID: cl.TicketID, TicketURL: cl.TicketURL, System: cl.System,
		AccountID: ev.AccountID, RequestID: ev.RequestID, CreatedAt: events.Time(parseTime(cl.OpenedAt)),
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

// wait sleeps for d when that is short, else hands the wait to redelivery.
func (h *Handler) wait(ctx context.Context, d time.Duration, why error) error {
	if d > h.inlineWait() {
		return retry.After(why, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", why, ctx.Err())
	case <-t.C:
		return nil
	}
}

func (h *Handler) now() time.Time {
	if h.Now == nil {
		return time.Now()
	}
	return h.Now()
}

func (h *Handler) inlineWait() time.Duration { return max(h.InlineWait, 0) }
func (h *Handler) lease() time.Duration      { return durationOr(h.Lease, time.Minute) }
func (h *Handler) settle() time.Duration     { return durationOr(h.Settle, 2*time.Minute) }

// busyRecheck is how soon a worker that lost the race looks again: the
// winner's call usually ends long before its lease.
const busyRecheck = time.Second

func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return max(d, 0)
}
