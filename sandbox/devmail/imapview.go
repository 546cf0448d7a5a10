package devmail

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// view is a session's window on its selected mailbox: the tracker turns the
// mailbox's changes into the updates this client has yet to see.
type view struct {
	mb        *mailbox
	tracker   *imapserver.SessionTracker
	readOnly  bool
	searchRes imap.UIDSet // SEARCHRES "$"
}

func (v *view) close() { v.tracker.Close() }

var errReadOnly = &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
	Text: "Mailbox is read-only (EXAMINE)"}

// eachLocked calls fn for each message numSet names, with its sequence
// number in the mailbox (srv) and as this client knows it (seq). Messages
// the client has not been told about yet are skipped. Hold v.mb.mu.
func (v *view) eachLocked(numSet imap.NumSet, fn func(srv, seq uint32, m *message)) {
	numSet = v.staticLocked(numSet)
	for i, m := range v.mb.msgs {
		srv := uint32(i) + 1
		seq := v.tracker.EncodeSeqNum(srv)
		if seq == 0 {
			continue
		}
		switch set := numSet.(type) {
		case imap.SeqSet:
			if !set.Contains(seq) {
				continue
			}
		case imap.UIDSet:
			if !set.Contains(m.uid) {
				continue
			}
		default:
			continue
		}
		fn(srv, seq, m)
	}
}

// staticLocked resolves "*" (the highest number) and "$" (SEARCHRES).
func (v *view) staticLocked(numSet imap.NumSet) imap.NumSet {
	if imap.IsSearchRes(numSet) {
		return v.searchRes
	}
	switch set := numSet.(type) {
	case imap.SeqSet:
		var last uint32
		for i := len(v.mb.msgs); i > 0 && last == 0; i-- {
			last = v.tracker.EncodeSeqNum(uint32(i))
		}
		for i := range set {
			resolveStar(&set[i].Start, &set[i].Stop, last)
		}
	case imap.UIDSet:
		// "*" is the highest UID in use (RFC 9051 §9), not UIDNEXT-1: the
		// newest messages may have been expunged.
		last := uint32(v.mb.uidNext) - 1
		if n := len(v.mb.msgs); n > 0 {
			last = uint32(v.mb.msgs[n-1].uid)
		}
		for i := range set {
			resolveStar((*uint32)(&set[i].Start), (*uint32)(&set[i].Stop), last)
		}
	}
	return numSet
}

// resolveStar replaces "*" (0) and orders the range: "5:*" with fewer than
// five messages means "*:5" (RFC 9051 §9, seq-range).
func resolveStar(start, stop *uint32, last uint32) {
	dyn := *start == 0 || *stop == 0
	if *start == 0 {
		*start = last
	}
	if *stop == 0 {
		*stop = last
	}
	if dyn && *start > *stop {
		*start, *stop = *stop, *start
	}
}

func (v *view) expunge(uids *imap.UIDSet) error {
	if v.readOnly {
		return errReadOnly
	}
	// The EXPUNGE responses reach this client too, through the poll that
	// imapserver runs after the command.
	v.mb.expungeWhere(func(m *message) bool {
		return m.flags.has(imap.FlagDeleted) && (uids == nil || uids.Contains(m.uid))
	})
	return nil
}

func (s *session) Expunge(_ *imapserver.ExpungeWriter, uids *imap.UIDSet) error {
	return s.view.expunge(uids)
}

func (s *session) Search(kind imapserver.NumKind, criteria *imap.SearchCriteria, options *imap.SearchOptions) (*imap.SearchData, error) {
	return s.view.search(kind, criteria, options), nil
}

func (s *session) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	return s.view.fetch(w, numSet, options)
}

func (s *session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, _ *imap.StoreOptions) error {
	return s.view.store(w, numSet, flags)
}

func (s *session) Copy(numSet imap.NumSet, dest string) (*imap.CopyData, error) {
	return s.copyMessages(numSet, dest, false)
}

// Move copies, then expunges the originals; the EXPUNGE responses follow
// the COPYUID response through imapserver's poll after the command.
func (s *session) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	data, err := s.copyMessages(numSet, dest, true)
	if err != nil {
		return err
	}
	return w.WriteCopyData(data)
}
