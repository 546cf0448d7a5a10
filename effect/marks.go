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
	cons, err := s.JS.OrderedConsumer(ctx, s.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime: &start, HeadersOnly: true,
	})
	if err != nil {
		return false, fmt.Errorf("looking for event %s on %s: %w", msgID, subject, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("looking for event %s on %s: %w", msgID, subject, err)
	}
	left := int(info.NumPending)
	for left > 0 {
		batch, err := cons.Fetch(min(left, 256), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return false, fmt.Errorf("looking for event %s on %s: %w", msgID, subject, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			if m.Headers().Get(events.HeaderMsgID) == msgID {
				return true, nil
			}
		}
		if err := batch.Error(); err != nil {
			return false, fmt.Errorf("looking for event %s on %s: %w", msgID, subject, err)
		}
		if got == 0 {
			break
		}
		left -= got
	}
	return false, nil
}
