package tickets

import (
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

// step is what to do next about one change, given its claim.
type step int

const (
	stepOpen    step = iota // claim and open the ticket
	stepSearch              // claim, look for a ticket that may exist, then open
	stepPublish             // the ticket exists: (re)publish ticket-created
	stepBusy                // another worker holds a fresh claim
	stepWait                // the desk asked us to wait (Retry-After)
)

// nextStep is the idempotency decision, a pure function of the claim (rev 0:
// none) and the clock. A claim in state creating older than lease belongs to
// a worker that died mid-call: its outcome is unknown.
func nextStep(cl Claim, rev uint64, now time.Time, lease time.Duration) (step, time.Duration) {
	if rev == 0 {
		return stepOpen, 0
	}
	switch cl.State {
	case StateDone:
		return stepPublish, 0
	case StateCreating:
		if age := now.Sub(parseTime(cl.Since)); age < lease {
			return stepBusy, lease - age
		}
		return stepSearch, 0
	case StateUnknown:
		return stepSearch, 0
	}
	if nb := parseTime(cl.NotBefore); now.Before(nb) {
		return stepWait, nb.Sub(now)
	}
	if cl.UnknownSince != "" {
		// A failure after an unknown outcome does not clear the doubt.
		return stepSearch, 0
	}
	return stepOpen, 0
}

// settleLeft is how long a search that found nothing is still not to be
// trusted: the help desk's index may not yet show a ticket opened at
// UnknownSince.
func settleLeft(cl Claim, now time.Time, settle time.Duration) time.Duration {
	if cl.UnknownSince == "" {
		return 0
	}
	return max(parseTime(cl.UnknownSince).Add(settle).Sub(now), 0)
}

// ticketData is the ticket's content: the change, and the customer's name
// when the change names a known request.
func ticketData(ev events.SupportChanged, rec *lifecycle.Record) mailer.TicketData {
	d := mailer.TicketData{
		ChangeID: ev.ChangeID, AccountID: ev.AccountID, RequestID: ev.RequestID,
		From: ev.From, To: ev.To, ChangedAt: parseTime(ev.ChangedAt),
		ReportedBy:   mailer.Address{Name: ev.ReportedBy.Name, Email: ev.ReportedBy.Email},
		ResellerName: ev.Reseller.Name,
	}
	if d.ChangedAt.IsZero() {
		// The schema accepts any RFC 3339 date-time; Go's parser is stricter
		// about a few (lower-case t, leap seconds).
		d.ChangedAt, _ = time.Parse(time.RFC3339, ev.ChangedAt)
	}
	if rec != nil && rec.Request != nil {
		d.CustomerName = rec.Request.Customer.Name
	}
	return d
}

// groupMissing is the chase when the change leaves the account in the wrong
// support plan group: only when a group was recorded (an unassigned group is
// chased by provisioning) and the new type needs another one.
func groupMissing(ev events.SupportChanged, rec *lifecycle.Record, now time.Time) *events.SupportGroupMissing {
	if rec == nil || ev.RequestID == "" || rec.SupportGroup == nil || rec.SupportGroup.Group == "" {
		return nil
	}
	if cur := rec.SupportType(); cur != "" && cur != ev.To {
		return nil // a later change superseded this one
	}
	want := events.GroupFor(ev.To)
	if rec.SupportGroup.Group == want {
		return nil
	}
	return &events.SupportGroupMissing{
		RequestID: ev.RequestID, AccountID: ev.AccountID, Region: rec.Region,
		ExpectedGroup: want, Cause: "support_changed", DetectedAt: events.Time(now),
	}
}
