package events

// Support types, the same four values in every event.
const (
	SupportBusiness   = "business"
	SupportDeveloper  = "developer"
	SupportBasic      = "basic"
	SupportEnterprise = "enterprise"
)

// SupportType is one of the four support types.
type SupportType string

// ParseSupportType accepts exactly the four values events carry.
func ParseSupportType(s string) (SupportType, bool) {
	switch s {
	case SupportBusiness, SupportDeveloper, SupportBasic, SupportEnterprise:
		return SupportType(s), true
	}
	return "", false
}

// ValidSupportType reports whether s is one of the four support types.
func ValidSupportType(s string) bool {
	_, ok := ParseSupportType(s)
	return ok
}

// GroupFor is the support plan group billing needs for a support type:
// Business Support accounts sit in the business-support group, all others
// pass through.
func GroupFor(supportType string) string {
	if supportType == SupportBusiness {
		return GroupBusinessSupport
	}
	return GroupPassthrough
}

type SupportChanged struct {
	ChangeID   string       `json:"change_id"`
	AccountID  string       `json:"account_id"`
	RequestID  string       `json:"request_id,omitempty"`
	From       string       `json:"from"`
	To         string       `json:"to"`
	ChangedAt  string       `json:"changed_at"`
	ReportedBy Party        `json:"reported_by"`
	Reseller   ResellerName `json:"reseller"`
}

type ResellerName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (SupportChanged) Subject() string { return SubjectSupportChanged }
func (SupportChanged) Schema() string  { return "support-changed" }
func (e SupportChanged) Key() string   { return e.ChangeID }

// Ticket systems.
const (
	TicketFreshdesk = "freshdesk"
	TicketEmail     = "email"
)

type TicketCreated struct {
	ChangeID  string `json:"change_id"`
	TicketID  string `json:"ticket_id"`
	TicketURL string `json:"ticket_url,omitempty"`
	System    string `json:"system"`
	AccountID string `json:"account_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	CreatedAt string `json:"created_at"`
}

func (TicketCreated) Subject() string { return SubjectTicketCreated }
func (TicketCreated) Schema() string  { return "ticket-created" }
func (e TicketCreated) Key() string   { return e.ChangeID }
