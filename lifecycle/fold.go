package lifecycle

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/acctflow/acctflow/events"
)

// foldEntry folds one history entry (already validated) into the record.
func foldEntry(r *Record, e *Entry) error {
	f, ok := folds[e.Event]
	if !ok {
		return nil // an event with no bearing on the record (reply-received)
	}
	e.Stage, e.Ignored = "", ""
	return f(r, e)
}

// decode reads a history entry's payload; it was validated on arrival.
func decode[T any](e *Entry) (T, error) {
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("decoding %s: %w", e.Event, err)
	}
	return v, nil
}

// step moves the record along the transition table; why, when not empty,
// is a guard's reason to refuse an event the table would accept. It
// reports whether the event was accepted (its data then applies).
func (r *Record) step(e *Entry, why string) bool {
	to, ok := Next(r.Stage, e.Event)
	switch {
	case !ok && r.Stage == StageNew:
		e.Ignored = "the request itself has not been seen"
	case !ok:
		e.Ignored = "not accepted at stage " + string(r.Stage)
	case why != "":
		e.Ignored = why
	}
	if e.Ignored != "" {
		return false
	}
	r.moveTo(e, to)
	return true
}

func (r *Record) moveTo(e *Entry, to Stage) {
	if to != r.Stage {
		r.StageAt = e.At
	}
	e.Stage = to
	r.Stage, r.StageSeq = to, e.Seq
}

// folds has one small fold per event type.
var folds = map[string]func(*Record, *Entry) error{
	evRequested: func(r *Record, e *Entry) error {
		req, err := decode[events.AccountRequested](e)
		if err != nil {
			return err
		}
		e.At = req.RequestedAt
		why := ""
		if r.Stage == StageRejected {
			switch {
			case r.Rejection == nil || r.Rejection.By == "ops" || slices.Contains(r.Rejection.Reasons, events.ReasonOpsRejected):
				why = "rejected by ops: final"
			case r.Request != nil && events.SameRequest(*r.Request, req):
				why = "the rejected request again, uncorrected"
			}
		}
		if r.step(e, why) {
			r.Request, r.Rejection = &req, nil
		}
		return nil
	},
	evRouted: func(r *Record, e *Entry) error {
		ev, err := decode[events.AccountRouted](e)
		if err != nil {
			return err
		}
		e.At = ev.RoutedAt
		if r.step(e, "") {
			r.Request = &ev.Request
			r.Region, r.OpsTeam, r.ReplyChannel, r.SupportMailbox = ev.Region, ev.OpsTeam, ev.ReplyChannel, ev.SupportMailbox
		}
		return nil
	},
	evRejected: func(r *Record, e *Entry) error {
		ev, err := decode[events.RequestRejected](e)
		if err != nil {
			return err
		}
		e.At = ev.RejectedAt
		if slices.Contains(ev.Reasons, events.ReasonRequestIDConflict) {
			// Never a stage event: the original request stands.
			r.Conflicts = append(r.Conflicts, Conflict{At: ev.RejectedAt, Request: ev.Request})
			return nil
		}
		why := ""
		if r.Stage == StageNew && ev.Request == nil {
			why = "the request itself has not been seen"
		}
		if r.step(e, why) {
			r.Rejection = &Rejection{Reasons: ev.Reasons, Detail: ev.Detail, By: ev.RejectedBy}
			if r.Request == nil {
				r.Request = ev.Request
			}
		}
		return nil
	},
	evConfirmation: func(r *Record, e *Entry) error {
		ev, err := decode[events.ConfirmationSent](e)
		if err != nil {
			return err
		}
		e.At = ev.SentAt
		if r.step(e, "") && r.Confirmation == nil {
			r.Confirmation = &ev
		}
		return nil
	},
	evSubmitted: func(r *Record, e *Entry) error {
		ev, err := decode[events.DetailsSubmitted](e)
		if err != nil {
			return err
		}
		e.At = ev.SubmittedAt
		if r.step(e, "") {
			r.Details, r.Problems = &ev, nil
			r.Known = Known{RootEmail: ev.RootEmail, Nickname: ev.Nickname, SupportType: ev.SupportType}
		}
		return nil
	},
	evIncomplete: func(r *Record, e *Entry) error {
		ev, err := decode[events.DetailsIncomplete](e)
		if err != nil {
			return err
		}
		e.At = ev.ReceivedAt
		if r.step(e, "") {
			// The event carries what is known after this reply.
			r.Problems = ev.Problems
			r.Known = Known{RootEmail: deref(ev.RootEmail), Nickname: deref(ev.Nickname), SupportType: deref(ev.SupportType)}
		}
		return nil
	},
	evExpired: func(r *Record, e *Entry) error {
		ev, err := decode[events.RequestExpired](e)
		if err != nil {
			return err
		}
		e.At = ev.ExpiredAt
		if r.step(e, "") {
			r.Expiry = &ev
		}
		return nil
	},
	evApproved: func(r *Record, e *Entry) error {
		ev, err := decode[events.AccountApproved](e)
		if err != nil {
			return err
		}
		e.At = ev.ApprovedAt
		why := ""
		if r.Stage == StageApproved && ev.Retry == 0 {
			why = "already approved"
		}
		if r.step(e, why) {
			r.Approval = &ev
		}
		return nil
	},
	evCreated: func(r *Record, e *Entry) error {
		ev, err := decode[events.AccountCreated](e)
		if err != nil {
			return err
		}
		e.At = ev.CreatedAt
		if r.step(e, "") {
			r.Account, r.Failure = &ev, nil
		}
		return nil
	},
	evCreateFailed: func(r *Record, e *Entry) error {
		ev, err := decode[events.AccountCreationFailed](e)
		if err != nil {
			return err
		}
		e.At = ev.FailedAt
		if !r.step(e, "") {
			return nil
		}
		r.Failure = &ev
		if ev.NewRootEmailNeeded {
			// AWS refused the root email: creation_failed hands straight
			// back to the reseller, who is asked for another one.
			r.moveTo(e, StageAwaitingDetails)
			r.Details, r.Known.RootEmail = nil, ""
		}
		return nil
	},
	evRoleValidated: func(r *Record, e *Entry) error {
		ev, err := decode[events.RoleValidated](e)
		if err != nil {
			return err
		}
		e.At = ev.ValidatedAt
		if r.step(e, "") {
			r.Role = &Role{ARN: ev.RoleARN, Status: "validated", At: ev.ValidatedAt}
		}
		return nil
	},
	evRoleRejected: func(r *Record, e *Entry) error {
		ev, err := decode[events.RoleRejected](e)
		if err != nil {
			return err
		}
		e.At = ev.RejectedAt
		if r.step(e, "") && (r.Role == nil || r.Role.Status != "validated") {
			r.Role = &Role{ARN: ev.RoleARN, Status: "rejected", Explanation: ev.Explanation, At: ev.RejectedAt}
		}
		return nil
	},
	evRoleUnverif: func(r *Record, e *Entry) error {
		ev, err := decode[events.RoleUnverified](e)
		if err != nil {
			return err
		}
		e.At = ev.UnverifiedAt
		if r.step(e, "") && (r.Role == nil || r.Role.Status != "validated") {
			r.Role = &Role{ARN: ev.RoleARN, Status: "unverified", Explanation: ev.Reason, At: ev.UnverifiedAt}
		}
		return nil
	},
	"role-submitted":         annotate(foldRoleSubmitted),
	"support-group-assigned": annotate(foldGroupAssigned),
	"support-group-missing":  annotate(foldGroupMissing),
	"support-changed":        annotate(foldSupportChanged),
	"ticket-created":         annotate(foldTicket),
	"reply-held":             annotate(foldHeld),
	"reply-released":         annotate(foldReleased),
	"reply-discarded":        annotate(foldDiscarded),
	"reminder-sent":          annotate(foldReminder),
	"effect-failed":          annotate(foldFailure),
	"reply-rejected":         annotate(func(r *Record, ev events.ReplyRejected) string { return ev.RejectedAt }),
}

// annotate adapts the fold of an event that never moves the stage.
func annotate[T any](f func(*Record, T) string) func(*Record, *Entry) error {
	return func(r *Record, e *Entry) error {
		ev, err := decode[T](e)
		if err != nil {
			return err
		}
		e.At = f(r, ev)
		return nil
	}
}

func foldRoleSubmitted(r *Record, e events.RoleSubmitted) string {
	if r.Role == nil || r.Role.Status != "validated" || r.Role.ARN != e.RoleARN {
		r.Role = &Role{ARN: e.RoleARN, Status: "submitted", At: e.SubmittedAt}
	}
	return e.SubmittedAt
}

func foldGroupAssigned(r *Record, e events.SupportGroupAssigned) string {
	expected := events.GroupFor(r.SupportType())
	r.SupportGroup = &SupportGroup{Group: e.Group, Expected: expected, Missing: r.SupportType() != "" && e.Group != expected, At: e.AssignedAt}
	return e.AssignedAt
}

func foldGroupMissing(r *Record, e events.SupportGroupMissing) string {
	g := SupportGroup{Expected: e.ExpectedGroup, Missing: true, At: e.DetectedAt}
	if r.SupportGroup != nil {
		g.Group = r.SupportGroup.Group
	}
	r.SupportGroup = &g
	return e.DetectedAt
}

func foldSupportChanged(r *Record, e events.SupportChanged) string {
	c := r.change(e.ChangeID)
	c.From, c.To, c.At = e.From, e.To, e.ChangedAt
	if r.SupportGroup != nil && r.SupportGroup.Group != "" {
		r.SupportGroup.Expected = events.GroupFor(e.To)
		r.SupportGroup.Missing = r.SupportGroup.Group != r.SupportGroup.Expected
	}
	return e.ChangedAt
}

func foldTicket(r *Record, e events.TicketCreated) string {
	c := r.change(e.ChangeID)
	c.TicketID, c.TicketURL = e.TicketID, e.TicketURL
	return e.CreatedAt
}

func foldHeld(r *Record, e events.ReplyHeld) string {
	if _, ok := r.HeldReply(e.ReplyID); !ok {
		r.Held = append(r.Held, HeldReply{ReplyID: e.ReplyID, From: e.From, MatchedBy: e.MatchedBy, RootEmail: e.RootEmail,
			Nickname: e.Nickname, SupportType: e.SupportType, RoleARN: e.RoleARN, HeldAt: e.HeldAt, Status: HeldWaiting})
	}
	return e.HeldAt
}

func foldReleased(r *Record, e events.ReplyReleased) string {
	if h := r.settleHeld(e.ReplyID, HeldReleased, e.By, e.ReleasedAt); h != nil {
		h.ConfirmedBy = e.ConfirmReplyID
	}
	return e.ReleasedAt
}

func foldDiscarded(r *Record, e events.ReplyDiscarded) string {
	by := e.Operator // "contact" when the contact said they did not send it
	if by == "" {
		by = "ops"
	}
	r.settleHeld(e.ReplyID, HeldDiscarded, by, e.DiscardedAt)
	return e.DiscardedAt
}

// settleHeld records the first decision on a held reply; a later one
// (released after discarded, or twice) changes nothing.
func (r *Record) settleHeld(id, status, by, at string) *HeldReply {
	for i := range r.Held {
		if h := &r.Held[i]; h.ReplyID == id && h.Status == HeldWaiting {
			h.Status, h.By, h.At = status, by, at
			return h
		}
	}
	return nil
}

func foldReminder(r *Record, e events.ReminderSent) string {
	if !slices.ContainsFunc(r.Reminders, func(x Reminder) bool { return x.Number == e.Number }) {
		r.Reminders = append(r.Reminders, Reminder{Number: e.Number, SentAt: e.SentAt})
	}
	return e.SentAt
}

func foldFailure(r *Record, e events.EffectFailed) string {
	r.Failures = append(r.Failures, Failure{Effect: e.Effect, Kind: e.Kind, Outcome: e.Outcome, Handler: e.Handler,
		Error: e.Error, DLQSeq: e.DLQSeq, At: e.FailedAt})
	return e.FailedAt
}

// change returns the support change with that id, adding it if new.
func (r *Record) change(id string) *SupportChange {
	for i := range r.SupportChanges {
		if r.SupportChanges[i].ChangeID == id {
			return &r.SupportChanges[i]
		}
	}
	r.SupportChanges = append(r.SupportChanges, SupportChange{ChangeID: id})
	return &r.SupportChanges[len(r.SupportChanges)-1]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
