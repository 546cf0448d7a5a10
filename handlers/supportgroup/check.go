package supportgroup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// Requests reads projected records.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Check is the periodic job (--support-group-check, --support-group-grace).
type Check struct {
	Keys     jetstream.KeyValue // KV requests, to list the request ids
	Requests Requests
	JS       events.Publisher
	Grace    time.Duration // default 24h
	Every    time.Duration // default 1m
	Logger   *slog.Logger
	Now      func() time.Time
}

// Run checks every Every until ctx ends; a failed pass is logged and the
// next one tries again.
func (c *Check) Run(ctx context.Context) error {
	if c.Every <= 0 {
		c.Every = time.Minute
	}
	t := time.NewTicker(c.Every)
	defer t.Stop()
	for {
		if n, err := c.Tick(ctx); err != nil && ctx.Err() == nil {
			c.Logger.Warn("support group check failed", "err", err, "raised", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Tick makes one pass over every request and returns how many problems it
// raised. Every replica may run it: the deterministic ids make the stream
// keep one event per problem.
func (c *Check) Tick(ctx context.Context) (int, error) {
	grace := c.Grace
	if grace <= 0 {
		grace = 24 * time.Hour
	}
	l, err := c.Keys.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return 0, nil
		}
		return 0, fmt.Errorf("listing requests: %w", err)
	}
	defer func() { _ = l.Stop() }()
	var ids []string
	for k := range l.Keys() {
		ids = append(ids, k)
	}
	raised := 0
	var errs []error
	for _, id := range ids {
		rec, err := c.Requests.Get(ctx, id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e, msgID := Decide(rec, c.Now(), grace)
		if e == nil {
			continue
		}
		if _, err := events.Publish(ctx, c.JS, *e, msgID, "acctflow/supportgroup", events.Envelope{}); err != nil {
			errs = append(errs, err)
			continue
		}
		raised++
		c.Logger.Warn("support plan group missing", "request_id", id, "cause", e.Cause, "expected", e.ExpectedGroup)
	}
	return raised, errors.Join(errs...)
}
