package main

import (
	"context"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/handlers/acknowledgement"
)

// ackHandlers: the email that tells the reseller their details are in.
func ackHandlers() map[string]factory {
	return map[string]factory{
		acknowledgement.Name: func(ctx context.Context, d *deps) (broker.Handler, error) {
			m, err := d.mail(ctx)
			if err != nil {
				return broker.Handler{}, err
			}
			h := &acknowledgement.Handler{Requests: d.store, Outbox: m.Outbox, Domain: m.Domain, ReplyKey: m.Key,
				Inbox: m.Inbox, Sig: m.Sig, Logger: d.log}
			return h.Broker(), nil
		},
	}
}
