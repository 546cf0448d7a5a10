package events

// Reply channels: US and CA reply to the workflow email, other regions write
// to their regional support mailbox.
const (
	ReplyWorkflow       = "workflow_reply"
	ReplySupportMailbox = "support_mailbox"
)

// Rejection reasons.
const (
	ReasonPricebookMissing       = "pricebook_missing"
	ReasonInvoiceCurrencyMissing = "invoice_currency_missing"
	ReasonProviderNotEnabled     = "provider_not_enabled"
	ReasonUnknownCountry         = "unknown_country"
	ReasonOpsRejected            = "ops_rejected"
	// ReasonRequestIDConflict: a different body under the id of a request
	// already routed; the original is untouched.
	ReasonRequestIDConflict = "request_id_conflict"
)

// AccountRouted carries the whole request so that ops need no lookup.
type AccountRouted struct {
	RequestID      string           `json:"request_id"`
	Region         string           `json:"region"`
	OpsTeam        string           `json:"ops_team"`
	ReplyChannel   string           `json:"reply_channel"`
	SupportMailbox string           `json:"support_mailbox,omitempty"`
	RoutedAt       string           `json:"routed_at"`
	Request        AccountRequested `json:"request"`
}

func (e AccountRouted) Subject() string { return SubjectRoutedPrefix + e.Region }
func (AccountRouted) Schema() string    { return "account-routed" }
func (e AccountRouted) Key() string     { return e.RequestID }

// RequestRejected says why a request cannot go on.
type RequestRejected struct {
	RequestID  string            `json:"request_id"`
	Reasons    []string          `json:"reasons"`
	Detail     string            `json:"detail,omitempty"`
	RejectedBy string            `json:"rejected_by,omitempty"`
	RejectedAt string            `json:"rejected_at"`
	Request    *AccountRequested `json:"request,omitempty"`
}

func (RequestRejected) Subject() string { return SubjectRejected }
func (RequestRejected) Schema() string  { return "request-rejected" }
func (e RequestRejected) Key() string   { return e.RequestID }
