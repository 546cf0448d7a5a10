// Package lifecycle is the projection of each request's lifecycle, kept in
// the KV bucket "requests" and folded from the events of the pipeline.
//
// A record is a pure function of the set of events it has seen: History
// keeps every event (with the payload of those that can move the stage) in
// stream order, and the rest of the record is derived from it by the
// transition table (stage.go) and one small fold per event type (fold.go).
// Events usually arrive in stream order and are folded incrementally; one
// that arrives late (a redelivery, a concurrent batch) is inserted at its
// place and the record is folded again, so the order of delivery never
// changes the result.
package lifecycle

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/acctflow/acctflow/events"
)

// Record is everything known about one request.
type Record struct {
	RequestID string  `json:"request_id"`
	Stage     Stage   `json:"stage"`
	StageAt   string  `json:"stage_at"`
	StageSeq  uint64  `json:"stage_seq"`
	History   []Entry `json:"history"`

	Request        *events.AccountRequested      `json:"request,omitempty"`
	Region         string                        `json:"region,omitempty"`
	OpsTeam        string                        `json:"ops_team,omitempty"`
	ReplyChannel   string                        `json:"reply_channel,omitempty"`
	SupportMailbox string                        `json:"support_mailbox,omitempty"`
	Rejection      *Rejection                    `json:"rejection,omitempty"`
	Conflicts      []Conflict                    `json:"conflicts,omitempty"`
	Confirmation   *events.ConfirmationSent      `json:"confirmation,omitempty"`
	Known          Known                         `json:"known,omitempty"`
	Details        *events.DetailsSubmitted      `json:"details,omitempty"`
	Problems       []string                      `json:"problems,omitempty"`
	Held           []HeldReply                   `json:"held_replies,omitempty"`
	Reminders      []Reminder                    `json:"reminders,omitempty"`
	Expiry         *events.RequestExpired        `json:"expiry,omitempty"`
	Approval       *events.AccountApproved       `json:"approval,omitempty"`
	Account        *events.AccountCreated        `json:"account,omitempty"`
	Failure        *events.AccountCreationFailed `json:"creation_failure,omitempty"`
	Role           *Role                         `json:"role,omitempty"`
	SupportGroup   *SupportGroup                 `json:"support_group,omitempty"`
	SupportChanges []SupportChange               `json:"support_changes,omitempty"`
	Failures       []Failure                     `json:"failures,omitempty"`
}

// Entry is one event of the request, in stream order.
type Entry struct {
	Seq   uint64 `json:"seq"`
	ID    string `json:"id"`    // the event id (ce-id), or its digest
	Event string `json:"event"` // schema name
	At    string `json:"at"`    // the event's own time
	// Stage is the stage the event moved the request to ("" if none).
	Stage Stage `json:"stage,omitempty"`
	// Ignored says why an event the table governs changed nothing.
	Ignored string `json:"ignored,omitempty"`
	// Data is the payload of events that can move the stage, so the record
	// can be folded again when an event arrives out of order.
	Data json.RawMessage `json:"data,omitempty"`
}

type Rejection struct {
	Reasons []string `json:"reasons"`
	Detail  string   `json:"detail,omitempty"`
	By      string   `json:"by,omitempty"`
}

// Conflict is a different request published under this request's id after
// it was routed: refused, the original untouched.
type Conflict struct {
	At      string                   `json:"at"`
	Request *events.AccountRequested `json:"request,omitempty"`
}

// Known holds the details gathered so far from the reseller's replies: they
// accumulate, each accepted reply filling or correcting fields.
type Known struct {
	RootEmail   string `json:"root_email,omitempty"`
	Nickname    string `json:"nickname,omitempty"`
	SupportType string `json:"support_type,omitempty"`
}

// HeldReply is a reply that proves nothing about its sender, waiting for
// the contact's confirmation or for ops.
type HeldReply struct {
	ReplyID     string  `json:"reply_id"`
	From        string  `json:"from,omitempty"`
	MatchedBy   string  `json:"matched_by"`
	RootEmail   *string `json:"root_email,omitempty"`
	Nickname    *string `json:"nickname,omitempty"`
	SupportType *string `json:"support_type,omitempty"`
	RoleARN     string  `json:"role_arn,omitempty"`
	HeldAt      string  `json:"held_at"`
	// Status: held, released or discarded.
	Status string `json:"status"`
	By     string `json:"by,omitempty"` // who released or discarded it
	At     string `json:"at,omitempty"`
	// ConfirmedBy is the contact's reply that confirmed it (By contact).
	ConfirmedBy string `json:"confirmed_by,omitempty"`
}

// Held reply statuses.
const (
	HeldWaiting   = "held"
	HeldReleased  = "released"
	HeldDiscarded = "discarded"
)

// Reminder is one reminder sent to the reseller.
type Reminder struct {
	Number int    `json:"number"`
	SentAt string `json:"sent_at"`
}

type Role struct {
	ARN         string `json:"arn"`
	Status      string `json:"status"` // submitted, validated, rejected, unverified
	Explanation string `json:"explanation,omitempty"`
	At          string `json:"at"`
}

type SupportGroup struct {
	Group    string `json:"group,omitempty"`
	Expected string `json:"expected,omitempty"`
	Missing  bool   `json:"missing"`
	At       string `json:"at"`
}

type SupportChange struct {
	ChangeID  string `json:"change_id"`
	From      string `json:"from"`
	To        string `json:"to"`
	At        string `json:"at"`
	TicketID  string `json:"ticket_id,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
}

// Failure is an effect of the request that was dead-lettered or blocked.
type Failure struct {
	Effect  string `json:"effect"`
	Kind    string `json:"kind,omitempty"`
	Outcome string `json:"outcome"`
	Handler string `json:"handler"`
	Error   string `json:"error"`
	DLQSeq  uint64 `json:"dlq_seq,omitempty"`
	At      string `json:"at"`
}

// SupportType is the current support type: the last change, else the one the
// reseller asked for.
func (r *Record) SupportType() string {
	if n := len(r.SupportChanges); n > 0 {
		return r.SupportChanges[n-1].To
	}
	if r.Details != nil {
		return r.Details.SupportType
	}
	return ""
}

// Missing says in words what the reseller's details still lack or got
// wrong while the request waits for them: the last reply's problems
// ("support type missing, nickname unusable"), or a new root email after AWS
// refused the last one; "" when nothing is known to be missing.
func (r *Record) Missing() string {
	if len(r.Problems) == 0 && r.Stage == StageAwaitingDetails && r.Failure != nil && r.Failure.NewRootEmailNeeded {
		return "a new root email (AWS refused the last: " + r.Failure.FailureReason + ")"
	}
	return ProblemWords(r.Problems)
}

// problemWords are the problem codes plain words do not say well.
var problemWords = map[string]string{
	"root_email_is_contact":     "root email is the contact's own address",
	"root_email_in_use":         "root email already in use",
	"support_type_unrecognised": "support type not recognised",
	"support_type_unrecognized": "support type not recognised",
	"auto_reply":                "an automatic reply",
}

// ProblemWords turns a reply's problem codes (support_type_missing) into
// words for people (support type missing), joined by commas.
func ProblemWords(codes []string) string {
	words := make([]string, 0, len(codes))
	for _, c := range codes {
		w, ok := problemWords[c]
		if !ok {
			w = strings.ReplaceAll(c, "_", " ")
		}
		if w = strings.TrimSpace(w); w != "" && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	return strings.Join(words, ", ")
}

// HeldReply returns the held reply with that id.
func (r *Record) HeldReply(id string) (HeldReply, bool) {
	for _, h := range r.Held {
		if h.ReplyID == id {
			return h, true
		}
	}
	return HeldReply{}, false
}

// Seen reports whether the event with that id is in the history.
func (r *Record) Seen(eventID string) bool {
	id := appliedID(eventID)
	for _, e := range r.History {
		if e.ID == id {
			return true
		}
	}
	return false
}
