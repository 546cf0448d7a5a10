// Package events defines every event of the pipeline, the subjects that carry
// them and the CloudEvents envelope, and encodes them only after their schema
// accepts them.
package events

import (
	"strings"
	"time"
)

// Subjects of the ACCOUNTS stream (DESIGN §3).
const (
	Stream    = "ACCOUNTS"
	DLQStream = "ACCOUNTS_DLQ"

	SubjectRequested            = "acct.requested"
	SubjectRejected             = "acct.rejected"
	SubjectRoutedPrefix         = "acct.routed."
	SubjectConfirmationSent     = "acct.confirmation.sent"
	SubjectReplyReceived        = "acct.reply.received"
	SubjectDetailsSubmitted     = "acct.details.submitted"
	SubjectDetailsIncomplete    = "acct.details.incomplete"
	SubjectReplyRejected        = "acct.reply.rejected"
	SubjectApproved             = "acct.approved"
	SubjectCreated              = "acct.created"
	SubjectCreationFailed       = "acct.creation.failed"
	SubjectRoleSubmitted        = "acct.role.submitted"
	SubjectRoleValidated        = "acct.role.validated"
	SubjectRoleRejected         = "acct.role.rejected"
	SubjectSupportGroupAssigned = "acct.support_group.assigned"
	SubjectSupportGroupMissing  = "acct.support_group.missing"
	SubjectSupportChanged       = "acct.support.changed"
	SubjectTicketCreated        = "acct.ticket.created"
)

// Event is implemented by every payload type.
type Event interface {
	// Subject is where the event is published.
	Subject() string
	// Schema names its JSON Schema in package schemas.
	Schema() string
	// Key is what the event is about: the request id, or the change id.
	Key() string
}

// Kinds maps each event's schema name to its subject pattern; tests use it to
// prove that every event has a schema and an AsyncAPI channel.
var Kinds = map[string]string{
	"account-requested":       SubjectRequested,
	"account-routed":          SubjectRoutedPrefix + "{region}",
	"request-rejected":        SubjectRejected,
	"confirmation-sent":       SubjectConfirmationSent,
	"reply-received":          SubjectReplyReceived,
	"details-submitted":       SubjectDetailsSubmitted,
	"details-incomplete":      SubjectDetailsIncomplete,
	"reply-rejected":          SubjectReplyRejected,
	"account-approved":        SubjectApproved,
	"account-created":         SubjectCreated,
	"account-creation-failed": SubjectCreationFailed,
	"role-submitted":          SubjectRoleSubmitted,
	"role-validated":          SubjectRoleValidated,
	"role-rejected":           SubjectRoleRejected,
	"support-group-assigned":  SubjectSupportGroupAssigned,
	"support-group-missing":   SubjectSupportGroupMissing,
	"support-changed":         SubjectSupportChanged,
	"ticket-created":          SubjectTicketCreated,
	"reply-held":              SubjectReplyHeld,
	"reply-released":          SubjectReplyReleased,
	"reply-discarded":         SubjectReplyDiscarded,
	"reminder-sent":           SubjectReminderSent,
	"request-expired":         SubjectExpired,
	"effect-failed":           SubjectEffectFailed,
	"role-unverified":         SubjectRoleUnverified,
}

// SchemaFor returns the schema name of the event published on subject.
func SchemaFor(subject string) (string, bool) {
	if strings.HasPrefix(subject, SubjectRoutedPrefix) {
		return "account-routed", true
	}
	for name, s := range Kinds {
		if s == subject {
			return name, true
		}
	}
	return "", false
}

// Time is how every event timestamp is written: UTC, RFC 3339, milliseconds.
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
