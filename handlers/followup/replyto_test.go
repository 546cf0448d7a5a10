package followup_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

const emea = "cloud-support-emea@meridian.example"

// created drives a request of a reseller in country (routed to region) to
// an account recorded by hand, and returns the follow-up that was mailed.
func created(t *testing.T, id, country string, routedTo func(*events.AccountRouted), nickname string) (subject, replyTo, text string) {
	t.Helper()
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	store := handlertest.Store(t, conn)
	h := &followup.Handler{Requests: store, ExternalIDs: followup.ExternalIDs{KV: brokertest.KV(t, conn, broker.BucketAccounts)},
		Outbox: handlertest.Outbox(t, conn, mailtest.Sender(t, srv.Addr(), "p@meridian.example")), Domain: "meridian.example",
		ReplyKey: key, Inbox: "acct-replies@meridian.example", DistributorAccountID: "111122223333", Logger: brokertest.Logger(t)}
	brokertest.Run(t, conn, h.Broker(), handlertest.Projection(t, store))

	req := handlertest.Request(id)
	req.Reseller.Country = country
	r := handlertest.Routed(req)
	routedTo(&r)
	brokertest.Publish(t, conn, r, "routed")
	brokertest.Publish(t, conn, handlertest.Confirmed(id), "confirmed")
	brokertest.Publish(t, conn, handlertest.Details(id, "aws-root@acme.example", nickname, "business"), "details")
	handlertest.WaitRecord(t, store, id, func(r lifecycle.Record) bool { return r.Details != nil })
	brokertest.Publish(t, conn, events.AccountApproved{RequestID: id, ApprovedBy: "ops", ApprovedAt: events.Time(time.Now())}, "approved")
	brokertest.Publish(t, conn, events.AccountCreated{RequestID: id, AccountID: "123456789012", Method: events.MethodManual,
		CreatedAt: events.Time(time.Now())}, "created")
	var msgs []smtptest.Received
	brokertest.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
		if msgs = srv.Messages(); len(msgs) != 1 {
			return fmt.Errorf("%d follow-ups", len(msgs))
		}
		return nil
	})
	hd, bodies := mailtest.Parts(t, msgs[0].Data)
	subject, _ = hd.Subject()
	if rt, _ := hd.AddressList("Reply-To"); len(rt) == 1 {
		replyTo = rt[0].Address
	}
	return subject, replyTo, bodies["text/plain"]
}

var key = []byte("0123456789abcdef0123456789abcdef")

// An EMEA follow-up asks for the Role ARN by reply: its Reply-To is the EMEA
// support mailbox with the request's token, which the inbox verifies.
func TestEMEAFollowupRepliesToTheRegionalMailbox(t *testing.T) {
	subject, replyTo, text := created(t, "REQ-FU.EMEA", "DE", func(r *events.AccountRouted) {
		r.Region, r.ReplyChannel, r.SupportMailbox = "emea", events.ReplySupportMailbox, emea
	}, "Bäckerei Müller")
	if !strings.HasPrefix(replyTo, "cloud-support-emea+"+events.KeyOf("REQ-FU.EMEA")+".") || !strings.HasSuffix(replyTo, "@meridian.example") {
		t.Fatalf("Reply-To %q, want the EMEA support mailbox with a token", replyTo)
	}
	id, mac, ok := mailer.ParseReplyAddress(replyTo)
	if !ok || id != "REQ-FU.EMEA" || !mailer.VerifyToken(key, id, mac) {
		t.Errorf("Reply-To %q: token does not verify", replyTo)
	}
	if subject != "AWS-Konto eingerichtet: nächste Schritte für Acme Corp [REQ-FU.EMEA]" {
		t.Errorf("subject %q", subject)
	}
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		"AWS zeigt das Konto „Bäckerei Müller“ als „Backerei Muller“ an.",
		"Role ARN: arn:aws:iam::123456789012:role/<Rollenname>",
		"Ihre Antwort geht an unser regionales Support-Team unter " + emea,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("follow-up lacks %q:\n%s", want, text)
		}
	}
}

// A Québec nickname is kept as typed, and the follow-up (English: Canada)
// shows how AWS shows the account.
func TestFollowupShowsTheAWSAccountName(t *testing.T) {
	_, replyTo, text := created(t, "REQ-FU.CA", "CA", func(r *events.AccountRouted) { r.Region = "ca" }, "Café Étoile – Montréal")
	if !strings.HasPrefix(replyTo, "acct-replies+"+events.KeyOf("REQ-FU.CA")+".") {
		t.Errorf("Reply-To %q, want the workflow inbox", replyTo)
	}
	if flat := strings.Join(strings.Fields(text), " "); !strings.Contains(flat, "AWS will show the account “Café Étoile – Montréal” as “Cafe Etoile - Montreal”.") {
		t.Errorf("follow-up:\n%s", text)
	}
}
