package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// serve provisions raw mail with --retention (ACCTFLOW_RETENTION) as its
// TTL, 400 days unless told, and a requests bucket that takes per-message
// TTLs.
func TestServeRetention(t *testing.T) {
	if f := newServe().Flags().Lookup("retention"); f == nil || f.DefValue != (400*24*time.Hour).String() {
		t.Fatalf("--retention default: %v", f)
	}
	t.Setenv("ACCTFLOW_RETENTION", "720h")
	inst := startServe(t, t.TempDir(), "--handlers", "none")
	ctx := context.Background()
	conn, err := broker.Connect(ctx, broker.ConnConfig{URL: inst.natsURL})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.NC.Close()
	raw, err := conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
	if err != nil {
		t.Fatal(err)
	}
	st, err := raw.Status(ctx)
	if err != nil || st.TTL() != 720*time.Hour {
		t.Errorf("mail-raw TTL %v (%v), want 720h", st.TTL(), err)
	}
	kv, err := conn.JS.KeyValue(ctx, broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := kv.Status(ctx)
	if err != nil || ks.LimitMarkerTTL() == 0 {
		t.Errorf("requests bucket takes no per-message TTL (%v)", err)
	}
}

// The record of a request that ended goes --retention after it ended.
func TestServeEndedRequestExpires(t *testing.T) {
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection", "--retention", "3s")
	if _, err := run(t, "", "request", "create", "--file", "../../examples/events/account-requested-provider-disabled.json", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, "REQ-1010", lifecycle.StageRejected)
	brokertest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if _, err := run(t, "", "request", "show", "REQ-1010", "--nats-url", inst.natsURL); err == nil || !strings.Contains(err.Error(), "not found") {
			return fmt.Errorf("record of the rejected request still there (%v)", err)
		}
		return nil
	})
}
