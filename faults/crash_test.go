package faults

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// TestCrash: requests flow while `acctflow serve` (embedded NATS and every
// handler in one process) is killed with SIGKILL at random moments and
// restarted on the same data dir.
func TestCrash(t *testing.T) {
	n, kills := profileSize(40, 1000), 3
	if n > 40 {
		kills = envInt("ACCTFLOW_FAULTS_KILLS", 12)
	}
	w := newWorld(t)
	natsAddr := freePort(t)
	p := w.serve("serve", "--data-dir", filepath.Join(w.dir, "data"), "--nats-listen", natsAddr)
	p.start()
	w.connect("nats://" + natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(90+n/4)*time.Second)
	defer cancel()

	done := make(chan int)
	go func() { done <- killRandomly(ctx, kills, p) }()
	w.publish(ctx, n)
	killed := <-done
	w.verify(ctx, "crash", n, fmt.Sprintf("%d SIGKILL of serve", killed))
}

// killRandomly kills and restarts one of procs at random moments.
func killRandomly(ctx context.Context, kills int, procs ...*proc) int {
	killed := 0
	for range kills {
		select {
		case <-ctx.Done():
			return killed
		case <-time.After(time.Duration(300+rand.IntN(900)) * time.Millisecond):
		}
		p := procs[rand.IntN(len(procs))]
		p.kill()
		killed++
		p.start()
	}
	return killed
}

func messageID(raw []byte) string {
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Message-ID") {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func consumersIdle(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, events.Stream)
	if err != nil {
		return err
	}
	lister := stream.ListConsumers(ctx)
	for info := range lister.Info() {
		if info.NumPending > 0 || info.NumAckPending > 0 {
			return fmt.Errorf("consumer %s: %d pending, %d unacknowledged", info.Name, info.NumPending, info.NumAckPending)
		}
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return err
	}
	return nil
}

func countSubject(ctx context.Context, t *testing.T, js jetstream.JetStream, filter string) int {
	s, err := js.Stream(ctx, events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range info.State.Subjects {
		total += int(c)
	}
	return total
}

func countDLQ(ctx context.Context, js jetstream.JetStream) int {
	s, err := js.Stream(ctx, events.DLQStream)
	if err != nil {
		return -1
	}
	info, err := s.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}
