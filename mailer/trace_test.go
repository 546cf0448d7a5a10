package mailer_test

import (
	"bytes"
	"context"
	"net/mail"
	"testing"

	"go.opentelemetry.io/otel/codes"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

func traceMessage(id string) mailer.Message {
	return mailer.Message{MessageID: id + "@acctflow.example", To: mailer.Address{Name: "Jane", Email: "jane@northwind.example"},
		Subject: "Hello [REQ-1]", Text: "Hello.\n"}
}

func headerOf(t *testing.T, raw []byte, name string) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.Header.Get(name)
}

// The SMTP session is a child span of its caller, and the email carries
// that span's traceparent; a refused email is an error on the span.
func TestEmailCarriesItsSMTPSpansTraceparent(t *testing.T) {
	rec := telemetrytest.Record(t)
	srv := smtptest.Start(t)
	s := mailtest.Sender(t, srv.Addr(), "provisioning@acctflow.example")
	ctx, parent := events.Tracer().Start(context.Background(), "effect confirmation")
	if err := s.Send(ctx, traceMessage("m1")); err != nil {
		t.Fatal(err)
	}
	srv.FailNext(1, 554)
	if err := s.Send(ctx, traceMessage("m2")); err == nil {
		t.Fatal("554 not reported")
	}
	parent.End()

	spans := rec.Named("smtp send")
	if len(spans) != 2 {
		t.Fatalf("%d smtp spans", len(spans))
	}
	parentStub, _ := rec.One("effect confirmation")
	ok, refused := spans[0], spans[1]
	if err := telemetrytest.ChildOf(ok, parentStub); err != nil {
		t.Fatal(err)
	}
	got := headerOf(t, srv.Messages()[0].Data, "Traceparent")
	if want := telemetrytest.Traceparent(ok.SpanContext); got != want {
		t.Fatalf("Traceparent: %q, want the SMTP span's %q", got, want)
	}
	if ok.Status.Code == codes.Error || !telemetrytest.HasAttrs(ok, "server.address="+srv.Host, "acctflow.email.recipient="+mailer.MaskAddress("jane@northwind.example")) {
		t.Fatalf("sent: status %v attributes %v", ok.Status, ok.Attributes)
	}
	if refused.Status.Code != codes.Error || len(refused.Events) == 0 {
		t.Fatalf("refused: status %v events %v", refused.Status, refused.Events)
	}
}

// With tracing off, an email sent outside any trace has no Traceparent.
func TestNoTraceparentWithoutATrace(t *testing.T) {
	telemetrytest.Off(t)
	srv := smtptest.Start(t)
	s := mailtest.Sender(t, srv.Addr(), "provisioning@acctflow.example")
	if err := s.Send(context.Background(), traceMessage("m3")); err != nil {
		t.Fatal(err)
	}
	if got := headerOf(t, srv.Messages()[0].Data, "Traceparent"); got != "" {
		t.Fatalf("Traceparent %q with tracing off", got)
	}
}
