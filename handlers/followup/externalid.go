package followup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// ExternalIDs hands out the external id of each request's account: random,
// generated once, and kept in KV accounts under events.JoinKey("extid", id). It is
// written with Create, so replicas racing on the first use agree on the
// winner's value and it never changes afterwards.
type ExternalIDs struct{ KV jetstream.KeyValue }

// For returns the external id of requestID, creating it on first use.
func (x ExternalIDs) For(ctx context.Context, requestID string) (string, error) {
	key := events.JoinKey("extid", requestID)
	for range 3 {
		e, err := x.KV.Get(ctx, key)
		if err == nil {
			return string(e.Value()), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return "", fmt.Errorf("reading external id of %s: %w", requestID, err)
		}
		var b [16]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		id := "acctflow-" + hex.EncodeToString(b[:])
		if _, err := x.KV.Create(ctx, key, []byte(id)); err == nil {
			return id, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return "", fmt.Errorf("storing external id of %s: %w", requestID, err)
		}
		// Another replica created it first: read theirs.
	}
	return "", fmt.Errorf("external id of %s: lost the race three times", requestID)
}
