package tickets_test

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/sandbox"
	"github.com/acctflow/acctflow/outbox"
)

func TestEmailFallbackSendsOneMailToTheSupportDesk(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	sb, err := sandbox.Start(ctx, sandbox.Config{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0", Dir: t.TempDir(), Logger: brokertest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	host, port, _ := net.SplitHostPort(sb.SMTPAddr())
	p, _ := strconv.Atoi(port)
	sender, err := mailer.NewSender(mailer.Config{Host: host, Port: p, TLSPolicy: "none", From: "Account Provisioning <provisioning@acctflow.localhost>"})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := e.conn.JS.KeyValue(ctx, broker.BucketMailSent)
	if err != nil {
		t.Fatal(err)
	}
	const desk = "support-desk@acctflow.localhost"
	h := &tickets.Handler{
		JS: e.conn.JS, Tickets: e.tickets, Accounts: e.accounts, Requests: e.store,
		Desk: &tickets.Email{
			Outbox: outbox.New(kv, sender, brokertest.Logger(t), nil, 5*time.Second), Domain: "acctflow.localhost",
			To: mailer.Address{Name: "Support Desk", Email: desk},
		},
		Logger: brokertest.Logger(t), Now: time.Now,
	}
	var calls atomic.Int32
	b := h.Broker()
	b.Handle = func(ctx context.Context, m broker.Msg) error {
		if err := h.Handle(ctx, m); err != nil {
			return err
		}
		if calls.Add(1) == 1 {
			return errors.New("crashed before ack")
		}
		return nil
	}
	brokertest.Run(t, e.conn, b)
	publish(t, e.conn, changeJSON("CHG-MAIL", "123456789012", "developer", "business", ""), "")
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if calls.Load() < 2 {
			return fmt.Errorf("%d deliveries", calls.Load())
		}
		return nil
	})
	idle(t, e.conn)
	msgs := sb.Messages(desk)
	if len(msgs) != 1 {
		t.Fatalf("%d mails in the support desk's mailbox, want 1", len(msgs))
	}
	raw := string(msgs[0])
	tc := ticketCreated(t, e.conn)
	if tc.System != events.TicketEmail || !strings.Contains(raw, "Message-ID: <"+tc.TicketID+">") ||
		tc.TicketID != mailer.MessageID("CHG-MAIL", mailer.KindTicket, "acctflow.localhost") {
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
