package mailer

import (
	"errors"
	"time"
)

// TicketData is a support type change to be handled by the support desk:
// mailed when no help desk API is configured, and the same text is the
// Freshdesk ticket's description otherwise (TicketDescription).
type TicketData struct {
	ChangeID     string
	AccountID    string
	RequestID    string // optional
	From, To     string // support types: business, developer, basic, enterprise
	ChangedAt    time.Time
	ReportedBy   Address
	ResellerName string
	CustomerName string // optional
}

// Kind implements Data.
func (TicketData) Kind() string { return KindTicket }

// Support plan groups of DESIGN §1 step 7, as billing names them.
const (
	GroupPassthrough     = "Passthrough"
	GroupBusinessSupport = "Business Support"
)

// SupportPlanGroup is the billing group an account on supportType belongs
// in: Business Support for business, Passthrough for every other type.
// Enterprise Support is contracted through the AWS sales representative and
// stays Passthrough here; the ticket says to confirm with them.
func SupportPlanGroup(supportType string) string {
	if supportType == "business" {
		return GroupBusinessSupport
	}
	return GroupPassthrough
}

type ticketView struct {
	ChangeID, AccountID, RequestID string
	From, To                       string
	When                           string
	Reporter                       string
	ResellerName, CustomerName     string
	Group                          string
}

func (d TicketData) prepare(*tr) (string, any, error) {
	if err := checkAccountID("account id", d.AccountID); err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.From, false); err != nil {
		return "", nil, err
	}
	if err := checkSupportType(d.To, false); err != nil {
		return "", nil, err
	}
	if d.From == d.To {
		return "", nil, errors.New("support type change without a change")
	}
	if d.ChangedAt.IsZero() {
		return "", nil, errors.New("support type change without a time")
	}
	if d.RequestID != "" && !requestIDPattern.MatchString(d.RequestID) {
		return "", nil, errors.New("invalid request id")
	}
	v := ticketView{
		ChangeID: oneLine(d.ChangeID), AccountID: d.AccountID, RequestID: d.RequestID,
		From: supportLabel(d.From), To: supportLabel(d.To),
		When:         d.ChangedAt.UTC().Format("2006-01-02 15:04:05 UTC"),
		ResellerName: oneLine(d.ResellerName), CustomerName: oneLine(d.CustomerName),
		Group: SupportPlanGroup(d.To),
	}
	v.Reporter = oneLine(d.ReportedBy.Name)
	if e := oneLine(d.ReportedBy.Email); e != "" {
		if v.Reporter != "" {
			v.Reporter += " "
		}
		v.Reporter += "<" + e + ">"
	}
	subject := "AWS support type change: account " + d.AccountID + " " + shortLabel(d.From) + " \u2192 " + shortLabel(d.To)
	if v.ResellerName != "" {
		subject += " (" + v.ResellerName + ")"
	}
	return subject, v, nil
}

func shortLabel(t string) string {
	switch t {
	case "basic":
		return "Basic"
	case "developer":
		return "Developer"
	case "business":
		return "Business"
	}
	return "Enterprise"
}

// TicketDescription renders the ticket's subject and its description as an
// HTML fragment (no document wrapper), the form help desk APIs take.
func TicketDescription(d TicketData) (subject, html string, err error) {
	_, subject, _, html, err = render(d)
	return subject, html, err
}
