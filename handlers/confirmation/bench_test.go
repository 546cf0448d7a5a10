package confirmation_test

import (
	"context"
	"fmt"
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
// routed events into a local SMTP server (schema checks, KV claim, SMTP,
// KV mark, acct.confirmation.sent), next to a plain go-mail send loop to the
// same server in the same run.
func BenchmarkConfirmations(b *testing.B) {
	conn := brokertest.Connect(b, brokertest.Server(b))
	srv := smtptest.Start(b)
	sender := mailtest.Sender(b, srv.Addr(), "p@meridian.example")
	ctx := context.Background()
	n := max(b.N, 200)

	// Baseline: the same messages through go-mail (via mailer.Sender) in a
	// plain loop, one connection per message as the handler uses.
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
	for _, m := range msgs {
		if err := sender.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	plain := time.Since(start)

	b.StopTimer()
	for i := range n {
		if _, err := conn.JS.PublishAsync(events.SubjectRoutedPrefix+"us", mustMarshal(b, routed(fmt.Sprintf("REQ-B%06d", i), "US", "us", events.ReplyWorkflow, "", "Acme"))); err != nil {
			b.Fatal(err)
		}
	}
	<-conn.JS.PublishAsyncComplete()
	h.JS, h.Outbox, h.Logger = conn.JS, handlertest.Outbox(b, conn, sender), brokertest.Logger(b)
	b.StartTimer()
	start = time.Now()
	brokertest.Run(b, conn, h.Broker())
	stream, _ := conn.JS.Stream(ctx, events.Stream)
	for {
		info, err := stream.Info(ctx, jetstream.WithSubjectFilter(events.SubjectConfirmationSent))
		if err != nil {
			b.Fatal(err)
		}
		if info.State.Subjects[events.SubjectConfirmationSent] >= uint64(n) {
			break
		}
		time.Sleep(time.Millisecond)
	}
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
