// Package handlertest builds what handler tests share on top of brokertest:
// the projection and waits on its records, the email ledger over mail-sent, a
// routed US request from Northwind IT for Acme Corp to seed it with, a
// runner for drivers' background loops, and a loader of finished requests.
package handlertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/retry"
)

// Contact is the reseller's primary contact in Request.
const Contact = "jane@northwind.example"

// Store is the request projection over conn's requests bucket.
func Store(t testing.TB, conn *broker.Conn) *lifecycle.Store {
	t.Helper()
	return lifecycle.NewStore(brokertest.KV(t, conn, broker.BucketRequests))
}

// Projection is the handler that folds every event into store.
func Projection(t testing.TB, store *lifecycle.Store) broker.Handler {
	return (&projection.Handler{Store: store, Logger: brokertest.Logger(t)}).Broker()
}

// Outbox is the real email ledger over conn's mail-sent bucket, sending
// with sender (see mailtest.Sender), with the production budget but a
// backoff of milliseconds.
func Outbox(t testing.TB, conn *broker.Conn, sender effect.Sender) *effect.Email {
	t.Helper()
	return effect.NewEmail(brokertest.KV(t, conn, broker.BucketMailSent), sender, effect.EmailConfig{
		SMTPTimeout: 5 * time.Second, Backoff: FastBackoff, Logger: brokertest.Logger(t),
		Marks: effect.StreamMarks{JS: conn.JS, Stream: events.Stream},
	})
}

// FastBackoff is the effects' backoff in tests.
var FastBackoff = retry.Policy{Initial: 20 * time.Millisecond, Max: 200 * time.Millisecond}

// Request is an eligible AWS request id from Jane Doe (Contact) of
// Northwind IT, US, for customer "C-"+id, Acme Corp.
func Request(id string) events.AccountRequested {
	return events.AccountRequested{
		RequestID: id, RequestedAt: events.Time(time.Now()), Provider: "aws",
		Reseller:  events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "US", PrimaryContact: events.Party{Name: "Jane Doe", Email: Contact}},
		Customer:  events.Customer{ID: "C-" + id, Name: "Acme Corp"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "USD", ProviderEnabledInPortal: true},
	}
}

// Routed is req routed to the US team with replies to the workflow inbox.
func Routed(req events.AccountRequested) events.AccountRouted {
	return events.AccountRouted{RequestID: req.RequestID, Region: "us", OpsTeam: "us", ReplyChannel: events.ReplyWorkflow,
		RoutedAt: events.Time(time.Now()), Request: req}
}

// Confirmed is the confirmation of id sent to Contact: with it a routed
// request waits for its details, as the transition table requires.
func Confirmed(id string) events.ConfirmationSent {
	return events.ConfirmationSent{RequestID: id, MessageID: "confirmation-" + events.KeyOf(id) + "@acctflow.localhost", Recipient: Contact,
		ReplyTo: "acct-replies@acctflow.localhost", SentAt: events.Time(time.Now())}
}

// Details is the reseller's details reply for id, as replies publishes it.
func Details(id, rootEmail, nickname, supportType string) events.DetailsSubmitted {
	return events.DetailsSubmitted{RequestID: id, RootEmail: rootEmail, Nickname: nickname, SupportType: supportType,
		SubmittedAt: events.Time(time.Now())}
}

// WaitRecord waits until the projection's record of id satisfies ok, and
// returns it.
func WaitRecord(t testing.TB, store *lifecycle.Store, id string, ok func(lifecycle.Record) bool) lifecycle.Record {
	t.Helper()
	var rec lifecycle.Record
	brokertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		var err error
		if rec, err = store.Get(context.Background(), id); err != nil || !ok(rec) {
			return fmt.Errorf("%s not as expected yet: stage %q (%v)", id, rec.Stage, err)
		}
		return nil
	})
	return rec
}

// WaitStage waits until the record of id is at stage, and returns it.
func WaitStage(t testing.TB, store *lifecycle.Store, id string, stage lifecycle.Stage) lifecycle.Record {
	t.Helper()
	return WaitRecord(t, store, id, func(r lifecycle.Record) bool { return r.Stage == stage })
}

// Go runs fn (a driver's or a check's Run) until the returned stop is
// called, or the test ends; fn must then return context.Canceled.
func Go(t testing.TB, fn func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("stopped with %v, want context.Canceled", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// LoadFinished writes n finished records (REQ-F0000000 on: validated roles,
// expired, rejected by ops, in turn) straight into conn's requests bucket,
// as years of history would leave it.
func LoadFinished(t testing.TB, conn *broker.Conn, n int) {
	t.Helper()
	stages := []lifecycle.Stage{lifecycle.StageRoleValidated, lifecycle.StageExpired, lifecycle.StageRejected}
	req := Request("REQ-X")
	var futures []jetstream.PubAckFuture
	for i := range n {
		id := fmt.Sprintf("REQ-F%07d", i)
		now := events.Time(time.Now())
		rec := lifecycle.Record{RequestID: id, Stage: stages[i%len(stages)], StageAt: now, Region: "us", Request: &req,
			SupportGroup: &lifecycle.SupportGroup{Group: events.GroupPassthrough, Expected: events.GroupPassthrough, At: now},
			History:      []lifecycle.Entry{{Seq: uint64(i), ID: id, Event: "account-routed", At: now, Stage: lifecycle.StageRouted}}}
		data, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		f, err := conn.JS.PublishAsync("$KV."+broker.BucketRequests+"."+events.KeyOf(id), data)
		if err != nil {
			t.Fatal(err)
		}
		futures = append(futures, f)
		if len(futures) == 1000 {
			waitAcks(t, futures)
			futures = futures[:0]
		}
	}
	waitAcks(t, futures)
}

func waitAcks(t testing.TB, fs []jetstream.PubAckFuture) {
	t.Helper()
	timeout := time.After(time.Minute)
	for _, f := range fs {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			t.Fatal(err)
		case <-timeout:
			t.Fatal("no ack for a record in a minute")
		}
	}
}
