package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// RawReplies finds a reply's raw text: the acct.reply.received event that
// announced it (searched from a day before the request's record mentions
// it, so the search stays short however long the stream) names its object
// in mail-raw.
type RawReplies struct {
	JS      jetstream.JetStream
	Objects jetstream.ObjectStore
}

// maxScan bounds the announcements one look-up reads.
const maxScan = 50000

func (x RawReplies) Raw(ctx context.Context, ref string, near time.Time) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.SubjectReplyReceived}}
	if !near.IsZero() {
		start := near.Add(-24 * time.Hour)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	cons, err := x.JS.OrderedConsumer(ctx, events.Stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", events.SubjectReplyReceived, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", events.SubjectReplyReceived, err)
	}
	left := min(int(info.NumPending), maxScan)
	for left > 0 {
		batch, err := cons.Fetch(min(left, 256), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", events.SubjectReplyReceived, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var rr events.ReplyReceived
			if json.Unmarshal(m.Data(), &rr) != nil {
				continue
			}
			if rr.ReplyID == ref || strings.Trim(rr.MessageID, "<>") == ref {
				return x.object(ctx, rr.Object)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("reading %s: %w", events.SubjectReplyReceived, err)
		}
		if got == 0 {
			break
		}
		left -= got
	}
	return nil, ErrNoText
}

func (x RawReplies) object(ctx context.Context, name string) ([]byte, error) {
	raw, err := x.Objects.GetBytes(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, ErrNoText
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s from mail-raw: %w", name, err)
	}
	return raw, nil
}
