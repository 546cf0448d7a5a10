package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/telemetry"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// noOTLPEnv makes sure no OTLP endpoint reaches serve from the environment
// the tests run in.
func noOTLPEnv(t *testing.T) {
	t.Helper()
	t.Setenv(telemetry.EnvEndpoint, "")
	t.Setenv(telemetry.EnvTracesEndpoint, "")
}

// rawMail returns the sandbox's copy of the email to address whose subject
// contains want.
func rawMail(t *testing.T, dataDir, address, want string) (*netmail.Message, []byte) {
	t.Helper()
	var msg *netmail.Message
	var raw []byte
	brokertest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		files, _ := filepath.Glob(filepath.Join(dataDir, "mail", "*", "*", "*.eml"))
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				continue
			}
			m, err := netmail.ReadMessage(bytes.NewReader(data))
			if err != nil {
				continue
			}
			to, _ := m.Header.AddressList("To")
			if len(to) == 1 && strings.EqualFold(to[0].Address, address) && strings.Contains(m.Header.Get("Subject"), want) {
				msg, raw = m, data
				return nil
			}
		}
		return fmt.Errorf("no email to %s with %q yet", address, want)
	})
	return msg, raw
}

func postRequest(t *testing.T, inst instance, fixtureName string) {
	t.Helper()
	resp, err := http.Post(inst.httpURL+"/v1/requests", "application/json", bytes.NewReader(fixture(t, fixtureName)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /v1/requests: %d %s", resp.StatusCode, body)
	}
}

// One request's trace, through real handlers on serve's embedded NATS, the
// sandbox's SMTP and IMAP: the request published over HTTP, routing, the
// confirmation and its SMTP session (whose traceparent the email carries);
// then the contact's reply, whose trace starts at the inbox and is linked
// to the confirmation's, the replies step and the details it publishes.
// Every step is a child of the publish that brought its message, across
// each NATS hop.
func TestTraceOfARequestFromPublishToDetails(t *testing.T) {
	noOTLPEnv(t)
	rec := telemetrytest.Record(t)
	dataDir, smtpAddr := t.TempDir(), freeAddr(t)
	inst := startServe(t, dataDir, "--handlers", "routing,projection,confirmation,replies",
		"--dev-smtp", smtpAddr, "--dev-imap", freeAddr(t), "--imap-poll", "200ms")
	const id, contact = "REQ-1001", "dana.whitfield@fabrikam.example"
	postRequest(t, inst, "account-requested-us.json")
	waitStage(t, inst.natsURL, id, lifecycle.StageAwaitingDetails)
	conf, _ := rawMail(t, dataDir, contact, "["+id+"]")
	replyTo, _ := netmail.ParseAddress(conf.Header.Get("Reply-To"))
	reply := fmt.Sprintf("From: Dana Whitfield <%s>\r\nTo: %s\r\nSubject: Re: %s\r\nIn-Reply-To: %s\r\nMessage-ID: <r1@fabrikam.example>\r\n\r\n"+
		"Root email: aws-root-harborview@fabrikam.example\r\nAccount nickname: Harborview Dental - Production\r\nSupport type: Business Support\r\n",
		contact, replyTo.Address, conf.Header.Get("Subject"), conf.Header.Get("Message-Id"))
	if err := smtp.SendMail(smtpAddr, nil, contact, []string{replyTo.Address}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, id, lifecycle.StageDetailsReceived)

	// Spans end (and are recorded) as their steps return: wait for the last.
	var (
		one  func(name string, attrs ...string) tracetest.SpanStub
		fail error
	)
	one = func(name string, attrs ...string) tracetest.SpanStub {
		s, err := rec.One(name, attrs...)
		if err != nil && fail == nil {
			fail = err
		}
		return s
	}
	var detailsProjected tracetest.SpanStub
	brokertest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		fail = nil
		detailsProjected = one("handle projection", "messaging.destination.name="+events.SubjectDetailsSubmitted)
		one("handle replies", "messaging.destination.name="+events.SubjectReplyReceived)
		return fail
	})
	chain := func(pairs ...tracetest.SpanStub) {
		t.Helper()
		for i := 0; i+1 < len(pairs); i++ {
			if err := telemetrytest.ChildOf(pairs[i+1], pairs[i]); err != nil {
				t.Error(err)
			}
		}
	}
	req := "acctflow.request_id=" + id

	// The request's own trace.
	published := one("publish acct.requested", req)
	routing := one("handle routing", req, "acctflow.handler=routing", "messaging.destination.name=acct.requested")
	routed := one("publish acct.routed.us", req)
	confirmation := one("handle confirmation", req, "acctflow.handler=confirmation")
	eff := one("effect confirmation")
	send := one("smtp send")
	sent := one("publish acct.confirmation.sent", req)
	if fail != nil {
		t.Fatal(fail)
	}
	if published.Parent.IsValid() {
		t.Fatalf("the request's publish has parent %v: want the root of its trace", published.Parent)
	}
	chain(published, routing, routed, confirmation, eff, send)
	chain(eff, sent)
	if got, want := conf.Header.Get("Traceparent"), telemetrytest.Traceparent(send.SpanContext); got != want {
		t.Fatalf("confirmation email Traceparent %q, want the SMTP span's %q", got, want)
	}

	// The reply's trace: a new one, linked to the confirmation's.
	inbox := one("inbox receive")
	received := one("publish " + events.SubjectReplyReceived)
	replies := one("handle replies", "messaging.destination.name="+events.SubjectReplyReceived, req)
	details := one("publish "+events.SubjectDetailsSubmitted, req)
	if fail != nil {
		t.Fatal(fail)
	}
	if inbox.Parent.IsValid() || inbox.SpanContext.TraceID() == published.SpanContext.TraceID() {
		t.Fatalf("the reply's trace does not start at the inbox: parent %v", inbox.Parent)
	}
	chain(inbox, received, replies, details, detailsProjected)
	if len(replies.Links) != 1 {
		t.Fatalf("replies step links %v, want one to the confirmation's trace", replies.Links)
	}
	link := replies.Links[0].SpanContext
	if link.TraceID() != send.SpanContext.TraceID() || link.SpanID() != sent.SpanContext.SpanID() {
		t.Fatalf("link to %s/%s, want the confirmation's record %s/%s (the email's trace)", link.TraceID(), link.SpanID(), sent.SpanContext.TraceID(), sent.SpanContext.SpanID())
	}
}

// otlpReceiver is an OTLP/HTTP trace endpoint: it decodes each export
// request's protobuf.
type otlpReceiver struct {
	mu       sync.Mutex
	requests []*collectortrace.ExportTraceServiceRequest
	errs     []string
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var ex collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &ex)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s %s %s: %v", req.Method, req.URL.Path, req.Header.Get("Content-Type"), err))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.requests = append(r.requests, &ex)
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	_, _ = w.Write(out)
}

// spans returns every exported span with its resource's service.name.
func (r *otlpReceiver) spans() (map[string]*tracepb.Span, map[string]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	service := map[string]string{}
	for _, ex := range r.requests {
		for _, rs := range ex.ResourceSpans {
			name := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					name = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					key := s.Name
					for _, kv := range s.Attributes {
						if kv.Key == "messaging.destination.name" {
							key += " " + kv.GetValue().GetStringValue()
						}
					}
					byName[key] = s
					service[key] = name
				}
			}
		}
	}
	return byName, service, r.errs
}

// serve with OTEL_EXPORTER_OTLP_ENDPOINT set exports its spans over
// OTLP/HTTP (protobuf) under OTEL_SERVICE_NAME, and flushes them when it
// stops.
func TestServeExportsTracesOverOTLP(t *testing.T) {
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	t.Setenv(telemetry.EnvEndpoint, srv.URL)
	t.Setenv(telemetry.EnvTracesEndpoint, "")
	t.Setenv("OTEL_SERVICE_NAME", "acctflow-test")
	t.Setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection")
	postRequest(t, inst, "account-requested-us.json")
	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageRouted)
	if err := inst.stop(); err != nil { // flushes the batch
		t.Fatal(err)
	}
	spans, service, errs := recv.spans()
	if len(errs) > 0 {
		t.Fatalf("malformed export requests: %v", errs)
	}
	pub, routing := spans["publish acct.requested acct.requested"], spans["handle routing acct.requested"]
	if pub == nil || routing == nil {
		var names []string
		for n := range spans {
			names = append(names, n)
		}
		t.Fatalf("exported spans %v: no publish and routing of the request", names)
	}
	if service["handle routing acct.requested"] != "acctflow-test" {
		t.Fatalf("service.name %q, want OTEL_SERVICE_NAME's", service["handle routing acct.requested"])
	}
	if !bytes.Equal(routing.TraceId, pub.TraceId) || !bytes.Equal(routing.ParentSpanId, pub.SpanId) {
		t.Fatalf("routing step is not a child of the publish: trace %x/%x parent %x, publish span %x", routing.TraceId, pub.TraceId, routing.ParentSpanId, pub.SpanId)
	}
	if routing.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
		t.Fatalf("routing step kind %v", routing.Kind)
	}
}

// Without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported: nobody connects
// to the exporter's default address (localhost:4318), and no trace is
// invented: the events serve publishes for a request that came without a
// traceparent carry none.
func TestServeWithoutEndpointExportsNothing(t *testing.T) {
	noOTLPEnv(t)
	t.Setenv("OTEL_SERVICE_NAME", "acctflow-test") // the rest of the environment does not turn traces on
	var connections atomic.Int32
	if ln, err := net.Listen("tcp", "127.0.0.1:4318"); err == nil {
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				connections.Add(1)
				c.Close()
			}
		}()
	} else {
		t.Logf("default OTLP port busy (%v): checking the events only", err)
	}
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection")
	postRequest(t, inst, "account-requested-us.json")
	waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageRouted)
	nc, err := nats.Connect(inst.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	conn := &broker.Conn{NC: nc, JS: js}
	for _, subject := range []string{events.SubjectRequested, events.SubjectRoutedPrefix + "us"} {
		msgs := brokertest.Messages(t, conn, subject)
		if len(msgs) != 1 {
			t.Fatalf("%d messages on %s", len(msgs), subject)
		}
		if tp := msgs[0].Headers().Get(events.HeaderTraceParent); tp != "" {
			t.Fatalf("%s carries traceparent %q with traces off", subject, tp)
		}
	}
	if err := inst.stop(); err != nil {
		t.Fatal(err)
	}
	if n := connections.Load(); n != 0 {
		t.Fatalf("%d connections to the default OTLP endpoint without OTEL_EXPORTER_OTLP_ENDPOINT", n)
	}
}
