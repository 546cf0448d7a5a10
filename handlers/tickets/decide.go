package tickets

import (
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

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
