package confirmation_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/confirmation"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

var key = []byte("acctflow-fixtures")

type env struct {
	conn  *broker.Conn
	smtp  *smtptest.Server
	store *lifecycle.Store
}

func setup(t *testing.T) env {
	t.Helper()
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	sender := mailtest.Sender(t, srv.Addr(), "Provisioning <provisioning@meridian.example>")
	store := handlertest.Store(t, conn)
	h := &confirmation.Handler{JS: conn.JS, Outbox: handlertest.Outbox(t, conn, sender), Requests: store,
		Domain: "mail.meridian.example", ReplyKey: key, Inbox: "acct-replies@meridian.example", Logger: brokertest.Logger(t), Now: time.Now}
	brokertest.Run(t, conn, h.Broker(), handlertest.Projection(t, store))
	return env{conn: conn, smtp: srv, store: store}
}

func routed(id, country, region, channel, mailbox, customer string) events.AccountRouted {
	return events.AccountRouted{
		RequestID: id, Region: region, OpsTeam: "Ops " + region, ReplyChannel: channel, SupportMailbox: mailbox,
		RoutedAt: events.Time(time.Now()),
		Request: events.AccountRequested{RequestID: id, RequestedAt: "2026-11-25T18:00:00Z", Provider: "aws",
			Reseller: events.Reseller{ID: "R-1", Name: "Fabrikam", Country: country,
				PrimaryContact: events.Party{Name: "Dana Whitfield", Email: "dana@fabrikam.example"}},
			Customer:  events.Customer{ID: "C-1", Name: customer},
			Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true}},
	}
}

func waitMessages(t *testing.T, s *smtptest.Server, n int) []smtptest.Received {
	t.Helper()
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if got := len(s.Messages()); got != n {
			return fmt.Errorf("%d emails, want %d", got, n)
		}
		return nil
	})
	return s.Messages()
}

func TestConfirmationSentOnceAndProjected(t *testing.T) {
	e := setup(t)
	ev := routed("REQ-1001", "US", "us", events.ReplyWorkflow, "", "Harborview Dental Group")
	brokertest.Publish(t, e.conn, ev, "m1")
	msgs := waitMessages(t, e.smtp, 1)

	h, bodies := mailtest.Parts(t, msgs[0].Data)
	subject, _ := h.Subject()
	if want := "Customer Account Provision Request Received—Amazon Web Services (Harborview Dental Group) [REQ-1001]"; subject != want {
		t.Errorf("subject %q", subject)
	}
	replyTo, _ := h.AddressList("Reply-To")
	if len(replyTo) != 1 || replyTo[0].Address != "acct-replies+REQ-1001.0347d5a24539@meridian.example" {
		t.Errorf("reply-to %v", replyTo)
	}
	reqID, mac, ok := mailer.ParseReplyAddress(replyTo[0].Address)
	if !ok || !mailer.VerifyToken(key, reqID, mac) || mailer.VerifyToken(key, reqID, "0347d5a24538") {
		t.Error("reply token does not verify, or a changed one does")
	}
	if h.Get("Auto-Submitted") != "auto-generated" || h.Get("X-Auto-Response-Suppress") != "All" {
		t.Errorf("auto headers %q %q", h.Get("Auto-Submitted"), h.Get("X-Auto-Response-Suppress"))
	}
	msgID, _ := h.MessageID()
	if msgID != mailer.MessageID(key, "REQ-1001", mailer.KindConfirmation, "mail.meridian.example") {
		t.Errorf("message id %q", msgID)
	}
	text := bodies["text/plain"]
	for _, want := range []string{"Root email:\r\nAccount nickname:\r\nSupport type:", "Business Support", "Developer Support", "Basic/No", "Enterprise"} {
		if !strings.Contains(strings.ReplaceAll(text, "\n", "\r\n"), want) && !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(bodies["text/html"], "Root email:") {
		t.Error("html part lacks the fill-in lines")
	}

	// Published again (another message id, as if past the duplicate
	// window; routing never does) once the first is projected: nothing new.
	handlertest.WaitStage(t, e.store, "REQ-1001", lifecycle.StageAwaitingDetails)
	brokertest.Publish(t, e.conn, ev, "m2")
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		rec, err := e.store.Get(context.Background(), "REQ-1001")
		if err != nil || rec.Stage != lifecycle.StageAwaitingDetails || rec.Confirmation.Recipient != "dana@fabrikam.example" {
			return fmt.Errorf("record %+v %v", rec.Stage, err)
		}
		return nil
	})
	brokertest.WaitIdle(t, e.conn, confirmation.Name)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d emails after redelivery", n)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectConfirmationSent); n != 1 {
		t.Fatalf("%d confirmation.sent events", n)
	}
}

func TestSupportMailboxRegionAndEscaping(t *testing.T) {
	e := setup(t)
	brokertest.Publish(t, e.conn, routed("REQ-2", "DE", "emea", events.ReplySupportMailbox, "cloud-support-emea@meridian.example", `Bäckerei <b>Sonnenhof</b> <script>alert(1)</script>`), "m1")
	msgs := waitMessages(t, e.smtp, 1)
	h, bodies := mailtest.Parts(t, msgs[0].Data)
	replyTo, _ := h.AddressList("Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "cloud-support-emea+REQ-2.") {
		t.Errorf("reply-to %v", replyTo)
	}
	if !strings.Contains(bodies["text/plain"], "cloud-support-emea@meridian.example") {
		t.Error("text does not name the support mailbox")
	}
	html := bodies["text/html"]
	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>Sonnenhof") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("markup not escaped in HTML part:\n%s", html)
	}
}

func TestTemporaryFailureThenSuccessSendsOne(t *testing.T) {
	e := setup(t)
	e.smtp.FailNext(4, 451) // more than the outbox's in-process attempts
	brokertest.Publish(t, e.conn, routed("REQ-3", "US", "us", events.ReplyWorkflow, "", "Acme"), "m1")
	waitMessages(t, e.smtp, 1)
	brokertest.WaitCount(t, e.conn, events.SubjectConfirmationSent, 1)
	brokertest.WaitIdle(t, e.conn, confirmation.Name)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d emails", n)
	}
}

func TestPermanentFailureDeadLetters(t *testing.T) {
	e := setup(t)
	e.smtp.FailNext(1, 554)
	brokertest.Publish(t, e.conn, routed("REQ-4", "US", "us", events.ReplyWorkflow, "", "Acme"), "m1")
	brokertest.WaitCount(t, e.conn, "dlq.acct.routed.us", 1)
	m := brokertest.Messages(t, e.conn, "dlq.acct.routed.us")[0]
	if reason := m.Headers().Get(broker.HeaderError); !strings.Contains(reason, "554") {
		t.Errorf("dlq reason %q", reason)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectConfirmationSent); n != 0 {
		t.Fatalf("confirmation.sent published for a failed email")
	}
}

// A German reseller gets a German confirmation: German subject with the
// [request_id] tag, the answer lines with their English labels first, the
// reply going to the EMEA mailbox.
func TestGermanResellerGetsGermanConfirmation(t *testing.T) {
	e := setup(t)
	brokertest.Publish(t, e.conn, routed("REQ-DE1", "DE", "emea", events.ReplySupportMailbox, "cloud-support-emea@meridian.example", "Bäckerei Sonnenhof GmbH"), "m1")
	msgs := waitMessages(t, e.smtp, 1)
	h, bodies := mailtest.Parts(t, msgs[0].Data)
	subject, _ := h.Subject()
	if want := "Anfrage für ein neues Kundenkonto erhalten – Amazon Web Services (Bäckerei Sonnenhof GmbH) [REQ-DE1]"; subject != want {
		t.Errorf("subject %q", subject)
	}
	text := strings.ReplaceAll(bodies["text/plain"], "\r\n", "\n")
	for _, want := range []string{
		"Guten Tag Dana Whitfield,",
		"\nRoot email (E-Mail-Adresse des Root-Benutzers):\nAccount nickname (Kontoname):\nSupport type (Supportart):\n",
		"Freundliche Grüße",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(bodies["text/html"], `<html lang="de">`) || !strings.Contains(bodies["text/html"], `href="mailto:cloud-support-emea@meridian.example"`) {
		t.Errorf("HTML part:\n%s", bodies["text/html"])
	}
	replyTo, _ := h.AddressList("Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "cloud-support-emea+REQ-DE1.") {
		t.Errorf("reply-to %v", replyTo)
	}
}
