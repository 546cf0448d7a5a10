package broker

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BucketDeliveryFailures counts the failed deliveries of each message per
// handler (key "<handler>.<stream seq>"), and the deliveries a stopping
// replica gave back before its handler saw them ("<handler>.released.<stream
// seq>", so that the next delivery counts as the first attempt: Msg.Attempt).
//
// Why a bucket: JetStream's own NumDelivered counts every delivery, deferrals
// included (a lease held elsewhere, an open circuit), and deferrals must never
// lead to a dead letter. A count kept in process memory would forget on a
// restart and, with N replicas sharing a consumer, allow N times the budget.
// A KV entry is shared by every replica and survives restarts; it is written
// only when an attempt fails, so the happy path pays nothing. Entries expire
// after FailureMemory; a message that fails again after that starts over.
const BucketDeliveryFailures = "delivery-failures"

// FailureMemory is how long a message's failure count is kept.
const FailureMemory = 7 * 24 * time.Hour

type failureCounter struct{ kv jetstream.KeyValue }

func failureKey(handler string, seq uint64) string {
	return handler + "." + strconv.FormatUint(seq, 10)
}

// releasedKey counts the deliveries of a message that a stopping replica
// gave back without handing them to the handler ("<handler>.released.<seq>",
// under the handler's own keys).
func releasedKey(handler string, seq uint64) string {
	return handler + ".released." + strconv.FormatUint(seq, 10)
}

// add counts one more failed delivery and returns the new count.
func (f failureCounter) add(ctx context.Context, handler string, seq uint64) (uint64, error) {
	return f.increment(ctx, failureKey(handler, seq))
}

// released counts one more delivery given back unstarted.
func (f failureCounter) released(ctx context.Context, handler string, seq uint64) (uint64, error) {
	return f.increment(ctx, releasedKey(handler, seq))
}

// releasedBefore is how many deliveries of a message were given back
// unstarted (0 when none, or unknown).
func (f failureCounter) releasedBefore(ctx context.Context, handler string, seq uint64) uint64 {
	e, err := f.kv.Get(ctx, releasedKey(handler, seq))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(e.Value()), 10, 64)
	return n
}

// increment adds one to the count under key and returns the new count.
func (f failureCounter) increment(ctx context.Context, key string) (uint64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for range 10 {
		e, err := f.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if _, err := f.kv.Create(ctx, key, []byte("1")); err == nil {
				return 1, nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return 0, err
			}
		case err != nil:
			return 0, err
		default:
			n, _ := strconv.ParseUint(string(e.Value()), 10, 64)
			n++
			if _, err := f.kv.Update(ctx, key, []byte(strconv.FormatUint(n, 10)), e.Revision()); err == nil {
				return n, nil
			}
			// Another worker counted at the same moment (a redelivery after
			// an AckWait expiry): read again.
		}
	}
	return 0, fmt.Errorf("counting %s: too much contention", key)
}
