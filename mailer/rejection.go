package mailer

import (
	"errors"
	"fmt"
	"strings"
)

// Machine-readable reasons of RequestRejected (DESIGN §3).
const (
	ReasonPricebookMissing       = "pricebook_missing"
	ReasonInvoiceCurrencyMissing = "invoice_currency_missing"
	ReasonProviderNotEnabled     = "provider_not_enabled"
	ReasonUnknownCountry         = "unknown_country"
	ReasonOpsRejected            = "ops_rejected"
)

// RejectionData tells the reseller why a request could not be routed and
// what to do in the reseller portal before asking again.
type RejectionData struct {
	RequestID    string
	ContactName  string
	CustomerName string
	Reasons      []string // the Reason* constants; at least one
	OpsReason    string   // ops' free text, shown (as one line) with ReasonOpsRejected
	// Where a reply goes, as in ConfirmationData: named in the text when it
	// is a regional support mailbox. The Reply-To is the caller's.
	ReplyChannel   string
	SupportMailbox string
	Lang           Lang
	Sig            Signature
}

// Kind implements Data.
func (RejectionData) Kind() string     { return KindRejection }
func (d RejectionData) language() Lang { return d.Lang }

type rejectionView struct {
	customer
	Steps []string // the portal steps, and ops' reason when there are some
	// Ops is ops' rejection alone, said as a paragraph rather than a step;
	// OpsAsked is set when it already asks the reseller to reply.
	Ops            string
	OpsAsked       bool
	SupportMailbox string
}

func (d RejectionData) prepare(t *tr) (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	box, err := replyChannel(d.ReplyChannel, d.SupportMailbox)
	if err != nil {
		return "", nil, err
	}
	v := rejectionView{customer: c, SupportMailbox: box}
	seen := map[string]bool{}
	for _, r := range d.Reasons {
		switch r {
		case ReasonPricebookMissing, ReasonInvoiceCurrencyMissing, ReasonProviderNotEnabled, ReasonUnknownCountry:
		case ReasonOpsRejected:
		default:
			// The set is closed by the event schema; a new reason needs its
			// own instructions here rather than a vague sentence.
			return "", nil, fmt.Errorf("unknown rejection reason %q", oneLine(r))
		}
		if seen[r] {
			continue
		}
		seen[r] = true
		v.Steps = append(v.Steps, rejectionStep(t, r, d.OpsReason))
	}
	if len(v.Steps) == 0 {
		return "", nil, errors.New("rejection without a reason")
	}
	if len(v.Steps) == 1 && seen[ReasonOpsRejected] {
		v.Ops, v.Steps, v.OpsAsked = v.Steps[0], nil, squash(d.OpsReason, maxReasonRunes) == ""
	}
	return subjectTag(t.T("rejection.subject", "Customer", c.CustomerName), c.RequestID), v, nil
}

func rejectionStep(t *tr, reason, opsReason string) string {
	if reason != ReasonOpsRejected {
		return t.T("rejection." + reason)
	}
	why := squash(opsReason, maxReasonRunes)
	if why == "" {
		return t.T("rejection.ops_rejected_no_reason")
	}
	return t.T("rejection.ops_rejected", "Reason", sentence(why))
}

// sentence ends s with a full stop unless it already ends a sentence, so a
// sentence can follow it.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…") {
		return s
	}
	return s + "."
}
