package lifecycle

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/acctflow/acctflow/events"
)

const maxApplied = 64

// Apply folds one event into the record. seq is the event's position in the
// stream, which is causal order (a handler publishes its output only after
// its input is stored), unlike the publishers' clocks. Apply is idempotent (an
// event id seen before changes nothing) and tolerates events arriving out of
// order: the stage only moves to an event later in the stream.
func Apply(r *Record, subject string, data []byte, env events.Envelope, seq uint64) error {
	id := appliedID(env.ID)
	if slices.Contains(r.Applied, id) {
		return nil
	}
	schema, ok := events.SchemaFor(subject)
	if !ok {
		return fmt.Errorf("no event type for subject %s", subject)
	}
	if err := fold(r, schema, data, seq); err != nil {
		return err
	}
	r.Applied = append(r.Applied, id)
	if len(r.Applied) > maxApplied {
		r.Applied = r.Applied[len(r.Applied)-maxApplied:]
	}
	return nil
}

// appliedID is how an event id is kept in Applied. The record lives in KV as
// JSON, which turns invalid UTF-8 (possible in a header) into U+FFFD: such an
// id would then miss its own redelivery and match other events' ids, so it is
// kept as a digest instead.
func appliedID(id string) string {
	// Ids come from headers: keep them short and valid UTF-8 so records
	// stay small and survive the JSON round trip through KV.
	if utf8.ValidString(id) && len(id) <= 64 {
		return id
	}
	return "sha256:" + events.DerivedID(id)
}

// stage moves the record to s unless a later event already moved it, and
// always records it in the history.
func (r *Record) stage(s, at, event string, seq uint64) {
	r.History = append(r.History, StageEntry{Stage: s, At: at, Event: event, Seq: seq})
	slices.SortStableFunc(r.History, func(a, b StageEntry) int { return cmp.Compare(a.Seq, b.Seq) })
	if seq >= r.StageSeq {
		r.Stage, r.StageAt, r.StageSeq = s, at, seq
	}
}

func fold(r *Record, schema string, data []byte, seq uint64) error {
	switch schema {
	case "account-requested":
		var e events.AccountRequested
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Request = &e
		r.stage(StageRequested, e.RequestedAt, schema, seq)
	case "account-routed":
		var e events.AccountRouted
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Request = &e.Request
		r.Region, r.OpsTeam, r.ReplyChannel, r.SupportMailbox = e.Region, e.OpsTeam, e.ReplyChannel, e.SupportMailbox
		r.stage(StageRouted, e.RoutedAt, schema, seq)
	case "request-rejected":
		var e events.RequestRejected
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		if e.Request != nil {
			r.Request = e.Request
		}
		r.Rejection = &Rejection{Reasons: e.Reasons, Detail: e.Detail, By: e.RejectedBy}
		r.stage(StageRejected, e.RejectedAt, schema, seq)
	case "confirmation-sent":
		var e events.ConfirmationSent
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Confirmation = &e
		r.stage(StageAwaitingDetails, e.SentAt, schema, seq)
	case "details-submitted":
		var e events.DetailsSubmitted
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Details, r.Problems = &e, nil
		r.stage(StageDetailsReceived, e.SubmittedAt, schema, seq)
	case "details-incomplete":
		var e events.DetailsIncomplete
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Problems = e.Problems
	case "account-approved":
		var e events.AccountApproved
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Approval = &e
		r.stage(StageApproved, e.ApprovedAt, schema, seq)
	case "account-created":
		var e events.AccountCreated
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Account, r.Failure = &e, nil
		r.stage(StageCreated, e.CreatedAt, schema, seq)
	case "account-creation-failed":
		var e events.AccountCreationFailed
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Failure = &e
		if e.NewRootEmailNeeded {
			// The root email cannot be used: ask the reseller again.
			r.Details = nil
			r.stage(StageAwaitingDetails, e.FailedAt, schema, seq)
		} else {
			r.stage(StageCreationFailed, e.FailedAt, schema, seq)
		}
	case "role-submitted":
		var e events.RoleSubmitted
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Role = &Role{ARN: e.RoleARN, Status: "submitted", At: e.SubmittedAt}
	case "role-validated":
		var e events.RoleValidated
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Role = &Role{ARN: e.RoleARN, Status: "validated", At: e.ValidatedAt}
		r.stage(StageRoleValidated, e.ValidatedAt, schema, seq)
	case "role-rejected":
		var e events.RoleRejected
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.Role = &Role{ARN: e.RoleARN, Status: "rejected", Explanation: e.Explanation, At: e.RejectedAt}
	case "support-group-assigned":
		var e events.SupportGroupAssigned
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		expected := events.GroupFor(r.SupportType())
		r.SupportGroup = &SupportGroup{Group: e.Group, Expected: expected, Missing: r.SupportType() != "" && e.Group != expected, At: e.AssignedAt}
	case "support-group-missing":
		var e events.SupportGroupMissing
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		g := SupportGroup{Expected: e.ExpectedGroup, Missing: true, At: e.DetectedAt}
		if r.SupportGroup != nil {
			g.Group = r.SupportGroup.Group
		}
		r.SupportGroup = &g
	case "support-changed":
		var e events.SupportChanged
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		r.change(e.ChangeID).From, r.change(e.ChangeID).To, r.change(e.ChangeID).At = e.From, e.To, e.ChangedAt
		if r.SupportGroup != nil && r.SupportGroup.Group != "" {
			r.SupportGroup.Expected = events.GroupFor(e.To)
			r.SupportGroup.Missing = r.SupportGroup.Group != r.SupportGroup.Expected
		}
	case "ticket-created":
		var e events.TicketCreated
		if err := events.Unmarshal(schema, data, &e); err != nil {
			return err
		}
		c := r.change(e.ChangeID)
		c.TicketID, c.TicketURL = e.TicketID, e.TicketURL
	}
	return nil
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

// RequestIDOf returns the request an event belongs to, "" if none.
func RequestIDOf(data []byte) string {
	var probe struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(data, &probe) != nil || !events.ValidRequestID(probe.RequestID) {
		return ""
	}
	return probe.RequestID
}
