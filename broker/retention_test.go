package broker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// JetStream deletes what is past retention by its own limits: a raw email
// retention after it arrived (object store TTL), a request's record, with
// every older revision, retention after the request ended (a per-message
// TTL on the final write). An open request is kept.
func TestRetentionDeletesEndedRecordsAndOldMail(t *testing.T) {
	const keep = 2 * time.Second
	srv := brokertest.Server(t)
	ctx := context.Background()
	conn, err := broker.Connect(ctx, broker.ConnConfig{URL: srv.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.NC.Close() })
	// Buckets as a deployment before retention made them.
	if _, err := conn.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: broker.BucketRequests, History: 5, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.JS.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: broker.ObjectMailRaw, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if err := (broker.Topology{Replicas: 1, Retention: keep}).Ensure(ctx, conn.JS); err != nil {
		t.Fatalf("adding retention to an existing topology: %v", err)
	}
	kv := brokertest.KV(t, conn, broker.BucketRequests)
	store := lifecycle.NewStore(kv).Expiring(conn.JS, keep)
	set := func(id string, st lifecycle.Stage) {
		t.Helper()
		if _, err := store.Update(ctx, id, func(r *lifecycle.Record) error { r.Stage = st; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set("REQ-1", lifecycle.StageRequested)
	set("REQ-1", lifecycle.StageRouted)
	set("REQ-1", lifecycle.StageRejected) // ended
	set("REQ-2", lifecycle.StageRequested)
	set("REQ-2", lifecycle.StageRouted) // open
	if rec, err := store.Get(ctx, "REQ-1"); err != nil || rec.Stage != lifecycle.StageRejected {
		t.Fatalf("ended record before retention: %+v %v", rec, err)
	}

	raw, err := conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Put(ctx, jetstream.ObjectMeta{Name: "reply-1.eml"}, bytes.NewReader([]byte("From: dana@fabrikam.example\r\n\r\nhi"))); err != nil {
		t.Fatal(err)
	}

	brokertest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		if _, err := store.Get(ctx, "REQ-1"); !errors.Is(err, lifecycle.ErrNotFound) {
			return fmt.Errorf("ended record still there: %v", err)
		}
		if h, err := kv.History(ctx, "REQ-1"); err == nil {
			for _, e := range h {
				if e.Operation() == jetstream.KeyValuePut {
					return fmt.Errorf("revision %d of the ended record still there", e.Revision())
				}
			}
		}
		if _, err := raw.GetInfo(ctx, "reply-1.eml"); !errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("raw mail still there: %v", err)
		}
		return nil
	})
	if rec, err := store.Get(ctx, "REQ-2"); err != nil || rec.Stage != lifecycle.StageRouted {
		t.Errorf("open request lost: %+v %v", rec, err)
	}
}
