package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// scanInactive is how long the server keeps a scan's consumer after its last
// fetch: a scan whose process died leaves nothing behind for longer.
const scanInactive = 10 * time.Second

// Scanner is the part of jetstream.JetStream that Scan needs.
type Scanner interface {
	CreateConsumer(ctx context.Context, stream string, cfg jetstream.ConsumerConfig) (jetstream.Consumer, error)
	DeleteConsumer(ctx context.Context, stream, consumer string) error
}

// Scan reads the messages of stream that cfg selects (its filter, deliver
// policy and start, headers only), as stored when it starts (at most limit
// of them; 0: all), and calls fn on each until fn returns false. It reads
// through an ephemeral consumer of its own, in memory and without acks,
// which it deletes when done; should this process die first, the server
// drops it after a few seconds. One-off look-ups (a dead letter, an
// effect's mark, a raw reply) use it rather than leaving consumers behind.
func Scan(ctx context.Context, js Scanner, stream string, cfg jetstream.ConsumerConfig, limit int, fn func(jetstream.Msg) bool) (err error) {
	cfg.Durable, cfg.Name = "", ""
	cfg.AckPolicy, cfg.MemoryStorage, cfg.Replicas = jetstream.AckNonePolicy, true, 1
	cfg.InactiveThreshold = scanInactive
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	cons, err := js.CreateConsumer(cctx, stream, cfg)
	cancel()
	if err != nil {
		return fmt.Errorf("reading %s: %w", stream, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		// Best effort: the inactivity threshold removes it otherwise.
		_ = js.DeleteConsumer(dctx, stream, cons.CachedInfo().Name)
	}()
	left := int(cons.CachedInfo().NumPending)
	if limit > 0 {
		left = min(left, limit)
	}
	for left > 0 {
		batch, err := cons.Fetch(min(left, 256), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("reading %s: %w", stream, err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			if !fn(m) {
				for range batch.Messages() { // let the fetch finish
				}
				return nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("reading %s: %w", stream, err)
		}
		if got == 0 {
			break // deleted meanwhile
		}
		left -= got
	}
	return nil
}
