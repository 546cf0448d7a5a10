package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/smtptest"
	"github.com/acctflow/acctflow/outbox"
	"github.com/acctflow/acctflow/retry"
)

func setup(t *testing.T) (*outbox.Outbox, *smtptest.Server, *broker.Conn) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := smtptest.Start(t)
	sender, err := mailer.NewSender(mailer.Config{Host: srv.Host, Port: srv.Port, TLSPolicy: mailer.TLSNone, From: "p@x.example"})
	if err != nil {
		t.Fatal(err)
	}
	kv, _ := conn.JS.KeyValue(context.Background(), broker.BucketMailSent)
	return outbox.New(kv, sender, brokertest.Logger(t), nil, 5*time.Second), srv, conn
}

func msg() mailer.Message {
	return mailer.Message{MessageID: "abc.confirmation@x.example", To: mailer.Address{Email: "jane@y.example"}, Subject: "Hi", Text: "Hello"}
}

func TestSendsOncePerKeyAcrossConcurrentSenders(t *testing.T) {
	o, srv, _ := setup(t)
	var wg sync.WaitGroup
	sent := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := o.Send(context.Background(), "confirmation.REQ-1", "confirmation", msg())
			if err != nil && !errors.Is(err, outbox.ErrBusy) {
				t.Error(err)
			}
			sent <- ok
		}()
	}
	wg.Wait()
	close(sent)
	n := 0
	for ok := range sent {
		if ok {
			n++
		}
	}
	if n != 1 || len(srv.Messages()) != 1 {
		t.Fatalf("sent by %d callers, %d emails", n, len(srv.Messages()))
	}
	if ok, err := o.Send(context.Background(), "confirmation.REQ-1", "confirmation", msg()); ok || err != nil {
		t.Fatalf("second send: %v %v", ok, err)
	}
}

func TestFailuresReleaseTheClaim(t *testing.T) {
	o, srv, _ := setup(t)
	srv.FailNext(3, 451)
	_, err := o.Send(context.Background(), "k", "confirmation", msg())
	if err == nil || retry.IsPermanent(err) {
		t.Fatalf("temporary failure: %v", err)
	}
	// The next attempt need not wait for the lease.
	if ok, err := o.Send(context.Background(), "k", "confirmation", msg()); !ok || err != nil {
		t.Fatalf("retry after failure: %v %v", ok, err)
	}
	srv.FailNext(1, 550)
	_, err = o.Send(context.Background(), "k2", "confirmation", msg())
	if !retry.IsPermanent(err) {
		t.Fatalf("550 not permanent: %v", err)
	}
}

func TestStaleClaimIsTakenOver(t *testing.T) {
	o, srv, conn := setup(t)
	kv, _ := conn.JS.KeyValue(context.Background(), broker.BucketMailSent)
	// A sender died mid-send five minutes ago.
	stale, _ := json.Marshal(map[string]string{"state": "sending", "at": time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339Nano)})
	if _, err := kv.Create(context.Background(), "k", stale); err != nil {
		t.Fatal(err)
	}
	if ok, err := o.Send(context.Background(), "k", "confirmation", msg()); !ok || err != nil {
		t.Fatalf("stale claim: %v %v", ok, err)
	}
	// A fresh claim by a live sender is respected.
	fresh, _ := json.Marshal(map[string]string{"state": "sending", "at": time.Now().UTC().Format(time.RFC3339Nano)})
	if _, err := kv.Create(context.Background(), "k3", fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Send(context.Background(), "k3", "confirmation", msg()); !errors.Is(err, outbox.ErrBusy) {
		t.Fatalf("fresh claim: %v", err)
	}
	if len(srv.Messages()) != 1 {
		t.Fatalf("%d emails", len(srv.Messages()))
	}
}
