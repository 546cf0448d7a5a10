package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	cfg := jetstream.ConsumerConfig{FilterSubjects: []string{events.SubjectReplyReceived}}
	if !near.IsZero() {
		start := near.Add(-24 * time.Hour)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	var object string
	err := events.Scan(ctx, x.JS, events.Stream, cfg, maxScan, func(m jetstream.Msg) bool {
		var rr events.ReplyReceived
		if json.Unmarshal(m.Data(), &rr) != nil {
			return true
		}
		if rr.ReplyID == ref || strings.Trim(rr.MessageID, "<>") == ref {
			object = rr.Object
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", events.SubjectReplyReceived, err)
	}
	if object != "" {
		return x.object(ctx, object)
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
