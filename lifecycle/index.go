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

// Index keeps the open requests of each region (KV "open-requests", keys
// region.request): the projection writes a request's line when it changes
// and deletes it when the request ends, so a region's queue costs what is
// open, never the history.
type Index struct {
	kv jetstream.KeyValue
	// records is the store the lines follow (Store.Index): a missing line
	// is created from the record's latest revision. Nil: reading only.
	records *Store
}

// NewIndex opens the index for reading (Open); the projection writes
// through Store.Index.
func NewIndex(kv jetstream.KeyValue) *Index { return &Index{kv: kv} }

// Index is the index of open requests that follows this store's records.
func (s *Store) Index(open jetstream.KeyValue) *Index { return &Index{kv: open, records: s} }

func indexKey(region, id string) string { return events.JoinKey(region, id) }

// Sync makes the index agree with a record at revision rev: its line is
// written when open, removed (from its old region too) when not. An older
// revision never replaces a newer line, nor brings back one a newer
// revision removed (the record is read before a line is created), so
// concurrent writers cannot leave a stale one behind.
func (x *Index) Sync(ctx context.Context, before, after Record, rev uint64) error {
	s, open := Summarize(after)
	s.Rev = rev
	if before.Region != "" && (before.Region != after.Region || !open) {
		if err := x.remove(ctx, before.Region, after.RequestID, rev); err != nil {
			return err
		}
	}
	if !open {
		return nil
	}
	return x.put(ctx, s)
}

func (x *Index) put(ctx context.Context, s Summary) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	key := indexKey(s.Region, s.RequestID)
	for range 20 {
		cur, err := x.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			// No line: none yet, or a newer revision removed it (the
			// request ended or moved region). The line is made from the
			// record's latest revision, never brought back from an older.
			latest, ok, err := x.latest(ctx, s)
			if err != nil || !ok {
				return err
			}
			if latest.Rev != s.Rev {
				if data, err = json.Marshal(latest); err != nil {
					return err
				}
				s = latest
			}
			if _, err = x.kv.Create(ctx, key, data); err == nil || !errors.Is(err, jetstream.ErrKeyExists) {
				return wrapIndex(err, key)
			}
			continue
		case err != nil:
			return wrapIndex(err, key)
		}
		var old Summary
		if json.Unmarshal(cur.Value(), &old) == nil && old.Rev > s.Rev {
			return nil
		}
		if _, err = x.kv.Update(ctx, key, data, cur.Revision()); err == nil || !events.Conflict(err) {
			return wrapIndex(err, key)
		}
	}
	return fmt.Errorf("indexing %s: too much contention", key)
}

// latest returns the line of the request's latest record when it is newer
// than s, and whether a line belongs under s's key at all (the latest is
// still open, in the same region).
func (x *Index) latest(ctx context.Context, s Summary) (Summary, bool, error) {
	if x.records == nil {
		return s, true, nil
	}
	// Usually the record is still at s's revision: no need to decode it.
	rec, rev, err := x.records.getNewer(ctx, s.RequestID, s.Rev)
	switch {
	case errors.Is(err, ErrNotFound):
		return s, true, nil
	case err != nil:
		return s, false, fmt.Errorf("indexing %s: %w", s.RequestID, err)
	case rev <= s.Rev:
		return s, true, nil
	}
	l, open := Summarize(rec)
	l.Rev = rev
	return l, open && l.Region == s.Region, nil
}

func (x *Index) remove(ctx context.Context, region, id string, rev uint64) error {
	key := indexKey(region, id)
	for range 20 {
		cur, err := x.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return wrapIndex(err, key)
		}
		var old Summary
		if json.Unmarshal(cur.Value(), &old) == nil && old.Rev > rev {
			return nil
		}
		err = x.kv.Delete(ctx, key, jetstream.LastRevision(cur.Revision()))
		if err == nil || !events.Conflict(err) {
			return wrapIndex(err, key)
		}
		// An older line was written meanwhile: read again.
	}
	return fmt.Errorf("indexing %s: too much contention", key)
}

func wrapIndex(err error, key string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("indexing %s: %w", key, err)
}

// Open returns the open requests of a region, oldest stage first. It reads
// the region's lines in one pass (a watch over its keys), whatever the
// history holds.
func (x *Index) Open(ctx context.Context, region string) ([]Summary, error) {
	w, err := x.kv.WatchFiltered(ctx, []string{events.KeyOf(region) + ".>"}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("reading the open requests of %s: %w", region, err)
	}
	defer func() { _ = w.Stop() }()
	var out []Summary
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("reading the open requests of %s: watch closed", region)
			}
			if e == nil { // caught up
				slices.SortFunc(out, func(a, b Summary) int {
					if a.Since == b.Since {
						return compareStrings(a.RequestID, b.RequestID)
					}
					return compareStrings(a.Since, b.Since)
				})
				return out, nil
			}
			var s Summary
			if json.Unmarshal(e.Value(), &s) == nil {
				out = append(out, s)
			}
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
