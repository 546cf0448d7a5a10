package brokertest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
)

// WaitCount waits until exactly n stored messages match filter (see
// Messages for which stream is read).
func WaitCount(t testing.TB, conn *broker.Conn, filter string, n int) {
	t.Helper()
	CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if got := Count(t, conn, filter); got != n {
			return fmt.Errorf("%s: %d messages, want %d", filter, got, n)
		}
		return nil
	})
}

// WaitIdle waits until the durable consumer on the ACCOUNTS stream has
// nothing pending and nothing unacked: what it was given is fully handled.
func WaitIdle(t testing.TB, conn *broker.Conn, consumer string) {
	t.Helper()
	CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		c, err := conn.JS.Consumer(context.Background(), events.Stream, consumer)
		if err != nil {
			return err
		}
		ci, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if ci.NumPending != 0 || ci.NumAckPending != 0 {
			return fmt.Errorf("%s busy: %d pending, %d unacked", consumer, ci.NumPending, ci.NumAckPending)
		}
		return nil
	})
}

// Publish publishes ev as upstream would, with msgID as its Nats-Msg-Id.
func Publish(t testing.TB, conn *broker.Conn, ev events.Event, msgID string) {
	t.Helper()
	if _, err := events.Publish(context.Background(), conn.JS, ev, msgID, "test", events.Envelope{}); err != nil {
		t.Fatalf("publishing %s: %v", ev.Subject(), err)
	}
}

// PublishRaw publishes data on subject unvalidated, as a foreign producer
// might; msgID "" sends no Nats-Msg-Id.
func PublishRaw(t testing.TB, conn *broker.Conn, subject string, data []byte, msgID string) {
	t.Helper()
	m := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
	if msgID != "" {
		m.Header.Set(events.HeaderMsgID, msgID)
	}
	if _, err := conn.JS.PublishMsg(context.Background(), m); err != nil {
		t.Fatalf("publishing on %s: %v", subject, err)
	}
}

// KV opens a bucket that Connect provisioned.
func KV(t testing.TB, conn *broker.Conn, bucket string) jetstream.KeyValue {
	t.Helper()
	kv, err := conn.JS.KeyValue(context.Background(), bucket)
	if err != nil {
		t.Fatalf("opening KV %s: %v", bucket, err)
	}
	return kv
}

// CrashOnce wraps h so that the first delivery it handles successfully
// (counted in calls, which replicas may share) does all its work and then
// fails before the ack, as a process killed at that moment would.
func CrashOnce(h broker.Handler, calls *atomic.Int32) broker.Handler {
	inner := h.Handle
	h.Handle = func(ctx context.Context, m broker.Msg) error {
		if err := inner(ctx, m); err != nil {
			return err
		}
		if calls.Add(1) == 1 {
			return errors.New("crashed before ack")
		}
		return nil
	}
	return h
}

// WaitCalls waits until calls reaches at least n, e.g. 2 for the crashed
// delivery and its redelivery.
func WaitCalls(t testing.TB, calls *atomic.Int32, n int32) {
	t.Helper()
	CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if got := calls.Load(); got < n {
			return fmt.Errorf("%d deliveries, want %d", got, n)
		}
		return nil
	})
}
