package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
)

// On a cluster a lost compare-and-swap has its own error code (10164):
// writers of one account's history at once still all get through.
func TestAccountWritersOnACluster(t *testing.T) {
	t.Parallel()
	c := brokertest.StartCluster(t, t.TempDir())
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var kv jetstream.KeyValue
	brokertest.CheckFor(t, time.Minute, 200*time.Millisecond, func() error { // a meta leader, then the bucket's
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		defer acancel()
		if kv, err = js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{Bucket: "accounts", Replicas: 3}); err != nil {
			return err
		}
		if _, err := kv.Get(actx, "123456789012"); !errors.Is(err, jetstream.ErrKeyNotFound) {
			return fmt.Errorf("bucket not ready: %v", err)
		}
		return nil
	})
	const writers, each = 4, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				ch := AccountChange{ChangeID: fmt.Sprintf("CHG-%d-%d", w, i), To: "business", At: time.Now().UTC().Format(time.RFC3339Nano)}
				if err := updateAccount(ctx, kv, "123456789012", ch); err != nil {
					t.Errorf("writer %d, change %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	e, err := kv.Get(ctx, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	var a Account
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Changes) != writers*each {
		t.Errorf("%d changes kept, want %d", len(a.Changes), writers*each)
	}
}
