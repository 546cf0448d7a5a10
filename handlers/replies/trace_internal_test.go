package replies

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/telemetry/telemetrytest"
)

// stored serves events by sequence, each with a traceparent of its own.
type stored map[uint64]string

func (s stored) GetMsg(_ context.Context, seq uint64, _ ...jetstream.GetMsgOpt) (*jetstream.RawStreamMsg, error) {
	tp, ok := s[seq]
	if !ok {
		return nil, errors.New("no message")
	}
	h := nats.Header{}
	h.Set(events.HeaderTraceParent, tp)
	return &jetstream.RawStreamMsg{Sequence: seq, Header: h}, nil
}

func tp(n byte) string {
	return "00-4bf92f3577b34da6a3ce929d0e0e47" + string("0123456789"[n]) + "6-00f067aa0ba902b" + string("0123456789"[n]) + "-01"
}

// Which email a reply answers decides which trace its step links to: the
// event that records (or caused) that email, the latest of its kind; a
// reply that proves no Message-ID of ours links to nothing.
func TestReplyLinksToTheTraceOfTheEmailItAnswers(t *testing.T) {
	rec := telemetrytest.Record(t)
	h := &Handler{Logger: slog.New(slog.DiscardHandler), Events: stored{1: tp(1), 2: tp(2), 3: tp(3), 4: tp(4), 5: tp(5), 6: tp(6), 7: tp(7)}}
	r := lifecycle.Record{RequestID: "REQ-1", History: []lifecycle.Entry{
		{Seq: 1, Event: "confirmation-sent"},
		{Seq: 2, Event: "details-incomplete"},
		{Seq: 3, Event: "details-incomplete"},
		{Seq: 4, Event: "account-created"},
		{Seq: 5, Event: "account-creation-failed"},
		{Seq: 6, Event: "reminder-sent"},
		{Seq: 7, Event: "role-rejected"},
	}}
	for _, c := range []struct {
		name string
		mt   matched
		want string // traceparent linked to, "" for none
	}{
		{"confirmation", matched{By: events.MatchedThread, Confirms: []string{"confirmation"}}, tp(1)},
		{"latest clarification", matched{By: events.MatchedThread, Confirms: []string{"clarification.0123456789abcdef"}}, tp(3)},
		{"clarification after AWS refused", matched{By: events.MatchedToken, Confirms: []string{"clarification.creation.car-1"}}, tp(5)},
		{"follow-up", matched{By: events.MatchedThread, Confirms: []string{"followup"}}, tp(4)},
		{"reminder", matched{By: events.MatchedThread, Confirms: []string{"reminder.2"}}, tp(6)},
		{"role rejected", matched{By: events.MatchedThread, Confirms: []string{"role_rejected.0123456789ab"}}, tp(7)},
		{"nearest known kind first", matched{By: events.MatchedThread, Confirms: []string{"ops_alert", "followup", "confirmation"}}, tp(4)},
		{"held reply: no event yet", matched{By: events.MatchedThread, Confirms: []string{"held.abc"}}, ""},
		{"token only, no Message-ID", matched{By: events.MatchedToken}, ""},
		{"subject tag only", matched{By: events.MatchedSubject}, ""},
	} {
		ctx, span := events.Tracer().Start(context.Background(), c.name)
		h.traceReply(ctx, r, c.mt)
		span.End()
		s, err := rec.One(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if !telemetrytest.HasAttrs(s, "acctflow.request_id=REQ-1") {
			t.Errorf("%s: no request id on the span: %v", c.name, s.Attributes)
		}
		switch {
		case c.want == "" && len(s.Links) != 0:
			t.Errorf("%s: linked to %v", c.name, s.Links)
		case c.want != "" && (len(s.Links) != 1 || telemetrytest.Traceparent(s.Links[0].SpanContext) != c.want):
			t.Errorf("%s: links %v, want %s", c.name, s.Links, c.want)
		}
	}
}
