package brokertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/retry"
)

// Run runs handlers on conn until the returned stop function is called (or
// the test ends), and waits until they consume.
func Run(t testing.TB, conn *broker.Conn, handlers ...broker.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- broker.Run(ctx, conn, broker.RouterConfig{
			Topology:    broker.Topology{Replicas: 1},
			Logger:      Logger(t),
			Metrics:     broker.NewMetrics(prometheus.NewRegistry()),
			MaxFailures: 6,
			ConfigDelay: 50 * time.Millisecond,
			Redelivery:  retry.Policy{Initial: 50 * time.Millisecond, Max: 500 * time.Millisecond},
			Started:     func() { close(started) },
		}, handlers)
	}()
	select {
	case <-started:
	case err := <-done:
		cancel()
		t.Fatalf("handlers did not start: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("handlers did not start in time")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("handlers stopped with %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// Messages returns the stored messages whose subject matches filter, from the
// ACCOUNTS stream or, for dlq.> filters, from ACCOUNTS_DLQ.
func Messages(t testing.TB, conn *broker.Conn, filter string) []jetstream.Msg {
	t.Helper()
	stream := events.Stream
	if len(filter) >= 4 && filter[:4] == "dlq." {
		stream = events.DLQStream
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cons, err := conn.JS.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatalf("reading %s: %v", filter, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		t.Fatalf("reading %s: %v", filter, err)
	}
	n := int(info.NumPending)
	var out []jetstream.Msg
	for len(out) < n {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatalf("fetching %s: %v", filter, err)
		}
		got := 0
		for m := range batch.Messages() {
			out = append(out, m)
			got++
		}
		if got == 0 {
			break
		}
	}
	return out
}

// Count is len(Messages(...)).
func Count(t testing.TB, conn *broker.Conn, filter string) int {
	t.Helper()
	return len(Messages(t, conn, filter))
}
