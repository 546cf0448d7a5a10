package mailer

import (
	"errors"
	"fmt"
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
	Sig          Signature
}

// Kind implements Data.
func (RejectionData) Kind() string { return KindRejection }

type rejectionView struct {
	customer
	Reasons   []string
	OpsReason string
}

func (d RejectionData) prepare() (string, any, error) {
	c, err := newCustomer(d.RequestID, d.ContactName, d.CustomerName, d.Sig)
	if err != nil {
		return "", nil, err
	}
	v := rejectionView{customer: c, OpsReason: squash(d.OpsReason, maxReasonRunes)}
	seen := map[string]bool{}
	for _, r := range d.Reasons {
		switch r {
		case ReasonPricebookMissing, ReasonInvoiceCurrencyMissing, ReasonProviderNotEnabled,
			ReasonUnknownCountry, ReasonOpsRejected:
		default:
			// The set is closed by the event schema; a new reason needs its
			// own instructions here rather than a vague sentence.
			return "", nil, fmt.Errorf("unknown rejection reason %q", oneLine(r))
		}
		if !seen[r] {
			seen[r] = true
			v.Reasons = append(v.Reasons, r)
		}
	}
	if len(v.Reasons) == 0 {
		return "", nil, errors.New("rejection without a reason")
	}
	subject := "Action needed: Amazon Web Services account request for " + c.CustomerName + " [" + c.RequestID + "]"
	return subject, v, nil
}
