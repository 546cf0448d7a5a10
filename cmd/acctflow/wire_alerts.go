package main

import (
	"context"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/handlers/alerts"
)

// newAlertsHandler mails --ops-email once per failed effect and per
// unverified role.
func newAlertsHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	m, err := d.mail(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	h := &alerts.Handler{Outbox: m.Outbox, OpsEmail: d.flag("ops-email"), DistributorAccountID: d.flag("distributor-account-id"),
		Domain: m.Domain, Logger: d.log}
	return h.Broker(), nil
}
