package replies_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/ingest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/inbox"
	"github.com/acctflow/acctflow/mailer/sandbox"
	"github.com/acctflow/acctflow/outbox"
)

const (
	domain   = "acctflow.localhost"
	inboxBox = "acct-replies@acctflow.localhost"
	contact  = "jane@northwind.example"
)

var key = []byte("test-reply-key-0123456789")

type env struct {
	srv     *server.Server
	conn    *broker.Conn
	store   *lifecycle.Store
	sb      *sandbox.Sandbox
	outbox  *outbox.Outbox
	objects jetstream.ObjectStore
	roots   jetstream.KeyValue
	threads jetstream.KeyValue
	sink    *ingest.Sink
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{srv: brokertest.Server(t)}
	e.conn = brokertest.Connect(t, e.srv)
	kv, err := e.conn.JS.KeyValue(ctx, broker.BucketRequests)
	must(t, err)
	e.store = lifecycle.NewStore(kv)
	e.roots, err = e.conn.JS.KeyValue(ctx, broker.BucketRootEmails)
	must(t, err)
	e.threads, err = replies.EnsureThreads(ctx, e.conn.JS, 1)
	must(t, err)
	e.objects, err = e.conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
	must(t, err)
	e.sb, err = sandbox.Start(ctx, sandbox.Config{})
	must(t, err)
	t.Cleanup(func() { _ = e.sb.Close() })
	host, port, _ := net.SplitHostPort(e.sb.SMTPAddr())
	p, _ := strconv.Atoi(port)
	sender, err := mailer.NewSender(mailer.Config{Host: host, Port: p, TLSPolicy: mailer.TLSNone, From: "Provisioning <provisioning@" + domain + ">"})
	must(t, err)
	sent, err := e.conn.JS.KeyValue(ctx, broker.BucketMailSent)
	must(t, err)
	e.outbox = outbox.New(sent, sender, brokertest.Logger(t), prometheus.NewRegistry(), 5*time.Second)
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
		JS: conn.JS, Requests: e.store, Raw: e.objects, RootEmails: e.roots, Threads: e.threads,
		Outbox: e.outbox, Domain: domain, ReplyKey: key, Inbox: inboxBox,
		Sig: mailer.Signature{Company: "Test Distribution"}, Logger: brokertest.Logger(t), Now: time.Now,
	}
}

func (e *env) projection(t *testing.T) broker.Handler {
	return (&projection.Handler{Store: e.store, Logger: brokertest.Logger(t)}).Broker()
}

// seed publishes what routing and confirmation would have for one US
// request, and waits until the projection shows it awaiting details.
func (e *env) seed(t *testing.T, id string, authorised ...string) {
	t.Helper()
	ctx := context.Background()
	req := events.AccountRequested{
		RequestID: id, RequestedAt: "2026-11-25T18:00:00Z", Provider: "aws",
		Reseller: events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US",
			PrimaryContact: events.Party{Name: "Jane Doe", Email: contact}, AuthorisedSenders: authorised},
		Customer:  events.Customer{ID: "C-1", Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true},
	}
	now := events.Time(time.Now())
	routed := events.AccountRouted{RequestID: id, Region: "us", OpsTeam: "ops-us", ReplyChannel: events.ReplyWorkflow, RoutedAt: now, Request: req}
	_, err := events.Publish(ctx, e.conn.JS, routed, events.DerivedID("routed", id), "test", events.Envelope{})
	must(t, err)
	replyTo, err := mailer.ReplyAddress(key, id, inboxBox)
	must(t, err)
	conf := events.ConfirmationSent{RequestID: id, MessageID: mailer.MessageID(id, mailer.KindConfirmation, domain),
		Recipient: contact, ReplyTo: replyTo, SentAt: now}
	_, err = events.Publish(ctx, e.conn.JS, conf, events.DerivedID("confirmation-sent", id), "test", events.Envelope{})
	must(t, err)
	e.waitStage(t, id, lifecycle.StageAwaitingDetails)
}

func (e *env) waitStage(t *testing.T, id, stage string) lifecycle.Record {
	t.Helper()
	var rec lifecycle.Record
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		var err error
		rec, err = e.store.Get(context.Background(), id)
		if err != nil || rec.Stage != stage {
			return fmt.Errorf("%s at %q, want %q (%v)", id, rec.Stage, stage, err)
		}
		return nil
	})
	return rec
}

// deliver hands a reply to the real ingestion sink, as the IMAP reader would.
func (e *env) deliver(t *testing.T, raw string) {
	t.Helper()
	must(t, e.sink.Deliver(context.Background(), inbox.Message{Account: "imap://test@127.0.0.1", Folder: "INBOX", UID: 1, UIDValidity: 1, Size: int64(len(raw)), Raw: []byte(raw)}))
}

func waitCount(t *testing.T, conn *broker.Conn, filter string, want int) {
	t.Helper()
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if n := brokertest.Count(t, conn, filter); n != want {
			return fmt.Errorf("%s: %d messages, want %d", filter, n, want)
		}
		return nil
	})
}

// idle waits until the replies consumer has nothing pending or unacked.
func idle(t *testing.T, conn *broker.Conn) {
	t.Helper()
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		c, err := conn.JS.Consumer(context.Background(), events.Stream, replies.Name)
		if err != nil {
			return err
		}
		ci, err := c.Info(context.Background())
		if err != nil || ci.NumPending != 0 || ci.NumAckPending != 0 {
			return fmt.Errorf("replies busy: %v %v", ci, err)
		}
		return nil
	})
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
