package replies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// RootEmails keeps root email claims in KV root-emails: the key is the
// SHA-256 of the lower-cased address (no address in key names or logs), the
// value the request that claimed it.
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
