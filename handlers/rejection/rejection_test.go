package rejection_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/rejection"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/smtptest"
	"github.com/acctflow/acctflow/outbox"
)

func TestRejectionMailsThePortalSteps(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	sender, err := mailer.NewSender(mailer.Config{Host: srv.Host, Port: srv.Port, TLSPolicy: mailer.TLSNone, From: "p@meridian.example"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sent, _ := conn.JS.KeyValue(ctx, broker.BucketMailSent)
	reqs, _ := conn.JS.KeyValue(ctx, broker.BucketRequests)
	store := lifecycle.NewStore(reqs)
	h := &rejection.Handler{Outbox: outbox.New(sent, sender, brokertest.Logger(t), nil, 5*time.Second), Requests: store, Domain: "meridian.example", Logger: brokertest.Logger(t)}
	brokertest.Run(t, conn, h.Broker(), (&projection.Handler{Store: store, Logger: brokertest.Logger(t)}).Broker())

	req := events.AccountRequested{RequestID: "REQ-9", RequestedAt: "2026-11-25T18:00:00Z", Provider: "aws",
		Reseller:  events.Reseller{ID: "R", Name: "Relecloud", Country: "US", PrimaryContact: events.Party{Name: "Aisha", Email: "aisha@relecloud.example"}},
		Customer:  events.Customer{ID: "C", Name: "Sunrise Bakery"},
		Pricebook: events.Pricebook{}}
	rej := events.RequestRejected{RequestID: "REQ-9", Reasons: []string{events.ReasonPricebookMissing, events.ReasonInvoiceCurrencyMissing, events.ReasonProviderNotEnabled},
		RejectedAt: events.Time(time.Now()), Request: &req}
	for _, id := range []string{"a", "b"} { // the second is a redelivery
		if _, err := events.Publish(ctx, conn.JS, rej, id, "test", events.Envelope{}); err != nil {
			t.Fatal(err)
		}
	}
	// An ops rejection carries no request: the handler finds the contact in
	// the projection.
	ops := events.RequestRejected{RequestID: "REQ-9", Reasons: []string{events.ReasonOpsRejected}, Detail: "duplicate of REQ-8", RejectedAt: events.Time(time.Now())}
	if _, err := events.Publish(ctx, conn.JS, ops, "c", "test", events.Envelope{}); err != nil {
		t.Fatal(err)
	}
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if n := len(srv.Messages()); n != 2 {
			return fmt.Errorf("%d emails", n)
		}
		return nil
	})
	texts := []string{}
	for _, m := range srv.Messages() {
		r, err := mail.CreateReader(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			if ct, _, _ := p.Header.(*mail.InlineHeader).ContentType(); ct == "text/plain" {
				b, _ := io.ReadAll(p.Body)
				texts = append(texts, string(b))
			}
		}
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"pricebook", "invoice currency", "Enable Provider in the Customer Portal", "duplicate of REQ-8"} {
		if !strings.Contains(all, want) {
			t.Errorf("rejection emails lack %q:\n%s", want, all)
		}
	}
}
