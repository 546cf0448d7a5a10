// Package routing checks a request's prerequisites and routes it to the ops
// team of the reseller's region: acct.requested → acct.routed.<region> or
// acct.rejected.
package routing

import (
	"slices"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// Publication is what a request published again is, given its record.
type Publication int

const (
	New      Publication = iota // unseen, not yet routed, or correcting a rejection by routing: route it
	Same                        // the same request again: nothing changes
	Conflict                    // a different request under the id of one already routed: refused
)

// Again classifies an AccountRequested against the record of its id.
func Again(rec lifecycle.Record, req events.AccountRequested) Publication {
	switch rec.Stage {
	case lifecycle.StageNew, lifecycle.StageRequested:
		return New
	case lifecycle.StageRejected:
		if rec.Rejection != nil && rec.Rejection.By != "ops" && !slices.Contains(rec.Rejection.Reasons, events.ReasonOpsRejected) {
			if rec.Request != nil && events.SameRequest(*rec.Request, req) {
				return Same // rejected for the same reasons again: told once
			}
			return New
		}
	}
	if rec.Request != nil && events.SameRequest(*rec.Request, req) {
		return Same
	}
	return Conflict
}

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
