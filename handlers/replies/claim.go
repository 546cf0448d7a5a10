package replies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// KV is the part of a JetStream key-value bucket this package uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error
}

// RootEmails keeps root email claims in KV root-emails: the key is the
// SHA-256 of the lower-cased address (no address in key names or logs), the
// value the request that holds it. A claim lives as long as its request
// wants the address: it is released when the request is rejected, expires
// or submits another root email, and a held reply claims nothing until it
// applies.
type RootEmails struct{ KV KV }

func rootKey(addr string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(addr))))
	return hex.EncodeToString(sum[:])
}

// Claim gives addr to requestID unless another request has it. Create is
// atomic on the server, so two replicas racing for one address cannot both
// win; the same request claiming again (a redelivery) wins again.
func (r RootEmails) Claim(ctx context.Context, addr, requestID string) (bool, error) {
	key := rootKey(addr)
	_, err := r.KV.Create(ctx, key, []byte(requestID))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return false, fmt.Errorf("claiming root email: %w", err)
	}
	owner, err := r.owner(ctx, key)
	return err == nil && owner == requestID, err
}

// Free reports whether addr is unclaimed or already requestID's, without
// claiming it (for replies that are not complete yet).
func (r RootEmails) Free(ctx context.Context, addr, requestID string) (bool, error) {
	owner, err := r.owner(ctx, rootKey(addr))
	return err == nil && (owner == "" || owner == requestID), err
}

func (r RootEmails) owner(ctx context.Context, key string) (string, error) {
	e, err := r.KV.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading root email claim: %w", err)
	}
	return string(e.Value()), nil
}

// Release gives addr up if requestID holds it; another request's claim is
// left alone. The delete is conditional on the revision read, so a claim
// taken over in between is not lost.
func (r RootEmails) Release(ctx context.Context, addr, requestID string) error {
	if addr == "" {
		return nil
	}
	key := rootKey(addr)
	e, err := r.KV.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading root email claim: %w", err)
	}
	if string(e.Value()) != requestID {
		return nil
	}
	err = r.KV.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) && !events.Conflict(err) {
		return fmt.Errorf("releasing root email claim: %w", err)
	}
	return nil
}
