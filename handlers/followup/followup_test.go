package followup_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message/mail"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/aws/awstest"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/sandbox"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/outbox"
	"github.com/acctflow/acctflow/retry"
)

const contact = "jane@northwind.example"

// TestCreatedThroughOrganizationsThenOneFollowup runs approval → provisioning
// (real SDK against awstest, IN_PROGRESS then SUCCEEDED) → follow-up, with
// the follow-up handler crashing once after its work and a second replica.
func TestCreatedThroughOrganizationsThenOneFollowup(t *testing.T) {
	ctx := context.Background()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	reqKV, _ := conn.JS.KeyValue(ctx, broker.BucketRequests)
	accounts, _ := conn.JS.KeyValue(ctx, broker.BucketAccounts)
	sentKV, _ := conn.JS.KeyValue(ctx, broker.BucketMailSent)
	store := lifecycle.NewStore(reqKV)
	sb, err := sandbox.Start(ctx, sandbox.Config{SMTPAddr: "127.0.0.1:0", IMAPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	host, port, _ := net.SplitHostPort(sb.SMTPAddr())
	p, _ := strconv.Atoi(port)
	sender, err := mailer.NewSender(mailer.Config{Host: host, Port: p, TLSPolicy: mailer.TLSNone, From: "provisioning@acctflow.localhost"})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(sentKV, sender, brokertest.Logger(t), nil, 5*time.Second)
	fake := awstest.NewServer()
	t.Cleanup(fake.Close)
	fake.SetPolls(2)
	key := []byte("0123456789abcdef0123456789abcdef")

	var calls atomic.Int32
	for i := range 2 {
		c := brokertest.Connect(t, srv)
		fh := &followup.Handler{Requests: store, ExternalIDs: followup.ExternalIDs{KV: accounts}, Outbox: ob, Domain: "acctflow.localhost",
			ReplyKey: key, Inbox: "acct-replies@acctflow.localhost", DistributorAccountID: "111122223333", Logger: brokertest.Logger(t)}
		b := fh.Broker()
		b.Handle = func(ctx context.Context, m broker.Msg) error {
			if err := fh.Handle(ctx, m); err != nil {
				return err
			}
			if calls.Add(1) == 1 {
				return errors.New("crashed before ack")
			}
			return nil
		}
		hs := []broker.Handler{b}
		if i == 0 {
			hs = append(hs, (&projection.Handler{Store: store, Logger: brokertest.Logger(t)}).Broker(),
				(&provisioning.Handler{Accounts: accounts, Requests: store, Logger: brokertest.Logger(t), Now: time.Now}).Broker())
		}
		brokertest.Run(t, c, hs...)
	}
	d := &provisioning.Driver{Accounts: accounts, Requests: store, Orgs: aws.NewOrganizations(fake.Config()), JS: conn.JS, Outbox: ob,
		Domain: "acctflow.localhost", ReplyKey: key, Inbox: "acct-replies@acctflow.localhost", Every: 5 * time.Millisecond,
		PollPolicy: retry.Policy{Initial: 2 * time.Millisecond, Max: 5 * time.Millisecond}, Logger: brokertest.Logger(t), Now: time.Now}
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(dctx) }()
	t.Cleanup(func() { cancel(); <-done })

	req := events.AccountRequested{RequestID: "REQ-FU1", RequestedAt: events.Time(time.Now()), Provider: "aws",
		Reseller:  events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US", PrimaryContact: events.Party{Name: "Jane Doe", Email: contact}},
		Customer:  events.Customer{ID: "C-1", Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true}}
	for i, ev := range []events.Event{
		events.AccountRouted{RequestID: "REQ-FU1", Region: "us", OpsTeam: "us", ReplyChannel: events.ReplyWorkflow, RoutedAt: events.Time(time.Now()), Request: req},
		events.DetailsSubmitted{RequestID: "REQ-FU1", RootEmail: "root@acme.example", Nickname: "Café Étoile", SupportType: "business", SubmittedAt: events.Time(time.Now())},
	} {
		if _, err := events.Publish(ctx, conn.JS, ev, fmt.Sprintf("seed-%d", i), "test", events.Envelope{}); err != nil {
			t.Fatal(err)
		}
	}
	o := &ops.Ops{JS: conn.JS, Requests: store, Source: "test", Now: time.Now}
	brokertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		_, err := o.Approve(ctx, "REQ-FU1", "ops@example.com", "")
		return err
	})
	var text string
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		msgs := sb.Messages(contact)
		if len(msgs) != 1 {
			return fmt.Errorf("%d follow-ups", len(msgs))
		}
		text = textOf(t, msgs[0])
		return nil
	})
	rec, err := store.Get(ctx, "REQ-FU1")
	if err != nil || rec.Account == nil {
		t.Fatalf("record %+v %v", rec, err)
	}
	ext, err := followup.ExternalIDs{KV: accounts}.For(ctx, "REQ-FU1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{rec.Account.AccountID, "External ID: " + ext, "Cafe Etoile", "111122223333", "root@acme.example"} {
		if !strings.Contains(text, want) {
			t.Errorf("follow-up lacks %q:\n%s", want, text)
		}
	}
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if calls.Load() < 2 {
			return fmt.Errorf("%d deliveries", calls.Load())
		}
		return nil
	})
	if n := len(sb.Messages(contact)); n != 1 || fake.CreateCalls() != 1 {
		t.Fatalf("%d follow-ups, %d creations", n, fake.CreateCalls())
	}
}

func TestExternalIDStableAcrossRacers(t *testing.T) {
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	kv, _ := conn.JS.KeyValue(context.Background(), broker.BucketAccounts)
	ids := make(chan string, 8)
	for range 8 {
		go func() {
			id, err := followup.ExternalIDs{KV: kv}.For(context.Background(), "REQ-X")
			if err != nil {
				id = err.Error()
			}
			ids <- id
		}()
	}
	first := <-ids
	for range 7 {
		if id := <-ids; id != first {
			t.Fatalf("external ids differ: %s vs %s", first, id)
		}
	}
	if !strings.HasPrefix(first, "acctflow-") || len(first) != len("acctflow-")+32 {
		t.Fatalf("external id %q", first)
	}
}

func textOf(t *testing.T, raw []byte) string {
	t.Helper()
	r, err := gomessage.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing mail: %v", err)
	}
	var b strings.Builder
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading mail: %v", err)
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
