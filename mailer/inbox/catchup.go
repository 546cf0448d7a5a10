package inbox

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

const batchSize = 256 // UIDs planned per round (one metadata FETCH)

// catchUp delivers every message after the cursor, in UID order.
func (s *session) catchUp(ctx context.Context) error {
	found, err := s.search()
	if err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		uids := found.next(s.last, batchSize)
		if len(uids) == 0 {
			return nil
		}
		before := s.last
		if err := s.processBatch(ctx, uids); err != nil {
			return err
		}
		if s.last <= before {
			// Only a server contradicting itself gets here; reconnecting
			// (with backoff) beats spinning.
			return fmt.Errorf("no progress past UID %d in %s", before, s.r.cfg.Folder)
		}
	}
}

// search lists the UIDs after the cursor that do not carry our keyword: after
// a UIDVALIDITY change the folder is read from UID 1, and what we processed
// before keeps its keyword and is not taken twice.
func (s *session) search() (uidRanges, error) {
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(s.last) + 1, Stop: 0}}}}
	if s.keyword {
		crit.NotFlag = []imap.Flag{imap.Flag(s.r.cfg.ProcessedKeyword)}
	}
	if s.last == ^uint32(0) {
		return nil, nil
	}
	data, err := s.c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("searching %s after UID %d: %w", s.r.cfg.Folder, s.last, err)
	}
	found, err := newUIDRanges(data.All)
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", s.r.cfg.Folder, err)
	}
	return found, nil
}

// processBatch takes uids (ascending, all after the cursor) as far as it can:
// consecutive small messages are downloaded together, an oversize one alone.
func (s *session) processBatch(ctx context.Context, uids []imap.UID) error {
	meta, err := s.fetchMeta(uids)
	if err != nil {
		return err
	}
	items := plan(uids, meta, s.r.cfg.MaxSize)
	budget := max(int64(groupBytes), s.r.cfg.MaxSize)
	for len(items) > 0 {
		n, bytes := 0, int64(0)
		for n < len(items) && n < groupCount && items[n].kind != itemOversize {
			if items[n].kind == itemSmall {
				if bytes+items[n].size > budget && bytes > 0 {
					break
				}
				bytes += items[n].size
			}
			n++
		}
		if n == 0 {
			n = 1 // an oversize message goes alone
		}
		more, err := s.takeGroup(ctx, items[:n])
		if err != nil || !more {
			return err
		}
		items = items[n:]
	}
	return nil
}

// takeGroup fetches and delivers group in order, then saves the cursor, then
// flags or moves what was delivered. more is false when the group could not
// be finished (the rest comes in the next round).
func (s *session) takeGroup(ctx context.Context, group []item) (more bool, err error) {
	var (
		bodies map[imap.UID]fetched
		stopAt imap.UID
	)
	var small []imap.UID
	for _, it := range group {
		if it.kind == itemSmall {
			small = append(small, it.uid)
		}
	}
	if len(small) > 0 {
		if bodies, stopAt, err = s.fetchBodies(small); err != nil {
			return false, err
		}
	}

	done := s.last
	var delivered []imap.UID
	for _, it := range group {
		if stopAt != 0 && it.uid >= stopAt {
			return false, s.commit(ctx, done, delivered)
		}
		m := Message{
			Account: s.r.account, Folder: s.r.cfg.Folder,
			UIDValidity: s.validity, UID: uint32(it.uid), Size: it.size,
		}
		switch it.kind {
		case itemSkip:
			done = uint32(it.uid)
			continue
		case itemOversize:
			raw, found, err := s.fetchHeader(it.uid)
			if err != nil {
				return false, firstErr(s.commit(ctx, done, delivered), err)
			}
			if !found { // expunged meanwhile
				done = uint32(it.uid)
				continue
			}
			m.Raw, m.Oversize = raw, true
		case itemSmall:
			f, ok := bodies[it.uid]
			if !ok { // expunged meanwhile
				done = uint32(it.uid)
				continue
			}
			m.Raw, m.Oversize, m.Size = f.raw, f.oversize, max(m.Size, f.size)
		}
		if err := s.r.sink.Deliver(ctx, m); err != nil {
			derr := &sinkError{fmt.Errorf("delivering message %d of %s: %w", it.uid, s.r.cfg.Folder, err)}
			return false, firstErr(s.commit(ctx, done, delivered), derr)
		}
		s.r.log.Debug("message delivered", "uid", it.uid, "size", m.Size, "oversize", m.Oversize)
		delivered = append(delivered, it.uid)
		done = uint32(it.uid)
	}
	return true, s.commit(ctx, done, delivered)
}

// commit saves the cursor at done, then flags or moves delivered. A crash
// before the save means the delivered messages are delivered again on the
// next start: harmless, the Sink deduplicates by content.
func (s *session) commit(ctx context.Context, done uint32, delivered []imap.UID) error {
	if done == s.last {
		return nil
	}
	if err := s.r.cur.Save(ctx, s.r.key, s.validity, done); err != nil {
		return &sinkError{fmt.Errorf("saving cursor of %s at UID %d: %w", s.r.cfg.Folder, done, err)}
	}
	s.last = done
	return s.mark(delivered)
}

// firstErr returns the first error that is not nil: a failed commit says
// more about the connection than the error that led to it.
func firstErr(first, second error) error {
	if first != nil {
		return first
	}
	return second
}
