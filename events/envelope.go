package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// CloudEvents 1.0 binary-mode headers (NATS protocol binding) and our own.
const (
	HeaderMsgID       = "Nats-Msg-Id"
	HeaderID          = "ce-id"
	HeaderSpecVersion = "ce-specversion"
	HeaderType        = "ce-type"
	HeaderSource      = "ce-source"
	HeaderTime        = "ce-time"
	HeaderSubject     = "ce-subject"
	HeaderTraceParent = "traceparent"
	HeaderCorrelation = "acctflow-correlation-id"
)

// Envelope is the metadata of one event message.
type Envelope struct {
	ID            string
	Type          string
	Source        string
	Time          string
	Subject       string // what the event is about: the request id
	TraceParent   string
	TraceState    string // W3C tracestate, beside TraceParent (see trace.go)
	CorrelationID string // the request id the whole flow is about
}

// TypeOf returns the CloudEvents type for a subject: acct.routed.emea is
// acct.routed.v1, like every other region.
func TypeOf(subject string) string {
	if strings.HasPrefix(subject, SubjectRoutedPrefix) {
		subject = strings.TrimSuffix(SubjectRoutedPrefix, ".")
	}
	return subject + ".v1"
}

// DerivedID is a deterministic message id for an event derived from others,
// so a redelivered input never yields a second distinct output.
func DerivedID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:16])
}

// Read recovers the envelope of a received message. Upstream systems may send
// no headers at all: the type then comes from the subject and the id from
// Nats-Msg-Id or the payload's hash.
func Read(subject string, h nats.Header, payload []byte) Envelope {
	env := Envelope{
		ID:            h.Get(HeaderID),
		Type:          h.Get(HeaderType),
		Source:        h.Get(HeaderSource),
		Time:          h.Get(HeaderTime),
		Subject:       h.Get(HeaderSubject),
		TraceParent:   h.Get(HeaderTraceParent),
		TraceState:    h.Get(HeaderTraceState),
		CorrelationID: h.Get(HeaderCorrelation),
	}
	if env.ID == "" {
		env.ID = h.Get(HeaderMsgID)
	}
	if env.ID == "" {
		sum := sha256.Sum256(payload)
		env.ID = hex.EncodeToString(sum[:16])
	}
	if env.Type == "" {
		env.Type = TypeOf(subject)
	}
	if env.CorrelationID == "" {
		env.CorrelationID = env.Subject
	}
	return env
}

// Header renders the envelope as NATS headers; Nats-Msg-Id equals ce-id so
// JetStream drops a second copy inside its duplicate window.
func (e Envelope) Header() nats.Header {
	h := nats.Header{}
	set := func(k, v string) {
		if v != "" {
			h.Set(k, v)
		}
	}
	set(HeaderMsgID, e.ID)
	set(HeaderID, e.ID)
	set(HeaderSpecVersion, "1.0")
	set(HeaderType, e.Type)
	set(HeaderSource, e.Source)
	set(HeaderTime, e.Time)
	set(HeaderSubject, e.Subject)
	set(HeaderTraceParent, e.TraceParent)
	set(HeaderTraceState, e.TraceState)
	set(HeaderCorrelation, e.CorrelationID)
	return h
}

// Publisher is the part of jetstream.JetStream that publishing needs.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Publish validates and publishes e with the deterministic id, waiting for the
// stream to store it. cause is the envelope of the event that led to e (zero
// for an original event); its correlation carries over, and so does its
// trace: e carries the traceparent of its publish span, a child of the span
// in ctx or else of cause's (see trace.go).
func Publish(ctx context.Context, js Publisher, e Event, id, source string, cause Envelope) (ack *jetstream.PubAck, err error) {
	ctx, span := startPublish(ctx, e, id, cause)
	defer func() { EndSpan(span, err) }()
	data, err := Marshal(e)
	if err != nil {
		return nil, err
	}
	env := Envelope{
		ID:            id,
		Type:          TypeOf(e.Subject()),
		Source:        source,
		Time:          Time(time.Now()),
		Subject:       e.Key(),
		CorrelationID: cause.CorrelationID,
	}
	env.TraceParent, env.TraceState = TraceHeaders(ctx)
	if env.CorrelationID == "" {
		env.CorrelationID = e.Key()
	}
	ack, err = js.PublishMsg(ctx, &nats.Msg{Subject: e.Subject(), Header: env.Header(), Data: data})
	if err != nil {
		return nil, fmt.Errorf("publishing %s for %s: %w", e.Subject(), e.Key(), err)
	}
	return ack, nil
}
