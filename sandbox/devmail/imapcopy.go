package devmail

import (
	"github.com/emersion/go-imap/v2"
)

// copyMessages copies the messages numSet names to dest, keeping flags and
// dates; with expunge it then removes them here (MOVE).
func (s *session) copyMessages(numSet imap.NumSet, destName string, expunge bool) (*imap.CopyData, error) {
	v := s.view
	if expunge && v.readOnly {
		return nil, errReadOnly
	}
	dest, err := s.user.get(destName)
	if err != nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}
	}
	if expunge && dest == v.mb {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
			Text: "Source and destination mailboxes are identical"}
	}

	var (
		items   []appendItem
		srcs    = make(map[*message]bool)
		srcUIDs imap.UIDSet
		gone    bool
	)
	v.mb.mu.Lock()
	v.eachLocked(numSet, func(_, _ uint32, m *message) {
		// With disk the copy links the file: a COPY of many messages
		// reads none of them into memory.
		it := appendItem{mbox: dest, raw: m.raw, src: v.mb.pathLocked(m), size: m.size, flags: m.flags.list(), date: m.date}
		gone = gone || it.raw == nil && it.src == "" && m.size > 0 // a deleted mailbox's orphaned view
		items = append(items, it)
		srcs[m] = true
		srcUIDs.AddNum(m.uid)
	})
	v.mb.mu.Unlock()
	if gone {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent, Text: "The mailbox was deleted"}
	}
	if len(items) == 0 {
		return nil, nil
	}

	uids, err := s.sb.store.appendMessages(items)
	if err != nil {
		return nil, imapStoreError(err)
	}
	if expunge {
		v.mb.expungeWhere(func(m *message) bool { return srcs[m] })
	}
	var destUIDs imap.UIDSet
	destUIDs.AddNum(uids...)
	return &imap.CopyData{UIDValidity: dest.uidValidity, SourceUIDs: srcUIDs, DestUIDs: destUIDs}, nil
}
