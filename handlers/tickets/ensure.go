package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/retry"
)

// EffectKind names ticket effects in the ledger (KV tickets).
const EffectKind = "ticket"

// Default ticket policy: at most TicketBudget calls that fail or may have
// opened a ticket (creates and searches) for one change, TicketBackoff
// apart; a help desk's Retry-After is honoured without counting.
const TicketBudget = 10

// TicketBackoff is the hold after each failed attempt (jittered in [d/2, d]).
var TicketBackoff = retry.Policy{Initial: 2 * time.Second, Max: 2 * time.Minute}

// ensure returns the change's ticket, opening it if nobody has: one record
// per change in the ledger, claimed before the call and completed after it,
// so redeliveries and replicas never open a second one. A call whose
// outcome is unknown (timeout, 5xx) is resolved by the help desk's search
// by tag before anything is opened again; a search is trusted only once
// Settle has passed since the doubt arose (the help desk's index lags).
func (h *Handler) ensure(ctx context.Context, changeID string, t Ticket) (Opened, bool, time.Time, error) {
	out, err := h.Ledger.Do(ctx, effect.Effect{
		Key: effect.Key(EffectKind, changeID), What: "ticket for change " + changeID,
		Policy: effect.Policy{Lease: h.lease(), Timeout: h.lease() * 5 / 6, Budget: h.budget(), Backoff: h.backoff()},
		Attempt: func(ctx context.Context, _ effect.Record) ([]byte, error) {
			o, err := h.Desk.Open(ctx, t)
			if err != nil {
				h.count(err)
				return nil, fmt.Errorf("opening %s ticket: %w", h.Desk.System(), err)
			}
			if h.Metrics != nil {
				h.Metrics.Opened.WithLabelValues(h.Desk.System()).Inc()
			}
			return json.Marshal(o)
		},
		Doubtful: func(err error) bool { return errors.Is(err, helpdesk.ErrOutcomeUnknown) },
		Resolve: func(ctx context.Context, _ effect.Record, since time.Duration) (effect.Resolution, error) {
			found, ok, err := h.Desk.Find(ctx, t)
			if err != nil {
				h.count(err)
				return effect.Resolution{}, fmt.Errorf("looking for the ticket of change %s: %w", changeID, err)
			}
			if ok {
				h.Logger.Info("ticket of an unknown outcome found by its tag", "change_id", changeID, "ticket_id", found.ID)
				data, err := json.Marshal(found)
				return effect.Resolution{Happened: true, Result: data}, err
			}
			if left := h.settle() - since; left > 0 {
				return effect.Resolution{Wait: left}, nil
			}
			return effect.Resolution{}, nil
		},
	})
	if err != nil {
		if retry.IsPermanent(err) {
			// Logged here once with the help desk's text; the DLQ keeps it too.
			h.Logger.Error("ticket given up; the change is dead-lettered", "change_id", changeID, "err", err)
		}
		return Opened{}, false, time.Time{}, err
	}
	var o Opened
	if err := json.Unmarshal(out.Result, &o); err != nil || o.ID == "" {
		return Opened{}, false, time.Time{}, retry.Permanent(fmt.Errorf("ticket of change %s: unreadable record %q", changeID, out.Result))
	}
	return o, out.Now, out.Written, nil
}

func (h *Handler) count(err error) {
	class := "temporary"
	switch {
	case retry.IsPermanent(err):
		class = "permanent"
	case errors.Is(err, helpdesk.ErrOutcomeUnknown):
		class = "unknown"
	}
	if h.Metrics != nil {
		h.Metrics.Failed.WithLabelValues(h.Desk.System(), class).Inc()
	}
}
