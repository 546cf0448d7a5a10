package main

import (
	"context"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
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
