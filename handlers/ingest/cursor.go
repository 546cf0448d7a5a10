package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// KV is the part of a JetStream key-value bucket the cursor uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Put(ctx context.Context, key string, value []byte) (uint64, error)
}

// Cursor implements mailer/inbox.Cursor on KV imap-cursor.
type Cursor struct{ KV KV }

type position struct {
	UIDValidity uint32 `json:"uid_validity"`
	LastUID     uint32 `json:"last_uid"`
}

// Load returns the saved position of one folder; found is false for a folder
// never read.
func (c Cursor) Load(ctx context.Context, key string) (uint32, uint32, bool, error) {
	e, err := c.KV.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("loading IMAP cursor %s: %w", key, err)
	}
	var p position
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		// A damaged cursor must not wedge the folder: reading it again from
		// the start is safe because delivery deduplicates.
		return 0, 0, false, nil
	}
	return p.UIDValidity, p.LastUID, true, nil
}

// Save records the position. A plain Put is right: one reader owns a folder,
// and a stale write from a second one only makes the first re-read messages
// that the Sink deduplicates.
func (c Cursor) Save(ctx context.Context, key string, uidValidity, lastUID uint32) error {
	data, _ := json.Marshal(position{UIDValidity: uidValidity, LastUID: lastUID})
	if _, err := c.KV.Put(ctx, key, data); err != nil {
		return fmt.Errorf("saving IMAP cursor %s: %w", key, err)
	}
	return nil
}
