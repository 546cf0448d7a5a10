package tickets

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/retry"
)

// ensure returns the claim of the change's ticket in state done, opening the
// ticket if nobody has: the claim in KV tickets is taken before the call and
// completed after it, so redeliveries and replicas never open a second one.
func (h *Handler) ensure(ctx context.Context, ev events.SupportChanged, t Ticket) (Claim, error) {
	store := claims{h.Tickets}
	for range maxRounds {
		cl, rev, err := store.get(ctx, ev.ChangeID)
		if err != nil {
			return Claim{}, err
		}
		st, d := nextStep(cl, rev, h.now(), h.lease())
		switch st {
		case stepPublish:
			return cl, nil
		case stepBusy:
			return Claim{}, retry.After(fmt.Errorf("ticket for change %s: %w", ev.ChangeID, errBusy), min(d, busyRecheck))
		case stepWait:
			if err := h.wait(ctx, d, fmt.Errorf("ticket for change %s: %w (the help desk asked)", ev.ChangeID, errNotYet)); err != nil {
				return Claim{}, err
			}
			continue
		}
		mine := cl
		if st == stepSearch && cl.State == StateCreating && mine.UnknownSince == "" {
			mine.UnknownSince = cl.Since // its worker died mid-call
			h.Logger.Warn("taking over a stale ticket claim; searching before opening", "change_id", ev.ChangeID)
		}
		mine.ChangeID, mine.AccountID, mine.Tag, mine.System = ev.ChangeID, ev.AccountID, t.Tag, h.Desk.System()
		mine.State, mine.Since, mine.NotBefore, mine.Error = StateCreating, stamp(h.now()), "", ""
		mine.Attempts++
		if rev, err = store.put(ctx, mine, rev); errors.Is(err, errLost) {
			continue // another worker claimed it first: look again
		} else if err != nil {
			return Claim{}, err
		}
		if st == stepSearch {
			done, retryIn, err := h.search(ctx, store, &mine, rev, t)
			if err != nil || done {
				return mine, err
			}
			if retryIn > 0 {
				if err := h.wait(ctx, retryIn, fmt.Errorf("ticket for change %s: %w (the help desk's search may lag)", ev.ChangeID, errNotYet)); err != nil {
					return Claim{}, err
				}
				continue
			}
		}
		opened, err := h.Desk.Open(ctx, t)
		if err == nil {
			if h.Metrics != nil {
				h.Metrics.Opened.WithLabelValues(mine.System).Inc()
			}
			return h.complete(ctx, store, mine, rev, opened), nil
		}
		if err := h.failed(ctx, store, mine, rev, err); err != nil {
			return Claim{}, err
		}
		// A short Retry-After: wait for it on the next round.
	}
	return Claim{}, fmt.Errorf("ticket for change %s: still not settled after %d rounds", ev.ChangeID, maxRounds)
}

// search looks for a ticket a previous attempt may have opened. It reports
// done (mine completed with the ticket found), or how long to wait before a
// search that finds nothing can be trusted, in which case the claim is
// released; with neither, the caller still holds the claim and opens.
func (h *Handler) search(ctx context.Context, store claims, mine *Claim, rev uint64, t Ticket) (bool, time.Duration, error) {
	found, ok, err := h.Desk.Find(ctx, t)
	if err != nil {
		h.count(err)
		h.release(ctx, store, *mine, rev)
		if retry.IsPermanent(err) {
			h.Logger.Error("help desk refused the ticket search; the change is dead-lettered", "change_id", mine.ChangeID, "err", err)
		}
		return false, 0, fmt.Errorf("looking for the ticket of change %s: %w", mine.ChangeID, err)
	}
	if ok {
		h.Logger.Info("ticket of an unknown outcome found by its tag", "change_id", mine.ChangeID, "ticket_id", found.ID)
		*mine = h.complete(ctx, store, *mine, rev, found)
		return true, 0, nil
	}
	if left := settleLeft(*mine, h.now(), h.settle()); left > 0 {
		h.release(ctx, store, *mine, rev)
		return false, left, nil
	}
	return false, 0, nil
}

// release puts a claim we hold back in doubt, so the next worker searches at
// once instead of waiting for the lease.
func (h *Handler) release(ctx context.Context, store claims, mine Claim, rev uint64) {
	mine.State, mine.Since = StateUnknown, stamp(h.now())
	if mine.UnknownSince == "" {
		mine.UnknownSince = mine.Since
	}
	if err := store.settle(ctx, mine, rev); err != nil {
		h.Logger.Warn("releasing ticket claim", "change_id", mine.ChangeID, "err", err)
	}
}

// complete records the ticket in the claim. Failing to record it is logged,
// not returned: the ticket exists, and a redelivery would find it by tag.
func (h *Handler) complete(ctx context.Context, store claims, mine Claim, rev uint64, o Opened) Claim {
	mine.State, mine.Since, mine.OpenedAt = StateDone, stamp(h.now()), stamp(h.now())
	mine.TicketID, mine.TicketURL, mine.NotBefore, mine.Error = o.ID, o.URL, "", ""
	if err := store.settle(ctx, mine, rev); err != nil {
		h.Logger.Warn("ticket opened but its claim not recorded", "change_id", mine.ChangeID, "ticket_id", o.ID, "err", err)
	}
	return mine
}

// failed records why an open failed and returns the error to give up this
// delivery with, or nil to go round again (a Retry-After short enough to
// wait for here).
func (h *Handler) failed(ctx context.Context, store claims, mine Claim, rev uint64, err error) error {
	h.count(err)
	err = fmt.Errorf("opening %s ticket for change %s: %w", mine.System, mine.ChangeID, err)
	if errors.Is(err, helpdesk.ErrOutcomeUnknown) {
		h.release(ctx, store, mine, rev)
		return err
	}
	mine.State, mine.Since, mine.Error = StateFailed, stamp(h.now()), err.Error()
	hint, hinted := retry.RetryAfter(err)
	if hinted {
		mine.NotBefore = stamp(h.now().Add(hint))
	}
	if serr := store.settle(ctx, mine, rev); serr != nil {
		h.Logger.Warn("recording failed ticket attempt", "change_id", mine.ChangeID, "err", serr)
	}
	switch {
	case retry.IsPermanent(err):
		// Logged here once with the help desk's text; the DLQ keeps it too.
		h.Logger.Error("help desk refused the ticket; the change is dead-lettered", "change_id", mine.ChangeID, "err", err)
		return err
	case hinted && hint > 0 && hint <= h.inlineWait():
		return nil
	}
	return err
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
