package confirmation_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/confirmation"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
)

// BenchmarkConfirmations measures confirmation emails per second from
// routed events into an SMTP server (schema checks, the request's record
// and the email's ledger entry read, SMTP, acct.confirmation.sent), next to
// a go-mail send loop of the same messages, already rendered, with the
// handler's concurrency (64) to the same server in the same run: once
// against a server that answers at once (JetStream's round trips weigh as
// much as the email), once against one that takes 20 ms per message, like
// a real relay.
func BenchmarkConfirmations(b *testing.B) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run("smtp="+delay.String(), func(b *testing.B) { benchConfirmations(b, delay) })
	}
}

func benchConfirmations(b *testing.B, delay time.Duration) {
	conn := brokertest.Connect(b, brokertest.Server(b))
	srv := smtptest.Start(b)
	srv.SetDelay(delay)
	sender := mailtest.Sender(b, srv.Addr(), "p@meridian.example")
	n := max(b.N, 200)

	// Baseline: the same messages through go-mail (via mailer.Sender) from
	// as many goroutines as the handler has messages in flight, one
	// connection per message as the handler uses.
	h := &confirmation.Handler{Domain: "meridian.example", ReplyKey: key, Inbox: "acct-replies@meridian.example", Now: time.Now}
	msgs := make([]mailer.Message, n)
	for i := range n {
		var err error
		msgs[i], err = h.Compose(routed(fmt.Sprintf("REQ-P%06d", i), "US", "us", events.ReplyWorkflow, "", "Acme"))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	sendAll(b, sender, msgs, inFlight)
	plain := time.Since(start)

	b.StopTimer()
	for i := range n {
		if _, err := conn.JS.PublishAsync(events.SubjectRoutedPrefix+"us", mustMarshal(b, routed(fmt.Sprintf("REQ-B%06d", i), "US", "us", events.ReplyWorkflow, "", "Acme"))); err != nil {
			b.Fatal(err)
		}
	}
	<-conn.JS.PublishAsyncComplete()
	h.JS, h.Outbox, h.Requests, h.Logger = conn.JS, handlertest.Outbox(b, conn, sender), handlertest.Store(b, conn), brokertest.Logger(b)
	b.StartTimer()
	start = time.Now()
	brokertest.Run(b, conn, h.Broker())
	waitSent(b, conn.JS, n, time.Millisecond)
	handler := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(n)/plain.Seconds(), "gomail_mails/s")
	b.ReportMetric(float64(n)/handler.Seconds(), "handler_mails/s")
	b.ReportMetric(plain.Seconds()/handler.Seconds(), "handler/gomail")
}

func mustMarshal(b *testing.B, e events.Event) []byte {
	data, err := events.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// inFlight is the confirmation handler's concurrency (broker's default).
const inFlight = 64

// sendAll sends msgs from workers goroutines.
func sendAll(b *testing.B, sender *mailer.Sender, msgs []mailer.Message, workers int) {
	b.Helper()
	next := make(chan mailer.Message)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				if err := sender.Send(context.Background(), m); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, m := range msgs {
		next <- m
	}
	close(next)
	wg.Wait()
}

// BenchmarkConfirmationReplicas sends confirmations to an SMTP server that
// takes 50 ms per message, with one replica of the handler and then with
// two (each on its own connection, one consumer), in the same run. Each
// replica keeps 8 messages in flight, so the server's latency, not this
// machine's CPU, bounds a replica: two should deliver twice as many.
func BenchmarkConfirmationReplicas(b *testing.B) {
	const perReplica = 8
	n := 400
	if testing.Short() {
		n = 100
	}
	// One server and one SMTP server for the whole benchmark; each run
	// publishes its own requests and stops its replicas when they are sent,
	// so nothing of earlier iterations keeps running (with a server and
	// replicas per run left until the end, 200 iterations ran 600 servers
	// and the ratio sank to 1.68).
	s := brokertest.Server(b)
	srv := smtptest.Start(b)
	srv.SetDelay(50 * time.Millisecond)
	first := brokertest.Connect(b, s)
	runs, sent := 0, 0
	run := func(replicas int) float64 {
		runs++
		for i := range n {
			id := fmt.Sprintf("REQ-R%d-%06d", runs, i)
			if _, err := first.JS.PublishAsync(events.SubjectRoutedPrefix+"us", mustMarshal(b, routed(id, "US", "us", events.ReplyWorkflow, "", "Acme"))); err != nil {
				b.Fatal(err)
			}
		}
		<-first.JS.PublishAsyncComplete()
		start := time.Now()
		var stops []func()
		for r := range replicas {
			conn := first
			if r > 0 {
				conn = brokertest.Connect(b, s)
				defer conn.Close()
			}
			h := &confirmation.Handler{JS: conn.JS, Domain: "meridian.example", ReplyKey: key, Inbox: "acct-replies@meridian.example", Now: time.Now,
				Outbox: handlertest.Outbox(b, conn, mailtest.Sender(b, srv.Addr(), "p@meridian.example")), Requests: handlertest.Store(b, conn), Logger: brokertest.Logger(b)}
			bh := h.Broker()
			bh.InFlight = perReplica
			stops = append(stops, brokertest.Run(b, conn, bh))
		}
		sent += n
		waitSent(b, first.JS, sent, 5*time.Millisecond)
		rate := float64(n) / time.Since(start).Seconds()
		for _, stop := range stops {
			stop()
		}
		return rate
	}
	for b.Loop() {
		one := run(1)
		two := run(2)
		b.ReportMetric(one, "one_mails/s")
		b.ReportMetric(two, "two_mails/s")
		b.ReportMetric(two/one, "two/one")
	}
}

// waitSent polls every poll until n acct.confirmation.sent are stored.
func waitSent(b *testing.B, js jetstream.JetStream, n int, poll time.Duration) {
	b.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, events.Stream)
	if err != nil {
		b.Fatal(err)
	}
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(events.SubjectConfirmationSent))
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Subjects[events.SubjectConfirmationSent] >= uint64(n) {
			return
		}
		time.Sleep(poll)
	}
}
