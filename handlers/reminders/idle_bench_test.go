package reminders_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/handlers/alerts"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/reminders"
	"github.com/acctflow/acctflow/handlers/reminders/digest"
	"github.com/acctflow/acctflow/handlers/supportgroup"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

// BenchmarkIdleWithFinishedRequests measures what the timer-driven handlers
// (reminders, reminder-timers, digest, alerts, supportgroup,
// supportgroup-timers, with the projection) cost while nothing happens,
// with no request and with 100,000 finished requests in KV requests: CPU of
// the whole process (handlers and the embedded NATS server) and the
// JetStream API calls and messages the server sees, per idle second. For
// comparison it times one pass of the periodic support-group check this
// replaced (list every key, read every record), which ran every minute.
//
//	go test -run '^$' -bench IdleWithFinished -benchtime 10x ./handlers/reminders/
//
// Each iteration is one idle second.
func BenchmarkIdleWithFinishedRequests(b *testing.B) {
	for _, n := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("finished=%d", n), func(b *testing.B) { benchIdle(b, n) })
	}
}

func benchIdle(b *testing.B, finished int) {
	ctx := context.Background()
	srv := brokertest.Server(b)
	conn := brokertest.Connect(b, srv)
	kv := brokertest.KV(b, conn, broker.BucketRequests)
	handlertest.LoadFinished(b, conn, finished)
	store := lifecycle.NewStore(kv)

	var discard nothingSent
	rh := &reminders.Handler{JS: conn.JS, Requests: store, Outbox: discard, Config: reminders.Config{RemindAfter: reminders.DefaultRemindAfter,
		ExpireAfter: reminders.DefaultExpireAfter}, Domain: "acctflow.localhost", ReplyKey: replyKey, Inbox: "acct-replies@acctflow.localhost",
		Projection: broker.NewProgress(conn.JS, projection.Name), Logger: brokertest.Logger(b), Now: time.Now}
	timers := broker.Timers{JS: conn.JS}
	regions := []string{"apac", "ca", "emea", "latam", "us"}
	if err := digest.Ensure(ctx, timers, regions, digest.DefaultSchedule, digest.DefaultTimeZone); err != nil {
		b.Fatal(err)
	}
	dh := &digest.Handler{Index: lifecycle.NewIndex(brokertest.KV(b, conn, broker.BucketOpen)), Regions: map[string]digest.Region{},
		Timers: timers, Outbox: discard, Domain: "acctflow.localhost", Logger: brokertest.Logger(b), Now: time.Now}
	sg := &supportgroup.Handler{JS: conn.JS, Requests: store, Projection: broker.NewProgress(conn.JS, projection.Name), Logger: brokertest.Logger(b), Now: time.Now}
	ah := &alerts.Handler{Outbox: discard, OpsEmail: "cloud-ops@acctflow.localhost", Domain: "acctflow.localhost", Logger: brokertest.Logger(b)}
	brokertest.Run(b, conn, handlertest.Projection(b, store), rh.Planner(), rh.Timers(), dh.Broker(), ah.Broker(), sg.Scheduler(), sg.Checker())

	// Let start-up settle before measuring.
	time.Sleep(5 * time.Second)
	cpu0, v0, api0 := cpuTime(), varz(b, srv), apiCalls(b, srv)
	b.ResetTimer()
	for range b.N {
		time.Sleep(time.Second)
	}
	b.StopTimer()
	cpu1, v1, api1 := cpuTime(), varz(b, srv), apiCalls(b, srv)
	secs := float64(b.N)
	b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/secs, "cpu-ms/s")
	b.ReportMetric(100*float64(cpu1-cpu0)/float64(time.Second)/secs, "%core")
	b.ReportMetric(float64(api1-api0)/secs, "js-api/s")
	b.ReportMetric(float64(v1.InMsgs-v0.InMsgs)/secs, "in-msgs/s")

	if finished > 0 {
		// The pass the periodic support-group check made every minute.
		start, c0 := time.Now(), cpuTime()
		read := scanAll(b, kv, store)
		b.ReportMetric(time.Since(start).Seconds(), "old-scan-s/pass")
		b.ReportMetric(float64(cpuTime()-c0)/float64(time.Millisecond), "old-scan-cpu-ms/pass")
		if read != finished {
			b.Fatalf("scan read %d records", read)
		}
	}
}

// scanAll is what the periodic support-group check did each minute.
func scanAll(b *testing.B, kv jetstream.KeyValue, store *lifecycle.Store) int {
	ctx := context.Background()
	l, err := kv.ListKeys(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		rec, err := store.Get(ctx, k)
		if err != nil {
			b.Fatal(err)
		}
		supportgroup.Decide(rec, time.Now(), supportgroup.DefaultGrace)
	}
	return len(keys)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func varz(b *testing.B, s *server.Server) *server.Varz {
	v, err := s.Varz(nil)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

func apiCalls(b *testing.B, s *server.Server) uint64 {
	return varz(b, s).JetStream.Stats.API.Total
}

// nothingSent is an outbox for a benchmark in which nothing may be sent.
type nothingSent struct{}

func (nothingSent) Send(context.Context, string, string, mailer.Message) (bool, error) {
	return false, fmt.Errorf("nothing should be sent while idle")
}

func (nothingSent) SendMarked(context.Context, string, string, mailer.Message, effect.Mark) (bool, error) {
	return false, fmt.Errorf("nothing should be sent while idle")
}
