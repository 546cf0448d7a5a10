// Package lifecycle is the projection of each request's lifecycle, kept in
// the KV bucket "requests" and folded from the events of the pipeline.
package lifecycle

import "github.com/acctflow/acctflow/events"

// Stages of a request, in the usual order.
const (
	StageRequested       = "requested"
	StageRejected        = "rejected"
	StageRouted          = "routed"
	StageAwaitingDetails = "awaiting_details"
	StageDetailsReceived = "details_received"
	StageApproved        = "approved"
	StageCreated         = "created"
	StageCreationFailed  = "creation_failed"
	StageRoleValidated   = "role_validated"
)

// Record is everything known about one request.
type Record struct {
	RequestID string       `json:"request_id"`
	Stage     string       `json:"stage"`
	StageAt   string       `json:"stage_at"`
	StageSeq  uint64       `json:"stage_seq"`
	History   []StageEntry `json:"history"`

	Request        *events.AccountRequested      `json:"request,omitempty"`
	Region         string                        `json:"region,omitempty"`
	OpsTeam        string                        `json:"ops_team,omitempty"`
	ReplyChannel   string                        `json:"reply_channel,omitempty"`
	SupportMailbox string                        `json:"support_mailbox,omitempty"`
	Rejection      *Rejection                    `json:"rejection,omitempty"`
	Confirmation   *events.ConfirmationSent      `json:"confirmation,omitempty"`
	Details        *events.DetailsSubmitted      `json:"details,omitempty"`
	Problems       []string                      `json:"problems,omitempty"`
	Approval       *events.AccountApproved       `json:"approval,omitempty"`
	Account        *events.AccountCreated        `json:"account,omitempty"`
	Failure        *events.AccountCreationFailed `json:"creation_failure,omitempty"`
	Role           *Role                         `json:"role,omitempty"`
	SupportGroup   *SupportGroup                 `json:"support_group,omitempty"`
	SupportChanges []SupportChange               `json:"support_changes,omitempty"`

	// Applied holds the ids of the last events folded in, so a redelivered
	// event changes nothing.
	Applied []string `json:"applied,omitempty"`
}

type StageEntry struct {
	Stage string `json:"stage"`
	At    string `json:"at"`
	Event string `json:"event"`
	Seq   uint64 `json:"seq"`
}

type Rejection struct {
	Reasons []string `json:"reasons"`
	Detail  string   `json:"detail,omitempty"`
	By      string   `json:"by,omitempty"`
}

type Role struct {
	ARN         string `json:"arn"`
	Status      string `json:"status"` // submitted, validated, rejected
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
