package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// ErrNotFound is returned for a request nobody has heard of.
var ErrNotFound = errors.New("request not found")

// Store keeps records in the KV bucket "requests".
type Store struct{ kv jetstream.KeyValue }

func NewStore(kv jetstream.KeyValue) *Store { return &Store{kv: kv} }

// Get returns the record of one request.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	rec, _, err := s.get(ctx, id)
	return rec, err
}

func (s *Store) get(ctx context.Context, id string) (Record, uint64, error) {
	e, err := s.kv.Get(ctx, events.KeyOf(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, ErrNotFound
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("reading request %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, 0, fmt.Errorf("decoding request %s: %w", id, err)
	}
	return r, e.Revision(), nil
}

// Update applies f to the record (a new one if none exists) and writes it
// with compare-and-swap, retrying from a fresh read when another writer got
// there first.
func (s *Store) Update(ctx context.Context, id string, f func(*Record) error) (Record, error) {
	c, err := s.Change(ctx, id, f)
	return c.After, err
}

// Changed is one write of a record: what it was, what it is, and the
// revision written.
type Changed struct {
	Before, After Record
	Rev           uint64
}

// Change is Update, reporting the record before and after and the
// revision, for what must follow the record (the index of open requests).
func (s *Store) Change(ctx context.Context, id string, f func(*Record) error) (Changed, error) {
	for attempt := 0; ; attempt++ {
		r, rev, err := s.get(ctx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Changed{}, err
		}
		if r.RequestID == "" {
			r.RequestID = id
		}
		before := r
		before.History = slices.Clone(r.History)
		if err := f(&r); err != nil {
			return Changed{}, err
		}
		data, err := json.Marshal(r)
		if err != nil {
			return Changed{}, fmt.Errorf("encoding request %s: %w", id, err)
		}
		if rev == 0 {
			rev, err = s.kv.Create(ctx, events.KeyOf(id), data)
		} else {
			rev, err = s.kv.Update(ctx, events.KeyOf(id), data, rev)
		}
		if err == nil {
			return Changed{Before: before, After: r, Rev: rev}, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) || attempt >= 50 {
			return Changed{}, fmt.Errorf("writing request %s: %w", id, err)
		}
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
