package replies

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
)

// KV is the part of a JetStream key-value bucket this package uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Put(ctx context.Context, key string, value []byte) (uint64, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// Threads maps our Message-IDs back to requests and paces clarifications.
type Threads struct {
	KV     KV
	Domain string
}

// splitOurID takes "<24 hex>.<kind>@<domain>" (mailer.MessageID's form)
// apart, only for our domain.
func (t Threads) splitOurID(id string) (hash, kind string, ok bool) {
	id = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
	local, domain, found := strings.Cut(id, "@")
	if !found || !strings.EqualFold(domain, t.Domain) {
		return "", "", false
	}
	hash, kind, found = strings.Cut(local, ".")
	if !found || len(hash) != 24 || strings.Trim(strings.ToLower(hash), "0123456789abcdef") != "" || kind == "" {
		return "", "", false
	}
	return strings.ToLower(hash), kind, true
}

// Remember records that id (one of our Message-IDs) is about requestID.
func (t Threads) Remember(ctx context.Context, id, requestID string) error {
	hash, _, ok := t.splitOurID(id)
	if !ok || !events.ValidRequestID(requestID) {
		return nil // not one of ours: nothing to thread
	}
	if _, err := t.KV.Put(ctx, "msg."+hash, []byte(requestID)); err != nil {
		return fmt.Errorf("remembering thread of %s: %w", requestID, err)
	}
	return nil
}

// Lookup returns the request one of our Message-IDs is about. The id is
// recomputed from the answer, so a damaged or guessed index entry cannot
// redirect a reply.
func (t Threads) Lookup(ctx context.Context, id string) (string, bool, error) {
	hash, kind, ok := t.splitOurID(id)
	if !ok {
		return "", false, nil
	}
	e, err := t.KV.Get(ctx, "msg."+hash)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("looking up thread %s: %w", hash, err)
	}
	req := string(e.Value())
	want := mailer.MessageID(req, kind, t.Domain)
	if !strings.EqualFold(want, strings.Trim(strings.TrimSpace(id), "<>")) {
		return "", false, nil
	}
	return req, true, nil
}

type clarified struct {
	ReplyID string    `json:"reply_id"`
	At      time.Time `json:"at"`
}

// MayClarify reports whether replyID may ask the sender back: at most one
// clarification per request per window. The claim is a compare-and-swap,
// so two replicas answering two replies at once cannot both win, and the
// reply that won keeps winning on redelivery.
func (t Threads) MayClarify(ctx context.Context, requestID, replyID string, now time.Time, window time.Duration) (bool, error) {
	key := "clarified." + requestID
	data, _ := json.Marshal(clarified{ReplyID: replyID, At: now.UTC()})
	for range 10 {
		e, err := t.KV.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := t.KV.Create(ctx, key, data); err == nil {
				return true, nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return false, fmt.Errorf("claiming clarification of %s: %w", requestID, err)
			}
			continue
		}
		if err != nil {
			return false, fmt.Errorf("reading clarification of %s: %w", requestID, err)
		}
		var c clarified
		_ = json.Unmarshal(e.Value(), &c)
		if c.ReplyID == replyID {
			return true, nil
		}
		if now.Sub(c.At) < window {
			return false, nil
		}
		if _, err := t.KV.Update(ctx, key, data, e.Revision()); err == nil {
			return true, nil
		}
	}
	return false, fmt.Errorf("claiming clarification of %s: too much contention", requestID)
}
