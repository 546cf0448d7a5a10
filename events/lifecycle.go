package events

// Subjects added with the explicit lifecycle (DESIGN §3, §4).
const (
	SubjectReplyHeld      = "acct.reply.held"
	SubjectReplyReleased  = "acct.reply.released"
	SubjectReplyDiscarded = "acct.reply.discarded"
	SubjectReminderSent   = "acct.reminder.sent"
	SubjectExpired        = "acct.expired"
	SubjectEffectFailed   = "acct.effect.failed"
	SubjectRoleUnverified = "acct.role.unverified"
)

// HoldUnverifiedSender is why a reply is held: it was matched by its
// subject tag or an unverifiable thread, and nothing proves its From.
const HoldUnverifiedSender = "unverified_sender"

// How a reply was matched to its request.
const (
	MatchedToken   = "token"   // a verified token in a recipient address
	MatchedThread  = "thread"  // a verified token in one of our Message-IDs it quotes
	MatchedLegacy  = "legacy"  // an old-scheme Message-ID: proves nothing
	MatchedSubject = "subject" // the [request_id] subject tag: proves nothing
)

// ReplyHeld: a reply from an authorised sender that proves nothing about who
// wrote it. It changes nothing until the contact confirms (by answering the
// email that asks, whose Reply-To carries the token) or ops release it.
type ReplyHeld struct {
	ReplyID     string  `json:"reply_id"`
	RequestID   string  `json:"request_id"`
	Reason      string  `json:"reason"`
	MatchedBy   string  `json:"matched_by"`
	From        string  `json:"from,omitempty"`
	MessageID   string  `json:"message_id,omitempty"`
	RootEmail   *string `json:"root_email,omitempty"`
	Nickname    *string `json:"nickname,omitempty"`
	SupportType *string `json:"support_type,omitempty"`
	RoleARN     string  `json:"role_arn,omitempty"`
	// ConfirmationRequested: the confirm-by-reply email went to the contact.
	ConfirmationRequested bool   `json:"confirmation_requested"`
	HeldAt                string `json:"held_at"`
}

func (ReplyHeld) Subject() string { return SubjectReplyHeld }
func (ReplyHeld) Schema() string  { return "reply-held" }
func (e ReplyHeld) Key() string   { return e.RequestID }

// Who released a held reply.
const (
	ReleasedByContact = "contact" // a reply with a verified token confirmed it
	ReleasedByOps     = "ops"
)

// ReplyReleased applies a held reply as if it had been verified.
type ReplyReleased struct {
	ReplyID   string `json:"reply_id"`
	RequestID string `json:"request_id"`
	By        string `json:"by"`
	// ConfirmReplyID is the contact's confirming reply (By = contact).
	ConfirmReplyID string `json:"confirm_reply_id,omitempty"`
	Operator       string `json:"operator,omitempty"`
	ReleasedAt     string `json:"released_at"`
}

func (ReplyReleased) Subject() string { return SubjectReplyReleased }
func (ReplyReleased) Schema() string  { return "reply-released" }
func (e ReplyReleased) Key() string   { return e.RequestID }

// ReplyDiscarded drops a held reply for good.
type ReplyDiscarded struct {
	ReplyID     string `json:"reply_id"`
	RequestID   string `json:"request_id"`
	Operator    string `json:"operator,omitempty"`
	Reason      string `json:"reason,omitempty"`
	DiscardedAt string `json:"discarded_at"`
}

func (ReplyDiscarded) Subject() string { return SubjectReplyDiscarded }
func (ReplyDiscarded) Schema() string  { return "reply-discarded" }
func (e ReplyDiscarded) Key() string   { return e.RequestID }

// ReminderSent: the reseller was reminded that the request waits on them.
type ReminderSent struct {
	RequestID    string `json:"request_id"`
	Number       int    `json:"number"`
	MessageID    string `json:"message_id"`
	Recipient    string `json:"recipient"`
	WaitingSince string `json:"waiting_since"`
	SentAt       string `json:"sent_at"`
}

func (ReminderSent) Subject() string { return SubjectReminderSent }
func (ReminderSent) Schema() string  { return "reminder-sent" }
func (e ReminderSent) Key() string   { return e.RequestID }

// RequestExpired: the reseller never completed the details.
type RequestExpired struct {
	RequestID    string `json:"request_id"`
	WaitingSince string `json:"waiting_since"`
	ExpiredAt    string `json:"expired_at"`
}

func (RequestExpired) Subject() string { return SubjectExpired }
func (RequestExpired) Schema() string  { return "request-expired" }
func (e RequestExpired) Key() string   { return e.RequestID }

// Effects a request depends on.
const (
	EffectEmail         = "email"
	EffectTicket        = "ticket"
	EffectCreateAccount = "create_account"
	EffectRoleCheck     = "role_check"
)

// What became of a failed effect.
const (
	OutcomeDeadLettered = "dead_lettered" // in ACCOUNTS_DLQ: fix, then `acctflow dlq replay`
	OutcomeBlocked      = "blocked"       // an adapter's circuit is open: it resumes by itself
)

// EffectFailed records on its request that one of its effects failed, with
// the server's own words, and raises one ops alert.
type EffectFailed struct {
	RequestID string `json:"request_id,omitempty"`
	ChangeID  string `json:"change_id,omitempty"`
	Effect    string `json:"effect"`
	Kind      string `json:"kind,omitempty"` // e.g. the email: confirmation, followup
	Outcome   string `json:"outcome"`
	Handler   string `json:"handler"`
	Input     string `json:"input_subject"` // the subject of the event whose effect failed
	Error     string `json:"error"`
	DLQSeq    uint64 `json:"dlq_seq,omitempty"`
	FailedAt  string `json:"failed_at"`
}

func (EffectFailed) Subject() string { return SubjectEffectFailed }
func (EffectFailed) Schema() string  { return "effect-failed" }
func (e EffectFailed) Key() string {
	if e.RequestID != "" {
		return e.RequestID
	}
	return e.ChangeID
}

// RoleUnverified: a Role ARN that could not be checked because no AWS access
// is configured; ops check it by hand.
type RoleUnverified struct {
	RequestID    string `json:"request_id"`
	RoleARN      string `json:"role_arn"`
	AccountID    string `json:"account_id,omitempty"`
	Reason       string `json:"reason"`
	UnverifiedAt string `json:"unverified_at"`
}

func (RoleUnverified) Subject() string { return SubjectRoleUnverified }
func (RoleUnverified) Schema() string  { return "role-unverified" }
func (e RoleUnverified) Key() string   { return e.RequestID }
