package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// ErrNotFound is returned for a request nobody has heard of.
var ErrNotFound = errors.New("request not found")

// Store keeps records in the KV bucket "requests".
type Store struct {
	kv jetstream.KeyValue
	// Records of ended requests expire keep after their last write
	// (Expiring); without js they are kept forever.
	js   publisher
	keep time.Duration
}

func NewStore(kv jetstream.KeyValue) *Store { return &Store{kv: kv} }

// publisher writes a record with a TTL: the JetStream context of the bucket.
type publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Expiring returns a store whose records are deleted by JetStream keep after
// the request ended: every write of a record at a final stage (not Open)
// carries a per-message TTL (Nats-TTL) and rolls the key's older revisions
// up, so nothing of it outlives the TTL. The bucket must allow per-message
// TTLs (broker.Topology with a Retention). A request that ops start again
// is written without a TTL and kept.
func (s *Store) Expiring(js publisher, keep time.Duration) *Store {
	c := *s
	c.js, c.keep = js, keep
	return &c
}

// write stores a record at revision rev (0: a new key).
func (s *Store) write(ctx context.Context, key string, data []byte, rev uint64, ended bool) (uint64, error) {
	switch {
	case rev == 0:
		return s.kv.Create(ctx, key, data)
	case !ended || s.js == nil || s.keep <= 0:
		return s.kv.Update(ctx, key, data, rev)
	}
	msg := nats.NewMsg("$KV." + s.kv.Bucket() + "." + key)
	msg.Data = data
	msg.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	ack, err := s.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequencePerSubject(rev), jetstream.WithMsgTTL(s.keep))
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}

// Get returns the record of one request.
func (s *Store) Get(ctx context.Context, id string) (Record, error) {
	rec, _, err := s.get(ctx, id)
	return rec, err
}

func (s *Store) get(ctx context.Context, id string) (Record, uint64, error) {
	return s.getNewer(ctx, id, 0)
}

// getNewer is get, decoding the record only when its revision is above
// rev (else the record is zero, with its revision).
func (s *Store) getNewer(ctx context.Context, id string, rev uint64) (Record, uint64, error) {
	e, err := s.kv.Get(ctx, events.KeyOf(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, ErrNotFound
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("reading request %s: %w", id, err)
	}
	if e.Revision() <= rev {
		return Record{}, e.Revision(), nil
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
		rev, err = s.write(ctx, events.KeyOf(id), data, rev, !r.Stage.Open())
		if err == nil {
			return Changed{Before: before, After: r, Rev: rev}, nil
		}
		if !events.Conflict(err) || attempt >= 50 {
			return Changed{}, fmt.Errorf("writing request %s: %w", id, err)
		}
	}
}
