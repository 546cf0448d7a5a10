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
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// Every rejection carries the request's reply token: to the workflow inbox
// when routing refused it (no region yet), to the region's mailbox when ops
// rejected a routed request; in the reseller's language. A request id
// conflict mails nobody: the original request goes on.
func TestRejectionsCarryTheReplyPath(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	store := handlertest.Store(t, conn)
	h := &rejection.Handler{Outbox: handlertest.Outbox(t, conn, mailtest.Sender(t, srv.Addr(), "p@meridian.example")), Requests: store,
		Domain: "meridian.example", ReplyKey: key, Inbox: "acct-replies@meridian.example", Logger: brokertest.Logger(t)}
	brokertest.Run(t, conn, h.Broker(), handlertest.Projection(t, store))

	// Routing refuses a Spanish reseller's request.
	es := handlertest.Request("REQ-ES.1")
	es.Reseller.Country, es.Pricebook.Present = "ES", false
	brokertest.Publish(t, conn, events.RequestRejected{RequestID: "REQ-ES.1", Reasons: []string{events.ReasonPricebookMissing},
		RejectedAt: events.Time(time.Now()), Request: &es}, "r1")
	// Ops reject a German reseller's request routed to EMEA.
	de := handlertest.Request("REQ-DE2")
	de.Reseller.Country = "DE"
	routed := handlertest.Routed(de)
	routed.Region, routed.ReplyChannel, routed.SupportMailbox = "emea", events.ReplySupportMailbox, "cloud-support-emea@meridian.example"
	brokertest.Publish(t, conn, routed, "r2")
	handlertest.WaitRecord(t, store, "REQ-DE2", func(r lifecycle.Record) bool { return r.SupportMailbox != "" })
	brokertest.Publish(t, conn, events.RequestRejected{RequestID: "REQ-DE2", Reasons: []string{events.ReasonOpsRejected},
		Detail: "Kunde existiert bereits", RejectedAt: events.Time(time.Now())}, "r3")
	// A conflicting body under the routed id.
	brokertest.Publish(t, conn, events.RequestRejected{RequestID: "REQ-DE2", Reasons: []string{events.ReasonRequestIDConflict},
		RejectedAt: events.Time(time.Now()), Request: &de}, "r4")

	brokertest.WaitCount(t, conn, events.SubjectRejected, 3)
	brokertest.WaitIdle(t, conn, rejection.Name)
	var msgs []smtptest.Received
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if msgs = srv.Messages(); len(msgs) != 2 {
			return fmt.Errorf("%d emails, want 2", len(msgs))
		}
		return nil
	})
	byRequest := map[string]string{}
	for _, m := range msgs {
		hd, bodies := mailtest.Parts(t, m.Data)
		replyTo, _ := hd.AddressList("Reply-To")
		if len(replyTo) != 1 {
			t.Fatalf("Reply-To %v", replyTo)
		}
		id, mac, ok := mailer.ParseReplyAddress(replyTo[0].Address)
		if !ok || !mailer.VerifyToken(key, id, mac) {
			t.Errorf("Reply-To %q does not verify", replyTo[0].Address)
		}
		byRequest[id] = replyTo[0].Address + "\n" + strings.Join(strings.Fields(bodies["text/plain"]), " ")
	}
	if got := byRequest["REQ-ES.1"]; !strings.HasPrefix(got, "acct-replies+"+events.KeyOf("REQ-ES.1")+".") || !strings.Contains(got, "Agregue la lista de precios (pricebook)") {
		t.Errorf("routing rejection: %s", got)
	}
	if got := byRequest["REQ-DE2"]; !strings.HasPrefix(got, "cloud-support-emea+REQ-DE2.") ||
		!strings.Contains(got, "Unser Operations-Team hat die Anfrage abgelehnt: Kunde existiert bereits.") ||
		!strings.Contains(got, "Ihre Antwort geht an unser regionales Support-Team unter cloud-support-emea@meridian.example") {
		t.Errorf("ops rejection: %s", got)
	}
}
