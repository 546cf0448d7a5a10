package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
)

// TestCrash: the whole flow runs while `acctflow serve` (embedded NATS and
// every handler in one process) is killed with SIGKILL at random moments
// and restarted on the same data dir.
func TestCrash(t *testing.T) {
	t.Parallel()
	n, kills := profileSize(shortN, 1000), 3
	if n > shortN {
		kills = envInt("ACCTFLOW_FAULTS_KILLS", 12)
	}
	w := newWorld(t)
	natsAddr := freePort(t)
	p := w.serve("serve", true, "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr)
	p.start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), budget(n))
	defer cancel()

	w.flow = newFlow(w, n) // before the killer watches it
	done := make(chan string)
	go func() { done <- w.killRandomly(ctx, kills, p) }()
	w.run(ctx, n)
	w.verify(ctx, "crash", "serve: "+<-done)
}

// shortN is the number of requests per profile in the short (CI) profile.
const shortN = 12

// budget bounds one profile: the whole flow, plus the help desk's 2-minute
// settle time after an unknown outcome and the leases (1 to 2 minutes) of
// claims a killed replica held.
func budget(n int) time.Duration { return time.Duration(200+n/2) * time.Second }

// killRandomly kills and restarts one of procs kills times, spread over
// the flow by its progress (the k-th kill at a random point of the k-th
// slice of the way), so that kills land in every stage. It returns a
// description for the table: kills and the stages requests were at.
func (w *world) killRandomly(ctx context.Context, kills int, procs ...*proc) string {
	killed := 0
	hit := map[lifecycle.Stage]bool{}
	for k := range kills {
		at, running := w.flow.waitProgress(ctx, 0.95*(float64(k)+rand.Float64())/float64(kills))
		if !running {
			break
		}
		for _, s := range at {
			hit[s] = true
		}
		p := procs[rand.IntN(len(procs))]
		p.kill()
		killed++
		p.start()
		pause(ctx, time.Second) // let it come up before the next one
	}
	var stages []string
	for _, s := range stagesOf {
		if hit[s] {
			stages = append(stages, string(s))
		}
	}
	return fmt.Sprintf("%d SIGKILL (requests at %s)", killed, strings.Join(stages, ", "))
}
