package routing_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/routing"
)

// BenchmarkRoutingStage compares the routing stage (watermill router on a
// bound pull consumer, schema validation both ways, projection lookup) with
// a hand-written nats.go jetstream stage doing the core of the same work
// (pull consume → decode and validate → decide → publish with Nats-Msg-Id →
// ack) with the same concurrency (64 messages in flight), on the same
// embedded server, with and without fsync on every write.
func BenchmarkRoutingStage(b *testing.B) {
	for _, sync := range []time.Duration{0, 2 * time.Minute} {
		name := "sync=always"
		if sync > 0 {
			name = "sync=" + sync.String()
		}
		b.Run(name, func(b *testing.B) { benchStages(b, sync) })
	}
}

func benchStages(b *testing.B, sync time.Duration) {
	conn := brokertest.Connect(b, brokertest.ServerSync(b, b.TempDir(), sync))
	ctx := context.Background()
	store := handlertest.Store(b, conn)
	table, _ := routing.LoadTable("")
	n := max(b.N, 200)
	pubs := make([]jetstream.PubAckFuture, 0, n)
	for i := range n {
		f, err := conn.JS.PublishMsgAsync(&nats.Msg{Subject: events.SubjectRequested, Data: requestJSON(fmt.Sprintf("REQ-B%07d", i), "US", true)})
		if err != nil {
			b.Fatal(err)
		}
		pubs = append(pubs, f)
	}
	for _, f := range pubs {
		<-f.Ok()
	}
	b.ResetTimer()

	// Hand-written stage, with the stage's concurrency: 64 messages in
	// flight, each handled by one of 64 workers. Outputs go to
	// acct.routed.hand so the two runs count separately.
	const inFlight = 64
	start := time.Now()
	cons, err := conn.JS.CreateOrUpdateConsumer(ctx, events.Stream, jetstream.ConsumerConfig{
		Durable: "hand", FilterSubject: events.SubjectRequested, AckPolicy: jetstream.AckExplicitPolicy, MaxAckPending: inFlight,
	})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	var count atomic.Int64
	work := make(chan jetstream.Msg)
	defer close(work)
	for range inFlight {
		go func() {
			for m := range work {
				req, err := events.ParseAccountRequested(m.Data(), events.IDFromHash(m.Data()), time.Now())
				if err != nil {
					b.Error(err)
					return
				}
				routed, _ := routing.Decide(req, table, time.Now())
				routed.Region = "hand"
				if _, err := events.Publish(ctx, conn.JS, *routed, "hand-"+req.RequestID, "bench", events.Envelope{}); err != nil {
					b.Error(err)
					return
				}
				_ = m.Ack()
				if count.Add(1) == int64(n) {
					close(done)
				}
			}
		}()
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { work <- m }, jetstream.PullMaxMessages(inFlight))
	if err != nil {
		b.Fatal(err)
	}
	<-done
	cc.Stop()
	hand := time.Since(start)

	start = time.Now()
	h := &routing.Handler{JS: conn.JS, Table: table, Requests: store, Logger: brokertest.Logger(b), Now: time.Now}
	stop := brokertest.Run(b, conn, h.Broker())
	stream, _ := conn.JS.Stream(ctx, events.Stream)
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter("acct.routed.us"))
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Subjects["acct.routed.us"] >= uint64(n) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	stage := time.Since(start)
	b.StopTimer()
	stop()
	b.ReportMetric(float64(n)/hand.Seconds(), "hand_msgs/s")
	b.ReportMetric(float64(n)/stage.Seconds(), "stage_msgs/s")
	b.ReportMetric(hand.Seconds()/stage.Seconds(), "stage/hand")
}

// BenchmarkRoutedLatency publishes requests at 500/s and reports the
// publish → acct.routed latency percentiles, with fsync on every write and
// with a 2-minute flush (which separates the disk from the processing).
func BenchmarkRoutedLatency(b *testing.B) {
	for _, sync := range []time.Duration{0, 2 * time.Minute} {
		name := "sync=always"
		if sync > 0 {
			name = "sync=" + sync.String()
		}
		b.Run(name, func(b *testing.B) { benchLatency(b, sync) })
	}
}

func benchLatency(b *testing.B, sync time.Duration) {
	conn := brokertest.Connect(b, brokertest.ServerSync(b, b.TempDir(), sync))
	table, _ := routing.LoadTable("")
	h := &routing.Handler{JS: conn.JS, Table: table, Requests: handlertest.Store(b, conn), Logger: brokertest.Logger(b), Now: time.Now}
	brokertest.Run(b, conn, h.Broker())

	n := max(b.N, 1000)
	sent := make([]time.Time, n)
	lat := make([]time.Duration, 0, n)
	got := make(chan time.Duration, n)
	sub, err := conn.NC.Subscribe("acct.routed.>", func(m *nats.Msg) {
		var i int
		_, _ = fmt.Sscanf(m.Header.Get(events.HeaderSubject), "REQ-L%07d", &i)
		got <- time.Since(sent[i])
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	b.ResetTimer()
	tick := time.NewTicker(2 * time.Millisecond) // 500 requests per second
	defer tick.Stop()
	for i := range n {
		<-tick.C
		sent[i] = time.Now()
		if _, err := conn.JS.PublishMsgAsync(&nats.Msg{Subject: events.SubjectRequested, Data: requestJSON(fmt.Sprintf("REQ-L%07d", i), "US", true)}); err != nil {
			b.Fatal(err)
		}
	}
	for range n {
		lat = append(lat, <-got)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[n/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[n*99/100].Microseconds())/1000, "p99_ms")
}
