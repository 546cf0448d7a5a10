// Package telemetrytest records the spans a test makes: Record installs an
// SDK tracer provider with an in-memory exporter (sdk tracetest) as otel's
// global one until the test ends. The provider is global: tests that record
// must not run in parallel with each other, and should pick their spans by
// trace or attribute, not count everything.
package telemetrytest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Recorder holds the spans ended since Record.
type Recorder struct {
	exp *tracetest.InMemoryExporter
}

// Record makes every span started from now on recorded (synchronously, as
// each ends), until the test ends; then tracing is off again.
func Record(t testing.TB) *Recorder {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		_ = tp.Shutdown(context.Background())
	})
	return &Recorder{exp: exp}
}

// Off makes tracing off (otel's no-op provider) until the test ends, as it
// is in a process where nothing installed a provider.
func Off(t testing.TB) {
	t.Helper()
	otel.SetTracerProvider(noop.NewTracerProvider())
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
}

// Spans returns the spans ended so far.
func (r *Recorder) Spans() tracetest.SpanStubs { return r.exp.GetSpans() }

// Named returns the ended spans called name, oldest first.
func (r *Recorder) Named(name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range r.exp.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// Find returns the ended spans called name that have every attribute of
// attrs ("key=value"), oldest first.
func (r *Recorder) Find(name string, attrs ...string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range r.Named(name) {
		if HasAttrs(s, attrs...) {
			out = append(out, s)
		}
	}
	return out
}

// One returns the one ended span called name with attrs, or an error that
// lists what there is.
func (r *Recorder) One(name string, attrs ...string) (tracetest.SpanStub, error) {
	got := r.Find(name, attrs...)
	if len(got) == 1 {
		return got[0], nil
	}
	var names []string
	for _, s := range r.exp.GetSpans() {
		names = append(names, s.Name)
	}
	return tracetest.SpanStub{}, fmt.Errorf("%d spans %q with %v (spans: %s)", len(got), name, attrs, strings.Join(names, ", "))
}

// Attr is the value of the attribute key of s, "" when it has none.
func Attr(s tracetest.SpanStub, key string) string {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// HasAttrs reports whether s has every "key=value" of attrs.
func HasAttrs(s tracetest.SpanStub, attrs ...string) bool {
	for _, a := range attrs {
		k, v, _ := strings.Cut(a, "=")
		if !hasAttr(s.Attributes, attribute.Key(k), v) {
			return false
		}
	}
	return true
}

func hasAttr(kvs []attribute.KeyValue, k attribute.Key, v string) bool {
	for _, kv := range kvs {
		if kv.Key == k && kv.Value.Emit() == v {
			return true
		}
	}
	return false
}

// ChildOf reports why child is not a child of parent (same trace, parent's
// span id as its parent), or nil.
func ChildOf(child, parent tracetest.SpanStub) error {
	if child.SpanContext.TraceID() != parent.SpanContext.TraceID() {
		return fmt.Errorf("%q is in trace %s, %q in %s", child.Name, child.SpanContext.TraceID(), parent.Name, parent.SpanContext.TraceID())
	}
	if child.Parent.SpanID() != parent.SpanContext.SpanID() {
		return fmt.Errorf("%q has parent %s, not %q (%s)", child.Name, child.Parent.SpanID(), parent.Name, parent.SpanContext.SpanID())
	}
	return nil
}

// Traceparent is the W3C traceparent of a span context, as it travels.
func Traceparent(sc trace.SpanContext) string {
	return fmt.Sprintf("00-%s-%s-%s", sc.TraceID(), sc.SpanID(), sc.TraceFlags())
}
