package acknowledgement_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/acknowledgement"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

const (
	inbox = "acct-replies@meridian.example"
	emea  = "cloud-support-emea@meridian.example"
)

type env struct {
	conn  *broker.Conn
	smtp  *smtptest.Server
	store *lifecycle.Store
	calls *atomic.Int32
}

// setup runs the projection and two replicas of the handler, the first
// delivery crashing after its work (before the ack).
func setup(t *testing.T) env {
	t.Helper()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	mail := smtptest.Start(t)
	store := handlertest.Store(t, conn)
	ob := handlertest.Outbox(t, conn, mailtest.Sender(t, mail.Addr(), "provisioning@meridian.example"))
	calls := &atomic.Int32{}
	for i := range 2 {
		c := brokertest.Connect(t, srv)
		h := &acknowledgement.Handler{Requests: store, Outbox: ob, Domain: "meridian.example", ReplyKey: key, Inbox: inbox,
			Logger: brokertest.Logger(t)}
		hs := []broker.Handler{brokertest.CrashOnce(h.Broker(), calls)}
		if i == 0 {
			hs = append(hs, handlertest.Projection(t, store))
		}
		brokertest.Run(t, c, hs...)
	}
	return env{conn: conn, smtp: mail, store: store, calls: calls}
}

// routedDE is a German reseller's request routed to EMEA, whose replies go
// to the region's support mailbox.
func routedDE(id string) events.AccountRouted {
	req := handlertest.Request(id)
	req.Reseller.Country = "DE"
	r := handlertest.Routed(req)
	r.Region, r.ReplyChannel, r.SupportMailbox = "emea", events.ReplySupportMailbox, emea
	return r
}

func waitMessages(t *testing.T, s *smtptest.Server, n int) []smtptest.Received {
	t.Helper()
	brokertest.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
		if got := len(s.Messages()); got != n {
			return fmt.Errorf("%d emails, want %d", got, n)
		}
		return nil
	})
	return s.Messages()
}

func TestOneAcknowledgementPerSubmission(t *testing.T) {
	e := setup(t)
	brokertest.Publish(t, e.conn, routedDE("REQ-ACK.1"), "routed")
	brokertest.Publish(t, e.conn, handlertest.Confirmed("REQ-ACK.1"), "confirmed")
	handlertest.WaitRecord(t, e.store, "REQ-ACK.1", func(r lifecycle.Record) bool { return r.Request != nil })

	d := handlertest.Details("REQ-ACK.1", "aws-root@acme.example", "Bäckerei Müller – Produktion", "business")
	d.SourceMessageID = "reply-1@fabrikam.example"
	brokertest.Publish(t, e.conn, d, "details-1")
	msgs := waitMessages(t, e.smtp, 1)
	brokertest.WaitCalls(t, e.calls, 2) // the crashed delivery and its redelivery
	brokertest.WaitIdle(t, e.conn, acknowledgement.Name)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d acknowledgements after a redelivery, want 1", n)
	}

	h, bodies := mailtest.Parts(t, msgs[0].Data)
	subject, _ := h.Subject()
	if subject != "Angaben erhalten: AWS-Konto für Acme Corp [REQ-ACK.1]" {
		t.Errorf("subject %q", subject)
	}
	text := strings.Join(strings.Fields(bodies["text/plain"]), " ")
	for _, want := range []string{
		"Unser Operations-Team richtet das Konto jetzt ein.",
		"die E-Mail-Adresse des Root-Benutzers aws-root@acme.example",
		// AWS's name, derived from the nickname as typed: the event has none.
		"der Kontoname „Bäckerei Müller – Produktion“, den AWS als „Backerei Muller - Produktion“ anzeigen wird",
		"Business Support als Supportart",
		"Ihre Antwort geht an unser regionales Support-Team unter " + emea,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, bodies["text/plain"])
		}
	}
	replyTo, _ := h.AddressList("Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "cloud-support-emea+"+events.KeyOf("REQ-ACK.1")+".") {
		t.Fatalf("Reply-To %v", replyTo)
	}
	id, mac, ok := mailer.ParseReplyAddress(replyTo[0].Address)
	if !ok || id != "REQ-ACK.1" || !mailer.VerifyToken(key, id, mac) {
		t.Errorf("Reply-To token %q does not verify", replyTo[0].Address)
	}
	if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "reply-1@fabrikam.example" {
		t.Errorf("In-Reply-To %v", irt)
	}

	// A later correction is a new submission: acknowledged again, with
	// the AWS name the event carries.
	d.Nickname, d.AWSAccountName = "Backstube", "Backstube Prod"
	brokertest.Publish(t, e.conn, d, "details-2")
	msgs = waitMessages(t, e.smtp, 2)
	if text := mailtest.Text(t, msgs[1].Data); !strings.Contains(text, "„Backstube Prod“") {
		t.Errorf("second acknowledgement:\n%s", text)
	}
}

func TestUSAcknowledgementRepliesToTheWorkflowInbox(t *testing.T) {
	e := setup(t)
	brokertest.Publish(t, e.conn, handlertest.Routed(handlertest.Request("REQ-ACK2")), "routed")
	handlertest.WaitRecord(t, e.store, "REQ-ACK2", func(r lifecycle.Record) bool { return r.Request != nil })
	brokertest.Publish(t, e.conn, handlertest.Details("REQ-ACK2", "aws-root@acme.example", "Acme Prod", "developer"), "details")
	msgs := waitMessages(t, e.smtp, 1)
	h, bodies := mailtest.Parts(t, msgs[0].Data)
	if s, _ := h.Subject(); s != "Details received: Amazon Web Services account for Acme Corp [REQ-ACK2]" {
		t.Errorf("subject %q", s)
	}
	if replyTo, _ := h.AddressList("Reply-To"); len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "acct-replies+REQ-ACK2.") {
		t.Errorf("Reply-To %v", replyTo)
	}
	text := strings.Join(strings.Fields(bodies["text/plain"]), " ")
	for _, want := range []string{"Our operations team will now create the account", "the account nickname “Acme Prod”, which AWS will show as “Acme Prod”", "Developer Support as the support type"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, bodies["text/plain"])
		}
	}
	if strings.Contains(text, "regional support team") {
		t.Error("a US acknowledgement names a regional mailbox")
	}
}
