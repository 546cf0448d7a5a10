package devmail

import (
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"
)

// searched is one message as SEARCH sees it, copied under the lock. Its
// body is read once, and only when a criterion needs it.
type searched struct {
	seq    uint32
	msg    *message
	flags  flagSet
	mb     *mailbox
	raw    []byte
	loaded bool
}

// body returns the raw message; one expunged meanwhile reads as empty.
func (s *searched) body() []byte {
	if !s.loaded {
		s.raw, _ = s.mb.body(s.msg)
		s.loaded = true
	}
	return s.raw
}

func (v *view) search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) *imap.SearchData {
	var list []*searched
	v.mb.mu.Lock()
	v.staticCriteriaLocked(criteria)
	for i, m := range v.mb.msgs {
		if seq := v.tracker.EncodeSeqNum(uint32(i) + 1); seq != 0 {
			list = append(list, &searched{seq: seq, msg: m, flags: m.flags.clone(), mb: v.mb})
		}
	}
	v.mb.mu.Unlock()

	var (
		data   imap.SearchData
		seqSet imap.SeqSet
		uidSet imap.UIDSet
	)
	for _, s := range list {
		if !matches(s, criteria) {
			continue
		}
		uidSet.AddNum(s.msg.uid) // kept for SEARCHRES whatever the kind
		num := s.seq
		if kind == imapserver.NumKindUID {
			num = uint32(s.msg.uid)
		} else {
			seqSet.AddNum(s.seq)
		}
		if data.Min == 0 || num < data.Min {
			data.Min = num
		}
		data.Max = max(data.Max, num)
		data.Count++
	}
	if kind == imapserver.NumKindUID {
		data.All = uidSet
	} else {
		data.All = seqSet
	}
	if options.ReturnSave {
		v.searchRes = uidSet
	}
	return &data
}

// staticCriteriaLocked resolves "*" and "$" in every number set.
func (v *view) staticCriteriaLocked(c *imap.SearchCriteria) {
	seqs := make([]imap.SeqSet, 0, len(c.SeqNum))
	for _, set := range c.SeqNum {
		switch set := v.staticLocked(set).(type) {
		case imap.SeqSet:
			seqs = append(seqs, set)
		case imap.UIDSet: // "$" holds UIDs
			c.UID = append(c.UID, set)
		}
	}
	c.SeqNum = seqs
	for i, set := range c.UID {
		if u, ok := v.staticLocked(set).(imap.UIDSet); ok {
			c.UID[i] = u
		}
	}
	for i := range c.Not {
		v.staticCriteriaLocked(&c.Not[i])
	}
	for i := range c.Or {
		v.staticCriteriaLocked(&c.Or[i][0])
		v.staticCriteriaLocked(&c.Or[i][1])
	}
}

func matches(s *searched, c *imap.SearchCriteria) bool {
	m := s.msg
	for _, set := range c.SeqNum {
		if !set.Contains(s.seq) {
			return false
		}
	}
	for _, set := range c.UID {
		if !set.Contains(m.uid) {
			return false
		}
	}
	if !inDateRange(m.date, c.Since, c.Before) {
		return false
	}
	for _, f := range c.Flag {
		if !s.flags.has(f) {
			return false
		}
	}
	for _, f := range c.NotFlag {
		if s.flags.has(f) {
			return false
		}
	}
	size := m.size
	if c.Larger != 0 && size <= c.Larger || c.Smaller != 0 && size >= c.Smaller {
		return false
	}
	if len(c.Header) > 0 || !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
		h := mail.Header{Header: entity(s.body()).Header}
		for _, hc := range c.Header {
			if !headerMatches(h.FieldsByKey(hc.Key), hc.Value) {
				return false
			}
		}
		if !c.SentSince.IsZero() || !c.SentBefore.IsZero() {
			t, err := h.Date()
			if err != nil || !inDateRange(t, c.SentSince, c.SentBefore) {
				return false
			}
		}
	}
	for _, text := range c.Text {
		if !entityMatches(entity(s.body()), text, true, 0) {
			return false
		}
	}
	for _, body := range c.Body {
		if !entityMatches(entity(s.body()), body, false, 0) {
			return false
		}
	}
	for i := range c.Not {
		if matches(s, &c.Not[i]) {
			return false
		}
	}
	for i := range c.Or {
		if !matches(s, &c.Or[i][0]) && !matches(s, &c.Or[i][1]) {
			return false
		}
	}
	return true
}

// inDateRange compares dates only, ignoring time and zone (RFC 9051 §6.4.4).
func inDateRange(t, since, before time.Time) bool {
	t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return (since.IsZero() || !t.Before(since)) && (before.IsZero() || t.Before(before))
}

func entity(raw []byte) *gomessage.Entity {
	e, _ := gomessage.Read(bytes.NewReader(raw))
	if e == nil {
		e, _ = gomessage.New(gomessage.Header{}, bytes.NewReader(nil))
	}
	return e
}

func headerMatches(fields gomessage.HeaderFields, pattern string) bool {
	if pattern == "" {
		return fields.Len() > 0
	}
	pattern = strings.ToLower(pattern)
	for fields.Next() {
		if v, _ := fields.Text(); strings.Contains(strings.ToLower(v), pattern) {
			return true
		}
	}
	return false
}

// maxSearchDepth bounds MIME nesting, which a hostile message controls.
const maxSearchDepth = 20

func entityMatches(e *gomessage.Entity, pattern string, withHeader bool, depth int) bool {
	if pattern == "" {
		return true
	}
	if depth > maxSearchDepth {
		return false
	}
	if withHeader && headerMatches(e.Header.Fields(), pattern) {
		return true
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			part, err := mr.NextPart()
			if err != nil {
				return false
			}
			if entityMatches(part, pattern, withHeader, depth+1) {
				return true
			}
		}
	}
	t, _, err := e.Header.ContentType()
	if err != nil || !strings.HasPrefix(t, "text/") && !strings.HasPrefix(t, "message/") {
		return false
	}
	b, err := io.ReadAll(e.Body)
	return err == nil && bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(pattern)))
}
