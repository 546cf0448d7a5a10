package provisioning_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message/mail"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/aws/awstest"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/sandbox"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/outbox"
	"github.com/acctflow/acctflow/retry"
)

const (
	opsEmail = "cloud-ops@acctflow.localhost"
	contact  = "jane@northwind.example"
)

type env struct {
	srv      *server.Server
	conn     *broker.Conn
	store    *lifecycle.Store
	accounts jetstream.KeyValue
	outbox   *outbox.Outbox
	sb       *sandbox.Sandbox
	fake     *awstest.Server
	ops      *ops.Ops
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{srv: brokertest.Server(t)}
	e.conn = brokertest.Connect(t, e.srv)
	kv, err := e.conn.JS.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	e.store = lifecycle.NewStore(kv)
	if e.accounts, err = e.conn.JS.KeyValue(ctx, broker.BucketAccounts); err != nil {
		t.Fatal(err)
	}
	e.sb, err = sandbox.Start(ctx, sandbox.Config{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.sb.Close() })
	host, port, _ := net.SplitHostPort(e.sb.SMTPAddr())
	p, _ := strconv.Atoi(port)
	sender, err := mailer.NewSender(mailer.Config{Host: host, Port: p, TLSPolicy: mailer.TLSNone, From: "Provisioning <provisioning@acctflow.localhost>"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := e.conn.JS.KeyValue(ctx, broker.BucketMailSent)
	if err != nil {
		t.Fatal(err)
	}
	e.outbox = outbox.New(sent, sender, brokertest.Logger(t), nil, 5*time.Second)
	e.fake = awstest.NewServer()
	t.Cleanup(e.fake.Close)
	e.ops = &ops.Ops{JS: e.conn.JS, Requests: e.store, Source: "acctflow/test", Now: time.Now}
	brokertest.Run(t, e.conn, (&projection.Handler{Store: e.store, Logger: brokertest.Logger(t)}).Broker())
	return e
}

func (e *env) handler(t *testing.T) broker.Handler {
	h := &provisioning.Handler{Accounts: e.accounts, Requests: e.store, Logger: brokertest.Logger(t), Now: time.Now}
	return h.Broker()
}

func (e *env) driver(t *testing.T) *provisioning.Driver {
	return &provisioning.Driver{
		Accounts: e.accounts, Requests: e.store, Orgs: aws.NewOrganizations(e.fake.Config()), JS: e.conn.JS,
		Outbox: e.outbox, Domain: "acctflow.localhost", ReplyKey: []byte("0123456789abcdef0123456789abcdef"),
		Inbox: "acct-replies@acctflow.localhost", OpsEmail: opsEmail, RoleName: "OrganizationAccountAccessRole",
		Every: 5 * time.Millisecond, PollPolicy: retry.Policy{Initial: 2 * time.Millisecond, Max: 10 * time.Millisecond},
		Throttle: retry.Policy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Lease:    time.Minute, Logger: brokertest.Logger(t), Now: time.Now,
	}
}

// run starts d until the returned stop is called (also at cleanup).
func run(t *testing.T, d *provisioning.Driver) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("driver stopped with %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// seed takes a request to details_received through real events and the
// projection.
func (e *env) seed(t *testing.T, id, rootEmail, nickname string) {
	t.Helper()
	ctx := context.Background()
	req := events.AccountRequested{
		RequestID: id, RequestedAt: events.Time(time.Now()), Provider: "aws",
		Reseller:  events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US", PrimaryContact: events.Party{Name: "Jane Doe", Email: contact}},
		Customer:  events.Customer{ID: "C-" + id, Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true},
	}
	for i, ev := range []events.Event{
		events.AccountRouted{RequestID: id, Region: "us", OpsTeam: "us-ops", ReplyChannel: events.ReplyWorkflow, RoutedAt: events.Time(time.Now()), Request: req},
		events.DetailsSubmitted{RequestID: id, RootEmail: rootEmail, Nickname: nickname, SupportType: events.SupportBusiness, SubmittedAt: events.Time(time.Now())},
	} {
		if _, err := events.Publish(ctx, e.conn.JS, ev, fmt.Sprintf("seed-%s-%d-%s", id, i, rootEmail), "test", events.Envelope{}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitStage(t, id, lifecycle.StageDetailsReceived)
}

func (e *env) waitStage(t *testing.T, id, stage string) lifecycle.Record {
	t.Helper()
	var rec lifecycle.Record
	brokertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		var err error
		rec, err = e.store.Get(context.Background(), id)
		if err != nil || rec.Stage != stage {
			return fmt.Errorf("%s at stage %q (%v), want %s", id, rec.Stage, err, stage)
		}
		return nil
	})
	return rec
}

func waitCount(t *testing.T, conn *broker.Conn, filter string, want int) {
	t.Helper()
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n := brokertest.Count(t, conn, filter); n != want {
			return fmt.Errorf("%s: %d messages, want %d", filter, n, want)
		}
		return nil
	})
}

// mails returns the decoded text parts of the mail address received.
func (e *env) mails(t *testing.T, address string) []string {
	t.Helper()
	var out []string
	for _, raw := range e.sb.Messages(address) {
		out = append(out, textOf(t, raw))
	}
	return out
}

func textOf(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := gomessage.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing mail: %v", err)
	}
	subject, _ := r.Header.Subject()
	var b strings.Builder
	b.WriteString("Subject: " + subject + "\n")
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading mail part: %v", err)
		}
		if h, ok := p.Header.(*gomessage.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				body, _ := io.ReadAll(p.Body)
				b.Write(body)
			}
		}
	}
	return b.String()
}
