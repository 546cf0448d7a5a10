package tickets_test

import (
	"mime"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

func TestEmailFallbackSendsOneMailToTheSupportDesk(t *testing.T) {
	e := setup(t)
	sb := mailtest.Sandbox(t, devmail.Config{Dir: t.TempDir(), Logger: brokertest.Logger(t)})
	sender := mailtest.Sender(t, sb.SMTPAddr(), "Account Provisioning <provisioning@acctflow.localhost>")
	const desk = "support-desk@acctflow.localhost"
	h := &tickets.Handler{
		JS: e.conn.JS, Ledger: effect.NewLedger(e.tickets, "", brokertest.Logger(t)), Accounts: e.accounts, Requests: e.store,
		Desk: &tickets.Email{
			Outbox: handlertest.Outbox(t, e.conn, sender), Domain: "acctflow.localhost",
			To: mailer.Address{Name: "Support Desk", Email: desk},
		},
		Logger: brokertest.Logger(t), Now: time.Now,
	}
	var calls atomic.Int32
	brokertest.Run(t, e.conn, brokertest.CrashOnce(h.Broker(), &calls))
	publish(t, e.conn, changeJSON("CHG-MAIL", "123456789012", "developer", "business", ""), "")
	brokertest.WaitCalls(t, &calls, 2)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	msgs := sb.Messages(desk)
	if len(msgs) != 1 {
		t.Fatalf("%d mails in the support desk's mailbox, want 1", len(msgs))
	}
	raw := string(msgs[0])
	tc := ticketCreated(t, e.conn)
	if tc.System != events.TicketEmail || !strings.Contains(raw, "Message-ID: <"+tc.TicketID+">") ||
		tc.TicketID != mailer.MessageID(nil, "CHG-MAIL", mailer.KindTicket, "acctflow.localhost") {
		t.Fatalf("ticket-created %+v for mail:\n%.600s", tc, raw)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if subject != "AWS support type change: account 123456789012 Developer \u2192 Business (Northwind IT)" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"123456789012", "Business Support"} {
		if !strings.Contains(raw, want) {
			t.Errorf("mail lacks %q", want)
		}
	}
}
