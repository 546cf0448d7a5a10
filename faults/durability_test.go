package faults

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestDurabilityCost runs the whole flow without faults twice, with the
// embedded server's fsync on every write and with a 2-minute flush, and
// reports the time to drain. It runs only when asked:
// ACCTFLOW_FAULTS_SYNC_COST=1 (N from ACCTFLOW_FAULTS_N, default 200).
func TestDurabilityCost(t *testing.T) {
	if os.Getenv("ACCTFLOW_FAULTS_SYNC_COST") == "" {
		t.Skip("set ACCTFLOW_FAULTS_SYNC_COST=1 to measure")
	}
	n := envInt("ACCTFLOW_FAULTS_N", 200)
	took := map[string]time.Duration{}
	for _, sync := range []string{"always", "2m"} {
		t.Run("sync="+sync, func(t *testing.T) {
			w := newWorld(t)
			natsAddr := freePort(t)
			w.serve("serve", true, "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr, "--nats-sync", sync).start()
			w.connect("nats://" + natsAddr)
			ctx, cancel := context.WithTimeout(context.Background(), budget(n))
			defer cancel()
			w.flow = newFlow(w, n)
			start := time.Now()
			w.run(ctx, n)
			w.verify(ctx, "sync="+sync, "none")
			took[sync] = time.Since(start)
		})
	}
	if took["always"] > 0 && took["2m"] > 0 {
		t.Logf("whole flow, %d requests: fsync every write %s, 2m flush %s (%.2fx)", n,
			took["always"].Round(time.Millisecond), took["2m"].Round(time.Millisecond), took["always"].Seconds()/took["2m"].Seconds())
	}
}
