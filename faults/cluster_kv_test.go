package faults

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// On a cluster a lost compare-and-swap comes back as another error code
// than on a single server (10164, not 10071). Writers of one request's
// record at once must still all get through, each starting again from a
// fresh read: none may fail, none may be lost.
func TestRecordWritersOnACluster(t *testing.T) {
	t.Parallel()
	kv := brokertest.StartCluster(t, t.TempDir()).KV(t, jetstream.KeyValueConfig{Bucket: "requests", Replicas: 3, History: 5})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store := lifecycle.NewStore(kv)
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if _, err := store.Update(ctx, "REQ-CLUSTER", func(r *lifecycle.Record) error {
					r.Problems = append(r.Problems, fmt.Sprintf("%d/%d", w, i))
					return nil
				}); err != nil {
					t.Errorf("writer %d, write %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	rec, err := store.Get(ctx, "REQ-CLUSTER")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Problems) != writers*each {
		t.Errorf("%d writes kept, want %d", len(rec.Problems), writers*each)
	}
}
