package mailer

import (
	"context"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// BenchmarkSend is one Send per op to the in-process go-smtp server. After
// the timed loop it runs the same number of plain go-mail sends and reports
// the ratio send/gomail: what Sender's validation, per-send client and
// context-bound connection cost over the library alone.
func BenchmarkSend(b *testing.B) {
	ts := startServer(b, serverOpts{discard: true})
	s := newTestSender(b, ts, nil)
	m := confirmationMessage(b, harborview(), testInbox)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := s.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	sent := time.Since(start)
	b.StopTimer()
	direct := goMailLoop(b, ts, m, b.N)
	b.ReportMetric(float64(sent)/float64(direct), "send/gomail")
}

// BenchmarkGoMailDirect is the baseline: a plain go-mail loop (a new Msg and
// DialAndSend per op) carrying the same headers and parts.
func BenchmarkGoMailDirect(b *testing.B) {
	ts := startServer(b, serverOpts{discard: true})
	m := confirmationMessage(b, harborview(), testInbox)
	b.ReportAllocs()
	b.ResetTimer()
	goMailLoop(b, ts, m, b.N)
}

func goMailLoop(b *testing.B, ts *testServer, m Message, n int) time.Duration {
	client, err := gomail.NewClient(ts.Host, gomail.WithPort(ts.Port), gomail.WithTLSPolicy(gomail.NoTLS),
		gomail.WithTimeout(10*time.Second), gomail.WithHELO("test.example"))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	for range n {
		msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
		if err := msg.From(testFrom); err != nil {
			b.Fatal(err)
		}
		if err := msg.AddToFormat(m.To.Name, m.To.Email); err != nil {
			b.Fatal(err)
		}
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			b.Fatal(err)
		}
		msg.Subject(m.Subject)
		msg.SetMessageIDWithValue(m.MessageID)
		msg.SetDate()
		msg.SetGenHeader(headerAutoSubmitted, "auto-generated")
		msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
		if err := client.DialAndSendWithContext(ctx, msg); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// BenchmarkRenderConfirmation is the template cost a handler pays per mail.
func BenchmarkRenderConfirmation(b *testing.B) {
	d := harborview()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := Render(d); err != nil {
			b.Fatal(err)
		}
	}
}
