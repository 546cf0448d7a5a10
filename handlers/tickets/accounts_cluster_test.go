package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
)

// On a cluster a lost compare-and-swap has its own error code (10164):
// writers of one account's history at once still all get through.
func TestAccountWritersOnACluster(t *testing.T) {
	t.Parallel()
	kv := brokertest.StartCluster(t, t.TempDir()).KV(t, jetstream.KeyValueConfig{Bucket: "accounts", Replicas: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
