package followup_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/sandbox/devaws"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// TestCreatedThroughOrganizationsThenOneFollowup runs approval → provisioning
// (real SDK against devaws, IN_PROGRESS then SUCCEEDED) → follow-up, with
// the follow-up handler crashing once after its work and a second replica.
func TestCreatedThroughOrganizationsThenOneFollowup(t *testing.T) {
	ctx := context.Background()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	accounts := brokertest.KV(t, conn, broker.BucketAccounts)
	store := handlertest.Store(t, conn)
	sb := mailtest.Sandbox(t, devmail.Config{})
	ob := handlertest.Outbox(t, conn, mailtest.Sender(t, sb.SMTPAddr(), "provisioning@acctflow.localhost"))
	fake := devaws.NewServer()
	t.Cleanup(fake.Close)
	fake.SetPolls(2)
	key := []byte("0123456789abcdef0123456789abcdef")

	var calls atomic.Int32
	for i := range 2 {
		c := brokertest.Connect(t, srv)
		fh := &followup.Handler{Requests: store, ExternalIDs: followup.ExternalIDs{KV: accounts}, Outbox: ob, Domain: "acctflow.localhost",
			ReplyKey: key, Inbox: "acct-replies@acctflow.localhost", DistributorAccountID: "111122223333", Logger: brokertest.Logger(t)}
		hs := []broker.Handler{brokertest.CrashOnce(fh.Broker(), &calls)}
		if i == 0 {
			hs = append(hs, handlertest.Projection(t, store),
				(&provisioning.Handler{JS: conn.JS, Ledger: effect.NewLedger(accounts, "", nil), Requests: store, Logger: brokertest.Logger(t)}).Broker())
		}
		brokertest.Run(t, c, hs...)
	}
	d := &provisioning.Driver{JS: conn.JS, Ledger: effect.NewLedger(accounts, "", nil), Requests: store, Orgs: aws.NewOrganizations(fake.Config()), Outbox: ob,
		Domain: "acctflow.localhost", ReplyKey: key, Inbox: "acct-replies@acctflow.localhost",
		PollPolicy: retry.Policy{Initial: 2 * time.Millisecond, Max: 5 * time.Millisecond}, Logger: brokertest.Logger(t)}
	handlertest.Go(t, d.Run)

	req := handlertest.Request("REQ-FU1")
	brokertest.Publish(t, conn, handlertest.Routed(req), "seed-0")
	brokertest.Publish(t, conn, handlertest.Confirmed("REQ-FU1"), "seed-0c")
	brokertest.Publish(t, conn, handlertest.Details("REQ-FU1", "root@acme.example", "Café Étoile", "business"), "seed-1")
	o := &ops.Ops{JS: conn.JS, Requests: store, Source: "test", Now: time.Now}
	brokertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		_, err := o.Approve(ctx, "REQ-FU1", "ops@example.com", "")
		return err
	})
	var text string
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		msgs := sb.Messages(handlertest.Contact)
		if len(msgs) != 1 {
			return fmt.Errorf("%d follow-ups", len(msgs))
		}
		text = mailtest.Text(t, msgs[0])
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
	brokertest.WaitCalls(t, &calls, 2)
	if n := len(sb.Messages(handlertest.Contact)); n != 1 || fake.CreateCalls() != 1 {
		t.Fatalf("%d follow-ups, %d creations", n, fake.CreateCalls())
	}
}

func TestExternalIDStableAcrossRacers(t *testing.T) {
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	kv := brokertest.KV(t, conn, broker.BucketAccounts)
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
