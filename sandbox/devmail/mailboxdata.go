package devmail

import (
	"github.com/emersion/go-imap/v2"
)

func (mb *mailbox) listData(options *imap.ListOptions) *imap.ListData {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if options.SelectSubscribed && !mb.subscribed || options.SelectSpecialUse {
		return nil // the sandbox has no special-use mailboxes
	}
	data := imap.ListData{Mailbox: mb.name, Delim: delim}
	if mb.subscribed {
		data.Attrs = append(data.Attrs, imap.MailboxAttrSubscribed)
	}
	if options.ReturnStatus != nil {
		data.Status = mb.statusLocked(options.ReturnStatus)
	}
	return &data
}

func (mb *mailbox) status(options *imap.StatusOptions) *imap.StatusData {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.statusLocked(options)
}

// statusLocked fills every counter the options ask for: imapserver
// dereferences them without checking.
func (mb *mailbox) statusLocked(options *imap.StatusOptions) *imap.StatusData {
	data := imap.StatusData{Mailbox: mb.name, UIDNext: mb.uidNext, UIDValidity: mb.uidValidity}
	num := uint32(len(mb.msgs))
	unseen := num - mb.countFlagLocked(imap.FlagSeen)
	deleted := mb.countFlagLocked(imap.FlagDeleted)
	size := mb.bytes
	var zero32 uint32
	var zero64 int64
	limit := mb.st.appendLimit
	if options.NumMessages {
		data.NumMessages = &num
	}
	if options.NumUnseen {
		data.NumUnseen = &unseen
	}
	if options.NumDeleted {
		data.NumDeleted = &deleted
	}
	if options.Size {
		data.Size = &size
	}
	if options.NumRecent {
		data.NumRecent = &zero32
	}
	if options.DeletedStorage {
		data.DeletedStorage = &zero64
	}
	if options.AppendLimit {
		data.AppendLimit = &limit
	}
	return &data
}

func (mb *mailbox) countFlagLocked(f imap.Flag) uint32 {
	var n uint32
	for _, m := range mb.msgs {
		if m.flags.has(f) {
			n++
		}
	}
	return n
}

func (mb *mailbox) selectDataLocked() *imap.SelectData {
	used := newFlagSet(systemFlags)
	var firstUnseen uint32
	for i, m := range mb.msgs {
		for _, f := range m.flags {
			used.add(f)
		}
		if firstUnseen == 0 && !m.flags.has(imap.FlagSeen) {
			firstUnseen = uint32(i) + 1
		}
	}
	flags := used.list()
	return &imap.SelectData{
		Flags:             flags,
		PermanentFlags:    append(flags[:len(flags):len(flags)], imap.FlagWildcard),
		NumMessages:       uint32(len(mb.msgs)),
		FirstUnseenSeqNum: firstUnseen,
		UIDNext:           mb.uidNext,
		UIDValidity:       mb.uidValidity,
	}
}
