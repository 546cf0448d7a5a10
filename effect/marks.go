package effect

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// Marks finds the event that records an effect.
type Marks interface {
	// Find reports whether an event with Nats-Msg-Id msgID was stored
	// on subject at or after since (the server's time of the claim).
	Find(ctx context.Context, subject, msgID string, since time.Time) (bool, error)
}

// markSkew covers clock differences between the servers that stamped the
// claim and the event (in a cluster, different stream leaders).
const markSkew = time.Minute

// StreamMarks looks for marks in a stream (events.Stream) by reading the
// headers of the subject's messages stored since the claim: only done for
// a claim whose worker died, so the cost is rare and bounded by the events
// of that subject since then.
type StreamMarks struct {
	JS     jetstream.JetStream
	Stream string
}

func (s StreamMarks) Find(ctx context.Context, subject, msgID string, since time.Time) (bool, error) {
	start := since.Add(-markSkew)
	found := false
	err := events.Scan(ctx, s.JS, s.Stream, jetstream.ConsumerConfig{
		FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime: &start, HeadersOnly: true,
	}, 0, func(m jetstream.Msg) bool {
		found = m.Headers().Get(events.HeaderMsgID) == msgID
		return !found
	})
	if err != nil {
		return false, fmt.Errorf("looking for event %s on %s: %w", msgID, subject, err)
	}
	return found, nil
}
