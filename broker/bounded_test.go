package broker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
)

// blackhole takes every message on subject and never answers, like a server
// that went down after it took a request and before it replied.
func blackhole(t *testing.T, nc *nats.Conn, subject string) {
	t.Helper()
	sub, err := nc.Subscribe(subject, func(*nats.Msg) {})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// A request whose reply is lost ends after the call timeout, not when the
// handler's attempt (minutes) ends: the attempt fails and is redelivered
// instead of keeping its message, and its request, stalled.
func TestCallsEndWhenTheReplyIsLost(t *testing.T) {
	t.Parallel()
	conn := brokertest.Connect(t, brokertest.Server(t))
	js := broker.Bound(conn.JS, 200*time.Millisecond)
	attempt, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	blackhole(t, conn.NC, "lost.>")
	if _, err := js.Publish(attempt, "lost.publish", []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish with its ack lost: err %v, want a deadline", err)
	}
	if attempt.Err() != nil {
		t.Fatal("the publish waited for the whole attempt")
	}

	// A KV write is a publish too; its stream vanishes and the subject
	// swallows the write.
	kv, err := js.CreateKeyValue(attempt, jetstream.KeyValueConfig{Bucket: "lost"})
	if err != nil {
		t.Fatal(err)
	}
	if err := js.DeleteStream(attempt, "KV_lost"); err != nil {
		t.Fatal(err)
	}
	blackhole(t, conn.NC, "$KV.lost.>")
	if _, err := kv.Put(attempt, "k", []byte("v")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("KV put with its ack lost: err %v, want a deadline", err)
	}
	if attempt.Err() != nil {
		t.Fatal("the KV put waited for the whole attempt")
	}
}

// Every connection's JetStream is bounded: a handler cannot forget to.
func TestConnectionsAreBounded(t *testing.T) {
	t.Parallel()
	conn := brokertest.Connect(t, brokertest.Server(t))
	attempt, cancel := context.WithTimeout(context.Background(), broker.CallTimeout+time.Minute)
	defer cancel()
	blackhole(t, conn.NC, "lost.>")
	if _, err := conn.JS.Publish(attempt, "lost.publish", []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("publish with its ack lost: err %v, want a deadline", err)
	}
	if attempt.Err() != nil {
		t.Fatal("the publish waited for the whole attempt")
	}
}
