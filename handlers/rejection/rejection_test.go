package rejection_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/rejection"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

func TestRejectionMailsThePortalSteps(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	sender := mailtest.Sender(t, srv.Addr(), "p@meridian.example")
	store := handlertest.Store(t, conn)
	h := &rejection.Handler{Outbox: handlertest.Outbox(t, conn, sender), Requests: store, Domain: "meridian.example",
		ReplyKey: []byte("0123456789abcdef0123456789abcdef"), Inbox: "acct-replies@meridian.example", Logger: brokertest.Logger(t)}
	brokertest.Run(t, conn, h.Broker(), handlertest.Projection(t, store))

	req := events.AccountRequested{RequestID: "REQ-9", RequestedAt: "2026-11-25T18:00:00Z", Provider: "aws",
		Reseller:  events.Reseller{ID: "R", Name: "Relecloud", Country: "US", PrimaryContact: events.Party{Name: "Aisha", Email: "aisha@relecloud.example"}},
		Customer:  events.Customer{ID: "C", Name: "Sunrise Bakery"},
		Pricebook: events.Pricebook{}}
	rej := events.RequestRejected{RequestID: "REQ-9", Reasons: []string{events.ReasonPricebookMissing, events.ReasonInvoiceCurrencyMissing, events.ReasonProviderNotEnabled},
		RejectedAt: events.Time(time.Now()), Request: &req}
	for _, id := range []string{"a", "b"} { // the second is a redelivery
		brokertest.Publish(t, conn, rej, id)
	}
	// An ops rejection carries no request: the handler finds the contact in
	// the projection.
	ops := events.RequestRejected{RequestID: "REQ-9", Reasons: []string{events.ReasonOpsRejected}, Detail: "duplicate of REQ-8", RejectedAt: events.Time(time.Now())}
	brokertest.Publish(t, conn, ops, "c")
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if n := len(srv.Messages()); n != 2 {
			return fmt.Errorf("%d emails", n)
		}
		return nil
	})
	texts := []string{}
	for _, m := range srv.Messages() {
		texts = append(texts, mailtest.Text(t, m.Data))
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{"pricebook", "invoice currency", "Enable Provider in the Customer Portal", "duplicate of REQ-8"} {
		if !strings.Contains(all, want) {
			t.Errorf("rejection emails lack %q:\n%s", want, all)
		}
	}
}
