package console

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
)

// StreamDeadLetters reads ACCOUNTS_DLQ itself (headers only). It cannot
// replay: that is `acctflow dlq replay`'s operation, which the console uses
// where the build has it.
type StreamDeadLetters struct{ JS jetstream.JetStream }

func (d StreamDeadLetters) List(ctx context.Context) ([]DeadLetter, error) {
	cons, err := d.JS.OrderedConsumer(ctx, events.DLQStream, jetstream.OrderedConsumerConfig{HeadersOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", events.DLQStream, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", events.DLQStream, err)
	}
	want := int(info.NumPending)
	out := make([]DeadLetter, 0, want)
	for len(out) < want {
		batch, err := cons.Fetch(min(want-len(out), 256), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", events.DLQStream, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			out = append(out, deadLetter(md.Sequence.Stream, m.Subject(), m.Headers(), md.Timestamp))
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, fmt.Errorf("reading %s: %w", events.DLQStream, err)
		}
		if got == 0 {
			break
		}
	}
	return out, nil
}

func (StreamDeadLetters) Replay(context.Context, uint64) (string, error) {
	return "", ErrReplayUnavailable
}

func deadLetter(seq uint64, subject string, h nats.Header, at time.Time) DeadLetter {
	dl := DeadLetter{
		Seq: seq, Subject: strings.TrimPrefix(subject, "dlq."), Handler: h.Get(broker.HeaderHandler),
		Error: h.Get(broker.HeaderError), RequestID: h.Get(events.HeaderSubject), EventID: h.Get(events.HeaderID), DeadAt: at.UTC(),
	}
	dl.Deliveries, _ = strconv.ParseUint(h.Get(broker.HeaderDeliveries), 10, 64)
	return dl
}
