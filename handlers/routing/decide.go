// Package routing checks a request's prerequisites and routes it to the ops
// team of the reseller's region: acct.requested → acct.routed.<region> or
// acct.rejected.
package routing

import (
	"time"

	"github.com/acctflow/acctflow/events"
)

// Decide is the routing decision: exactly one of the results is set. It is a
// pure function of the request, the table and the clock.
func Decide(req events.AccountRequested, t *Table, now time.Time) (*events.AccountRouted, *events.RequestRejected) {
	var reasons []string
	if !req.Pricebook.Present {
		reasons = append(reasons, events.ReasonPricebookMissing)
	}
	if req.Pricebook.InvoiceCurrency == "" {
		reasons = append(reasons, events.ReasonInvoiceCurrencyMissing)
	}
	if !req.Pricebook.ProviderEnabledInPortal {
		reasons = append(reasons, events.ReasonProviderNotEnabled)
	}
	// "Pass RI optimization" is deliberately not a prerequisite.
	region, known := t.For(req.Reseller.Country)
	if !known {
		reasons = append(reasons, events.ReasonUnknownCountry)
	}
	if len(reasons) > 0 {
		return nil, &events.RequestRejected{
			RequestID:  req.RequestID,
			Reasons:    reasons,
			RejectedBy: "routing",
			RejectedAt: events.Time(now),
			Request:    &req,
		}
	}
	routed := &events.AccountRouted{
		RequestID:    req.RequestID,
		Region:       region.Name,
		OpsTeam:      region.OpsTeam,
		ReplyChannel: region.ReplyChannel,
		RoutedAt:     events.Time(now),
		Request:      req,
	}
	if region.ReplyChannel == events.ReplySupportMailbox {
		routed.SupportMailbox = region.SupportMailbox
	}
	return routed, nil
}
