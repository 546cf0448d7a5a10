package confirmation_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/confirmation"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

// BenchmarkLatencyWithHistory measures a new request's latency from the
// publish of acct.requested to acct.confirmation.sent through the real
// routing, projection and confirmation handlers (embedded NATS, the email
// ledger, a local SMTP server), with no request in KV requests and with
// 100,000 finished ones (handlertest.LoadFinished). Requests are published
// one at a time, one every 20 ms; it reports their p50 and p99, and with the
// history the ratio of its p50 to the p50 without, measured in the same run
// (issue 13: a new request's latency is unchanged by the history; with
// -count, against the last finished=0 run, as every one of those runs first).
//
//	go test -run '^$' -bench LatencyWithHistory -benchtime 1x ./handlers/confirmation/
//
// Each iteration is 200 requests (about 4 s), after 10 unmeasured ones.
func BenchmarkLatencyWithHistory(b *testing.B) {
	var p50Empty float64 // the p50 of finished=0, for finished=100000's ratio
	for _, n := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("finished=%d", n), func(b *testing.B) {
			p50 := benchHistory(b, n)
			if n == 0 {
				p50Empty = p50
			} else if p50Empty > 0 {
				b.ReportMetric(p50/p50Empty, "p50/p50-finished=0")
			}
		})
	}
}

const (
	latencyRequests = 200
	latencyPace     = 20 * time.Millisecond
)

// benchHistory loads finished records, runs the handlers and returns the
// p50 in milliseconds.
func benchHistory(b *testing.B, finished int) float64 {
	conn := brokertest.Connect(b, brokertest.Server(b))
	handlertest.LoadFinished(b, conn, finished)
	store := handlertest.Store(b, conn)
	table, err := routing.LoadTable("")
	if err != nil {
		b.Fatal(err)
	}
	srv := smtptest.Start(b)
	rh := &routing.Handler{JS: conn.JS, Table: table, Requests: store, Logger: brokertest.Logger(b), Now: time.Now}
	ch := &confirmation.Handler{JS: conn.JS, Outbox: handlertest.Outbox(b, conn, mailtest.Sender(b, srv.Addr(), "p@meridian.example")), Requests: store,
		Domain: "meridian.example", ReplyKey: key, Inbox: "acct-replies@meridian.example", Logger: brokertest.Logger(b), Now: time.Now}
	brokertest.Run(b, conn, rh.Broker(), handlertest.Projection(b, store), ch.Broker())

	// Each acct.confirmation.sent reports its request's latency.
	var mu sync.Mutex
	sent := map[string]time.Time{}
	got := make(chan time.Duration, latencyRequests)
	sub, err := conn.NC.Subscribe(events.SubjectConfirmationSent, func(m *nats.Msg) {
		var ev events.ConfirmationSent
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			b.Error(err)
			return
		}
		mu.Lock()
		at, ok := sent[ev.RequestID]
		mu.Unlock()
		if ok {
			got <- time.Since(at)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()

	next := 0
	burst := func(n int) []time.Duration {
		tick := time.NewTicker(latencyPace)
		defer tick.Stop()
		for range n {
			<-tick.C
			id := fmt.Sprintf("REQ-L%07d", next)
			next++
			mu.Lock()
			sent[id] = time.Now()
			mu.Unlock()
			brokertest.Publish(b, conn, handlertest.Request(id), "bench-"+id)
		}
		lat := make([]time.Duration, 0, n)
		timeout := time.After(time.Minute)
		for range n {
			select {
			case d := <-got:
				lat = append(lat, d)
			case <-timeout:
				b.Fatalf("%d of %d confirmations after a minute", len(lat), n)
			}
		}
		return lat
	}

	burst(10) // warm up: consumers, SMTP, the KV caches
	var lat []time.Duration
	for b.Loop() {
		lat = append(lat, burst(latencyRequests)...)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	p50 := ms(lat[len(lat)/2])
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	return p50
}
