package events

type ConfirmationSent struct {
	RequestID string `json:"request_id"`
	MessageID string `json:"message_id"`
	Recipient string `json:"recipient"`
	ReplyTo   string `json:"reply_to"`
	SentAt    string `json:"sent_at"`
}

func (ConfirmationSent) Subject() string { return SubjectConfirmationSent }
func (ConfirmationSent) Schema() string  { return "confirmation-sent" }
func (e ConfirmationSent) Key() string   { return e.RequestID }

// ReplyReceived announces a stored inbound message; Object names it in the
// mail-raw object store.
type ReplyReceived struct {
	ReplyID     string `json:"reply_id"`
	Mailbox     string `json:"mailbox"`
	UIDValidity uint32 `json:"uid_validity,omitempty"`
	UID         uint32 `json:"uid,omitempty"`
	Object      string `json:"object"`
	Size        int64  `json:"size"`
	Oversize    bool   `json:"oversize,omitempty"`
	MessageID   string `json:"message_id,omitempty"`
	ReceivedAt  string `json:"received_at"`
}

func (ReplyReceived) Subject() string { return SubjectReplyReceived }
func (ReplyReceived) Schema() string  { return "reply-received" }
func (e ReplyReceived) Key() string   { return e.ReplyID }

type DetailsSubmitted struct {
	RequestID string `json:"request_id"`
	RootEmail string `json:"root_email"`
	Nickname  string `json:"nickname"`
	// AWSAccountName is the nickname as AWS will show it (printable
	// ASCII, at most 50 characters).
	AWSAccountName  string `json:"aws_account_name,omitempty"`
	SupportType     string `json:"support_type"`
	EnterpriseSales bool   `json:"enterprise_sales,omitempty"`
	SourceMessageID string `json:"source_message_id,omitempty"`
	From            string `json:"from,omitempty"`
	SubmittedAt     string `json:"submitted_at"`
}

func (DetailsSubmitted) Subject() string { return SubjectDetailsSubmitted }
func (DetailsSubmitted) Schema() string  { return "details-submitted" }
func (e DetailsSubmitted) Key() string   { return e.RequestID }

type DetailsIncomplete struct {
	RequestID         string   `json:"request_id"`
	Problems          []string `json:"problems"`
	RootEmail         *string  `json:"root_email"`
	Nickname          *string  `json:"nickname"`
	SupportType       *string  `json:"support_type"`
	SourceMessageID   string   `json:"source_message_id,omitempty"`
	From              string   `json:"from,omitempty"`
	ClarificationSent bool     `json:"clarification_sent"`
	ReceivedAt        string   `json:"received_at"`
}

func (DetailsIncomplete) Subject() string { return SubjectDetailsIncomplete }
func (DetailsIncomplete) Schema() string  { return "details-incomplete" }
func (e DetailsIncomplete) Key() string   { return e.RequestID }

// Reasons a reply is refused.
const (
	ReplyUnmatched    = "unmatched"
	ReplyForgedToken  = "forged_token"
	ReplyUnauthorised = "unauthorised_sender"
	ReplyAutoReply    = "auto_reply"
	ReplyBounce       = "bounce"
	ReplyTooLarge     = "too_large"
	ReplyUnreadable   = "unreadable"
	ReplyWrongStage   = "wrong_stage"
)

type ReplyRejected struct {
	ReplyID    string `json:"reply_id"`
	RequestID  string `json:"request_id,omitempty"`
	Reason     string `json:"reason"`
	Detail     string `json:"detail,omitempty"`
	From       string `json:"from,omitempty"`
	MessageID  string `json:"message_id,omitempty"`
	RejectedAt string `json:"rejected_at"`
}

func (ReplyRejected) Subject() string { return SubjectReplyRejected }
func (ReplyRejected) Schema() string  { return "reply-rejected" }
func (e ReplyRejected) Key() string   { return e.ReplyID }
