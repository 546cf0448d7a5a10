package replies

import (
	"context"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// StoredEvents reads an event back from the ACCOUNTS stream by sequence
// (a jetstream.Stream): the replies handler reads the traceparent of the
// event that records the email a reply answers.
type StoredEvents interface {
	GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error)
}

// StreamEvents is StoredEvents over a stream of js, looked up on first use
// (only a traced reply ever asks).
type StreamEvents struct {
	JS     jetstream.JetStream
	Stream string

	mu     sync.Mutex
	stream jetstream.Stream
}

func (s *StreamEvents) GetMsg(ctx context.Context, seq uint64, opts ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	s.mu.Lock()
	st := s.stream
	s.mu.Unlock()
	if st == nil {
		var err error
		if st, err = s.JS.Stream(ctx, s.Stream); err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.stream = st
		s.mu.Unlock()
	}
	return st.GetMsg(ctx, seq, opts...)
}

// emailEvents names, by the kind in our Message-IDs, the event that tells
// which trace sent that email: the event it published together with the
// email (confirmation.sent and reminder.sent are the emails' own records)
// or, for the follow-up, the event it was sent for. A request may hold several of one
// kind (clarifications, held replies): the latest is taken.
var emailEvents = []struct{ prefix, event string }{
	{"confirmation", "confirmation-sent"},
	{"followup", "account-created"},
	{"clarification.creation.", "account-creation-failed"},
	{"clarification.", "details-incomplete"},
	{"held.", "reply-held"},
	{"role_rejected.", "role-rejected"},
	{"reminder.", "reminder-sent"},
}

// traceReply names the request on the step's span and, when the reply
// quotes one of our Message-IDs with a verified token, links the span to
// the trace of that email. A reply starts its own trace at the inbox (a
// person answering days later continues nothing of ours); the link is what
// joins the two, and only proven Message-IDs make it, so a stranger cannot
// tie his mail to a request's trace. Never an error: a link that cannot be
// made is left out.
func (h *Handler) traceReply(ctx context.Context, rec lifecycle.Record, mt matched) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(events.AttrRequestID.String(rec.RequestID), attribute.String("acctflow.reply.matched_by", mt.By))
	if h.Events == nil {
		return
	}
	for _, kind := range mt.Confirms {
		event := ""
		for _, e := range emailEvents {
			if kind == e.prefix || strings.HasSuffix(e.prefix, ".") && strings.HasPrefix(kind, e.prefix) {
				event = e.event
				break
			}
		}
		if event == "" {
			continue
		}
		var seq uint64
		for _, e := range rec.History {
			if e.Event == event {
				seq = e.Seq
			}
		}
		if seq == 0 {
			return
		}
		msg, err := h.Events.GetMsg(ctx, seq)
		if err != nil {
			h.Logger.Debug("reading the trace of the email a reply answers", "request_id", rec.RequestID, "seq", seq, "err", err)
			return
		}
		sc := events.SpanContextOf(msg.Header.Get(events.HeaderTraceParent), msg.Header.Get(events.HeaderTraceState))
		if !sc.IsValid() {
			return
		}
		span.AddLink(trace.Link{SpanContext: sc, Attributes: []attribute.KeyValue{
			attribute.String("acctflow.link", "answers email"),
			attribute.String("acctflow.email.kind", kind),
			attribute.String("acctflow.link.event", event),
			attribute.Int64("messaging.nats.stream_sequence", int64(seq)),
		}})
		return
	}
}
