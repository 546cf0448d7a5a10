// Package supportgroup checks that every created account has
// the support plan group billing needs: an account created more than the
// grace period ago without one, or whose group a later support change made
// wrong, gets one acct.support_group.missing.
package supportgroup

import (
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// Causes of SupportGroupMissing (schema support-group-missing).
const (
	CauseNotAssigned    = "not_assigned"
	CauseSupportChanged = "support_changed"
)

// Decide returns the event to publish for rec and its message id, or nil. It
// is a pure function of the record and the clock; a record already flagged
// for the same cause yields nothing, so the check raises each problem once.
func Decide(rec lifecycle.Record, now time.Time, grace time.Duration) (*events.SupportGroupMissing, string) {
	if rec.Account == nil {
		return nil, ""
	}
	created, err := time.Parse(time.RFC3339, rec.Account.CreatedAt)
	if err != nil || now.Sub(created) <= grace {
		return nil, ""
	}
	e := &events.SupportGroupMissing{
		RequestID: rec.RequestID, AccountID: rec.Account.AccountID, Region: rec.Region,
		ExpectedGroup: events.GroupFor(rec.SupportType()), DetectedAt: events.Time(now),
	}
	g := rec.SupportGroup
	switch {
	case g == nil:
		e.Cause = CauseNotAssigned
		return e, events.DerivedID("support-group-missing", rec.RequestID, CauseNotAssigned, rec.Account.AccountID)
	case g.Group != "" && g.Missing && len(rec.SupportChanges) > 0:
		last := rec.SupportChanges[len(rec.SupportChanges)-1]
		if !after(last.At, g.At) {
			return nil, "" // raised (or assigned) since the last change
		}
		e.Cause = CauseSupportChanged
		return e, events.DerivedID("support-group-missing", rec.RequestID, CauseSupportChanged, last.ChangeID)
	}
	return nil, ""
}

// after reports whether timestamp a is later than b; an unreadable one is
// not, so that bad data never makes the check repeat itself.
func after(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339, a)
	tb, err2 := time.Parse(time.RFC3339, b)
	return err1 == nil && err2 == nil && ta.After(tb)
}
