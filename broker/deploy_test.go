package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
)

// TestDeployPermissions loads deploy/nats.conf (what compose.yaml runs) into
// a real server and checks that a handler's user can provision and publish
// what it produces, and nothing else.
func TestDeployPermissions(t *testing.T) {
	opts, err := server.ProcessConfigFile("../deploy/nats.conf")
	if err != nil {
		t.Fatalf("deploy/nats.conf: %v", err)
	}
	opts.Host, opts.Port, opts.StoreDir, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, t.TempDir(), true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	defer s.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	admin, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), User: "admin", Password: "change-me-admin"})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if err := (broker.Topology{Replicas: 1}).Ensure(ctx, admin.JS); err != nil {
		t.Fatal(err)
	}
	routing, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), User: "routing", Password: "change-me-routing"})
	if err != nil {
		t.Fatal(err)
	}
	defer routing.Close()
	if _, err := routing.JS.PublishMsg(ctx, &nats.Msg{Subject: "acct.routed.us", Data: []byte(`{}`)}); err != nil {
		t.Fatalf("routing may publish acct.routed.us: %v", err)
	}
	if _, err := (broker.Topology{}).EnsureConsumer(ctx, routing.JS, broker.ConsumerSpec{Name: "routing", Subjects: []string{events.SubjectRequested}}); err != nil {
		t.Fatalf("routing may create its consumer: %v", err)
	}
	pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
	defer pcancel()
	if _, err := routing.JS.PublishMsg(pctx, &nats.Msg{Subject: events.SubjectCreated, Data: []byte(`{}`)}); err == nil {
		t.Fatal("routing published acct.created: permissions are too wide")
	}
	if _, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), User: "routing", Password: "wrong"}); err == nil {
		t.Fatal("wrong password accepted")
	}
}
