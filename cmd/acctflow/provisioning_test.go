package main

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// `acctflow provisioning retry ID` refuses, saying why, unless the request's
// CreateAccount outcome is unknown; then it asks for retry 1, and asking
// again is the same event.
func TestProvisioningRetryCommand(t *testing.T) {
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection")
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-us.json", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageRouted)
	_, err := run(t, "", "provisioning", "retry", "REQ-1001", "--nats-url", inst.natsURL)
	if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "no CreateAccount was recorded") {
		t.Fatalf("retry without a creation: %v", err)
	}
	if _, err := run(t, "", "provisioning", "retry", "REQ-NONE", "--nats-url", inst.natsURL); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("retry of an unknown request: %v", err)
	}

	nc, err := nats.Connect(inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), broker.BucketAccounts)
	if err != nil {
		t.Fatal(err)
	}
	// What the driver leaves when CreateAccount got no answer.
	parked := effect.Record{State: effect.Unknown, Attempts: 1, Error: "connection reset"}
	if _, err := effect.NewLedger(kv, "", nil).Put(context.Background(), effect.Key(events.EffectCreateAccount, "REQ-1001"), parked, 0); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		out, err := run(t, "", "provisioning", "retry", "REQ-1001", "--by", "ops@distributor.example", "--nats-url", inst.natsURL)
		if err != nil || strings.TrimSpace(out) != "REQ-1001: account creation retry 1 requested" {
			t.Fatalf("retry: %q %v", out, err)
		}
	}
	conn := &broker.Conn{NC: nc, JS: js}
	msgs := brokertest.Messages(t, conn, events.SubjectApproved)
	var ap events.AccountApproved
	if len(msgs) != 1 || events.Unmarshal("account-approved", msgs[0].Data(), &ap) != nil || ap.Retry != 1 || ap.ApprovedBy != "ops@distributor.example" {
		t.Fatalf("%d acct.approved, %+v", len(msgs), ap)
	}
}
