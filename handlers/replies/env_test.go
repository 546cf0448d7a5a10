package replies_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/ingest"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/inbox"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

const (
	domain   = "acctflow.localhost"
	inboxBox = "acct-replies@acctflow.localhost"
	emeaBox  = "support-emea@acctflow.localhost"
	contact  = handlertest.Contact
)

var key = []byte("test-reply-key-0123456789")

type env struct {
	srv     *server.Server
	conn    *broker.Conn
	store   *lifecycle.Store
	sb      *devmail.Sandbox
	outbox  *effect.Email
	objects jetstream.ObjectStore
	roots   jetstream.KeyValue
	sink    *ingest.Sink
	trusted []string // --trusted-authserv-id
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{srv: brokertest.Server(t)}
	e.conn = brokertest.Connect(t, e.srv)
	e.store = handlertest.Store(t, e.conn)
	e.roots = brokertest.KV(t, e.conn, broker.BucketRootEmails)
	var err error
	e.objects, err = e.conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
	must(t, err)
	e.sb = mailtest.Sandbox(t, devmail.Config{})
	e.outbox = handlertest.Outbox(t, e.conn, mailtest.Sender(t, e.sb.SMTPAddr(), "Provisioning <provisioning@"+domain+">"))
	e.sink = &ingest.Sink{Objects: e.objects, JS: e.conn.JS, Logger: brokertest.Logger(t), Now: time.Now}
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) handler(t *testing.T, conn *broker.Conn) *replies.Handler {
	return &replies.Handler{
		JS: conn.JS, Requests: e.store, Raw: e.objects, RootEmails: e.roots,
		Outbox: e.outbox, Domain: domain, Keys: mailer.Keys{Current: key}, Inbox: inboxBox,
		Mailboxes: replies.Mailboxes{inboxBox, emeaBox}, TrustedAuthServ: e.trusted,
		Sig: mailer.Signature{Company: "Test Distribution"}, Logger: brokertest.Logger(t), Now: time.Now,
	}
}

// crashOnReply is brokertest.CrashOnce for replies only (the handler also
// consumes confirmations): the first reply is handled in full, then before
// runs (if set) and the delivery fails before the ack.
func crashOnReply(h *replies.Handler, calls *atomic.Int32, before func()) broker.Handler {
	b := h.Broker()
	b.Handle = func(ctx context.Context, m broker.Msg) error {
		if err := h.Handle(ctx, m); err != nil {
			return err
		}
		if m.Subject == events.SubjectReplyReceived && calls.Add(1) == 1 {
			if before != nil {
				before()
			}
			return errors.New("crashed before ack")
		}
		return nil
	}
	return b
}

func (e *env) projection(t *testing.T) broker.Handler {
	return handlertest.Projection(t, e.store)
}

// seed publishes what routing and confirmation would have for one US
// request, and waits until the projection shows it awaiting details.
func (e *env) seed(t *testing.T, id string, authorised ...string) {
	t.Helper()
	req := handlertest.Request(id)
	req.Reseller.AuthorisedSenders = authorised
	e.seedRouted(t, handlertest.Routed(req))
}

// seedEMEA is seed for a reseller in country, routed to EMEA: their replies
// go to the EMEA support mailbox.
func (e *env) seedEMEA(t *testing.T, id, country string) {
	t.Helper()
	req := handlertest.Request(id)
	req.Reseller.Country = country
	routed := handlertest.Routed(req)
	routed.Region, routed.OpsTeam, routed.ReplyChannel, routed.SupportMailbox = "emea", "emea", events.ReplySupportMailbox, emeaBox
	e.seedRouted(t, routed)
}

func (e *env) seedRouted(t *testing.T, routed events.AccountRouted) {
	t.Helper()
	id := routed.RequestID
	brokertest.Publish(t, e.conn, routed, events.DerivedID("routed", id))
	conf := events.ConfirmationSent{RequestID: id, MessageID: mailer.MessageID(key, id, mailer.KindConfirmation, domain),
		Recipient: contact, ReplyTo: token(t, id), SentAt: events.Time(time.Now())}
	brokertest.Publish(t, e.conn, conf, events.DerivedID("confirmation-sent", id))
	e.waitStage(t, id, lifecycle.StageAwaitingDetails)
}

func (e *env) waitRecord(t *testing.T, id string, ok func(lifecycle.Record) bool) lifecycle.Record {
	t.Helper()
	return handlertest.WaitRecord(t, e.store, id, ok)
}

func (e *env) waitStage(t *testing.T, id string, stage lifecycle.Stage) lifecycle.Record {
	t.Helper()
	return handlertest.WaitStage(t, e.store, id, stage)
}

// deliver hands a reply to the real ingestion sink, as the IMAP reader would.
func (e *env) deliver(t *testing.T, raw string) {
	t.Helper()
	must(t, e.sink.Deliver(context.Background(), inbox.Message{Account: "imap://test@127.0.0.1", Folder: "INBOX", UID: 1, UIDValidity: 1, Size: int64(len(raw)), Raw: []byte(raw)}))
}

func decode[T any](t *testing.T, conn *broker.Conn, filter string, i int) T {
	t.Helper()
	var v T
	msgs := brokertest.Messages(t, conn, filter)
	if len(msgs) <= i {
		t.Fatalf("%s: only %d messages", filter, len(msgs))
	}
	must(t, json.Unmarshal(msgs[i].Data(), &v))
	return v
}

type mail struct {
	From, To, Subject, MessageID, InReplyTo, Body string
	Headers                                       map[string]string
}

var seq atomic.Int64

// eml builds a reply as a mail client would send it.
func eml(m mail) string {
	n := seq.Add(1)
	if m.From == "" {
		m.From = "Jane Doe <" + contact + ">"
	}
	if m.MessageID == "" {
		m.MessageID = fmt.Sprintf("<reply-%d-%d@northwind.example>", n, time.Now().UnixNano())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nDate: Wed, 25 Nov 2026 18:00:00 +0000\r\n", m.From, m.To, m.Subject, m.MessageID)
	if m.InReplyTo != "" {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", m.InReplyTo, m.InReplyTo)
	}
	for k, v := range m.Headers {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return b.String()
}

func token(t *testing.T, id string) string {
	a, err := mailer.ReplyAddress(key, id, inboxBox)
	must(t, err)
	return a
}

func subject(id string) string {
	return "Re: Customer Account Provision Request Received—Amazon Web Services (Acme Corp) [" + id + "]"
}

func body(root, nick, support string) string {
	var b strings.Builder
	b.WriteString("Hi,\n\nHere you go:\n\n")
	if root != "" {
		b.WriteString("Root email: " + root + "\n")
	}
	if nick != "" {
		b.WriteString("Account nickname: " + nick + "\n")
	}
	if support != "" {
		b.WriteString("Support type: " + support + "\n")
	}
	b.WriteString("\nThanks,\nJane\n")
	return b.String()
}

func inboxMessage(raw string, size int64, oversize bool) inbox.Message {
	return inbox.Message{Account: "imap://test@127.0.0.1", Folder: "INBOX", UID: 2, UIDValidity: 1, Size: size, Raw: []byte(raw), Oversize: oversize}
}
