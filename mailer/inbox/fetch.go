package inbox

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const (
	groupCount  = 64        // messages per body FETCH
	groupBytes  = 8 << 20   // reported bytes per body FETCH (raised to MaxSize when larger)
	headerLimit = 256 << 10 // header bytes kept of an oversize message
)

type msgMeta struct {
	size      int64
	processed bool // carries our keyword already (e.g. after UIDVALIDITY changed)
}

// fetchMeta reads size and flags of uids: cheap, and it lets us decide what
// to download before downloading anything. Items we did not ask for are
// skipped unread (imapclient discards them as a stream).
func (s *session) fetchMeta(uids []imap.UID) (map[imap.UID]msgMeta, error) {
	set := imap.UIDSetNum(uids...)
	cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, RFC822Size: true, Flags: true})
	defer cmd.Close()
	kw := s.r.cfg.ProcessedKeyword
	meta := make(map[imap.UID]msgMeta, len(uids))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var (
			uid imap.UID
			m   msgMeta
		)
		for it := msg.Next(); it != nil; it = msg.Next() {
			switch it := it.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataRFC822Size:
				m.size = it.Size
			case imapclient.FetchItemDataFlags:
				for _, f := range it.Flags {
					if strings.EqualFold(string(f), kw) {
						m.processed = true
					}
				}
			}
		}
		if uid != 0 && set.Contains(uid) {
			meta[uid] = m
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("fetching sizes of %v in %s: %w", set, s.r.cfg.Folder, err)
	}
	return meta, nil
}

// fetched is one downloaded message.
type fetched struct {
	raw      []byte
	size     int64 // literal size
	oversize bool
}

// fetchBodies downloads whole messages with BODY.PEEK[] (so that the server
// does not mark them \Seen before they are stored). It keeps at most the
// group's byte budget in memory: a message that would exceed it, because the
// server under-reported sizes, is left for the next round, and stopAt names
// the lowest such UID (0 when all fit). UIDs missing from the result vanished.
func (s *session) fetchBodies(uids []imap.UID) (got map[imap.UID]fetched, stopAt imap.UID, err error) {
	maxSize := s.r.cfg.MaxSize
	budget := max(int64(groupBytes), maxSize)
	set := imap.UIDSetNum(uids...)
	cmd := s.c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	defer cmd.Close()

	got = make(map[imap.UID]fetched, len(uids))
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var (
			uid      imap.UID
			f        fetched
			hasBody  bool
			deferred bool
		)
		for it := msg.Next(); it != nil; it = msg.Next() {
			switch it := it.(type) {
			case imapclient.FetchItemDataUID:
				uid = it.UID
			case imapclient.FetchItemDataBodySection:
				if hasBody || it.Literal == nil || !wholeMessage(it.Section) {
					continue
				}
				hasBody = true
				f.size = it.Literal.Size()
				switch {
				case f.size > maxSize:
					// Larger than reported: keep the header, as for any oversize message.
					f.oversize = true
					f.raw, err = readHeader(it.Literal)
				case stopAt != 0 || f.size > budget:
					deferred = true // the rest of the literal is discarded by msg.Next
				default:
					f.raw = make([]byte, f.size) // bounded by maxSize just above
					_, err = io.ReadFull(it.Literal, f.raw)
					budget -= f.size
				}
				if err != nil {
					return nil, 0, fmt.Errorf("reading message %d of %s: %w", uid, s.r.cfg.Folder, err)
				}
			}
		}
		switch {
		case uid == 0 || !set.Contains(uid):
		case deferred || !hasBody:
			// No body is a server fault; retrying later beats skipping mail.
			if stopAt == 0 || uid < stopAt {
				stopAt = uid
			}
		default:
			got[uid] = f
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, 0, fmt.Errorf("fetching messages %v of %s: %w", set, s.r.cfg.Folder, err)
	}
	return got, stopAt, nil
}

// fetchHeader downloads only the header of an oversize message, itself
// bounded: a partial fetch, and a bounded read should the server ignore it.
func (s *session) fetchHeader(uid imap.UID) (raw []byte, found bool, err error) {
	section := &imap.FetchItemBodySection{
		Specifier: imap.PartSpecifierHeader,
		Peek:      true,
		Partial:   &imap.SectionPartial{Offset: 0, Size: headerLimit},
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	defer cmd.Close()
	for msg := cmd.Next(); msg != nil; msg = cmd.Next() {
		var got imap.UID
		var hdr []byte
		for it := msg.Next(); it != nil; it = msg.Next() {
			switch it := it.(type) {
			case imapclient.FetchItemDataUID:
				got = it.UID
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil && hdr == nil && headerSection(it.Section) {
					if hdr, err = readHeader(it.Literal); err != nil {
						return nil, false, fmt.Errorf("reading header of message %d of %s: %w", uid, s.r.cfg.Folder, err)
					}
				}
			}
		}
		if got == uid {
			raw, found = hdr, true
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, false, fmt.Errorf("fetching header of message %d of %s: %w", uid, s.r.cfg.Folder, err)
	}
	if found && raw == nil {
		// Still delivered: the Sink records the rejection by UID and size.
		s.r.log.Warn("server sent no header for an oversize message", "uid", uid)
		raw = []byte{}
	}
	return raw, found, nil
}

// wholeMessage and headerSection recognise the sections we ask for; the
// partial range is not compared, as servers may ignore it.
func wholeMessage(sec *imap.FetchItemBodySection) bool {
	return sec != nil && len(sec.Part) == 0 && sec.Specifier == imap.PartSpecifierNone
}

func headerSection(sec *imap.FetchItemBodySection) bool {
	return sec != nil && len(sec.Part) == 0 && sec.Specifier == imap.PartSpecifierHeader &&
		len(sec.HeaderFields) == 0 && len(sec.HeaderFieldsNot) == 0
}

// readHeader reads at most headerLimit bytes and keeps the header section,
// up to and including the blank line that ends it.
func readHeader(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, headerLimit))
	if err != nil {
		return nil, err
	}
	return cutHeader(b), nil
}

func cutHeader(b []byte) []byte {
	if bytes.HasPrefix(b, []byte("\r\n")) {
		return b[:2]
	}
	if bytes.HasPrefix(b, []byte("\n")) {
		return b[:1]
	}
	crlf := bytes.Index(b, []byte("\r\n\r\n"))
	lf := bytes.Index(b, []byte("\n\n"))
	switch {
	case crlf >= 0 && (lf < 0 || crlf < lf):
		return b[:crlf+4]
	case lf >= 0:
		return b[:lf+2]
	}
	return b // no end in sight within the limit: keep what we have
}
