package devmail

import (
	"fmt"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// message is one stored message; uid, raw and date never change.
type message struct {
	uid   imap.UID
	raw   []byte
	date  time.Time
	flags flagSet // guarded by the mailbox's mu
}

// mailbox is one IMAP mailbox. Every change to msgs is announced to the
// tracker under mu, which keeps the tracker's message count equal to
// len(msgs): imapserver panics otherwise.
type mailbox struct {
	st          *store
	owner       string
	uidValidity uint32
	tracker     *imapserver.MailboxTracker

	mu         sync.Mutex
	dir        string // "" when in memory only, or once deleted
	name       string
	subscribed bool
	deleted    bool
	msgs       []*message
	uidNext    imap.UID
	bytes      int64
	idlers     map[chan struct{}]struct{} // IDLE sessions to wake on any change
}

func newMailbox(st *store, owner, name string, validity uint32, uidNext imap.UID, msgs []*message) *mailbox {
	mb := &mailbox{
		st: st, owner: owner, uidValidity: validity, name: name, uidNext: uidNext, msgs: msgs,
		tracker: imapserver.NewMailboxTracker(uint32(len(msgs))),
		idlers:  make(map[chan struct{}]struct{}),
	}
	for _, m := range msgs {
		mb.bytes += int64(len(m.raw))
	}
	return mb
}

func (mb *mailbox) meta() mailboxMeta {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.metaLocked()
}

func (mb *mailbox) metaLocked() mailboxMeta {
	return mailboxMeta{Name: mb.name, UIDValidity: mb.uidValidity, UIDNext: uint32(mb.uidNext), Subscribed: mb.subscribed}
}

func (mb *mailbox) count() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

func (mb *mailbox) nameNow() string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.name
}

// stage assigns the next UID to a new message and writes it to disk. The
// message stays invisible until commit; the caller holds store.appendMu.
func (mb *mailbox) stage(it appendItem) (*message, error) {
	mb.mu.Lock()
	if mb.deleted {
		mb.mu.Unlock()
		return nil, errNoMailbox(mb.name)
	}
	msg := &message{uid: mb.uidNext, raw: it.raw, date: it.date, flags: newFlagSet(it.flags)}
	mb.uidNext++
	dir := mb.dir
	var err error
	if dir != "" {
		// UIDNEXT is saved before the message so that no UID is ever reused.
		err = writeMailboxMeta(dir, mb.metaLocked())
	}
	mb.mu.Unlock()
	if err == nil && dir != "" {
		err = writeMessage(dir, msg.uid, msg.raw, messageMeta{Flags: msg.flags.list(), Date: msg.date})
	}
	if err != nil {
		return nil, fmt.Errorf("storing message in %s: %w", mb.name, err)
	}
	return msg, nil
}

// unstage removes the files of a staged message that will not be committed.
func (mb *mailbox) unstage(msg *message) {
	mb.mu.Lock()
	dir := mb.dir
	mb.mu.Unlock()
	if dir != "" {
		if err := removeMessage(dir, msg.uid); err != nil {
			mb.st.log.Warn("rolling back a delivery", "err", err)
		}
	}
}

func (mb *mailbox) commit(msg *message) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.msgs = append(mb.msgs, msg)
	mb.bytes += int64(len(msg.raw))
	mb.tracker.QueueNumMessages(uint32(len(mb.msgs)))
	mb.wakeLocked()
}

// flagsChangedLocked announces new flags of m (at sequence number srv) to
// every session but source.
func (mb *mailbox) flagsChangedLocked(srv uint32, m *message, source *imapserver.SessionTracker) {
	mb.tracker.QueueMessageFlags(srv, m.uid, m.flags.list(), source)
	mb.wakeLocked()
}

// watch returns a channel that receives whenever the mailbox changes after
// this call. imapserver's SessionTracker.Idle cannot serve: it only wakes
// for updates queued after it starts, and a message delivered between the
// client's IDLE and that start would go unannounced.
func (mb *mailbox) watch() (wake <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	mb.mu.Lock()
	mb.idlers[ch] = struct{}{}
	mb.mu.Unlock()
	return ch, func() {
		mb.mu.Lock()
		delete(mb.idlers, ch)
		mb.mu.Unlock()
	}
}

func (mb *mailbox) wakeLocked() {
	for ch := range mb.idlers {
		select {
		case ch <- struct{}{}:
		default: // already due to wake
		}
	}
}

// expungeWhere removes the messages pred selects, announcing each removal.
func (mb *mailbox) expungeWhere(pred func(*message) bool) []*message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	gone := make([]bool, len(mb.msgs))
	var removed []*message
	var freed int64
	// Highest sequence numbers first, so that the lower ones stay valid.
	for i := len(mb.msgs) - 1; i >= 0; i-- {
		m := mb.msgs[i]
		if !pred(m) {
			continue
		}
		gone[i] = true
		mb.tracker.QueueExpunge(uint32(i) + 1)
		removed = append(removed, m)
		freed += int64(len(m.raw))
		if mb.dir != "" {
			if err := removeMessage(mb.dir, m.uid); err != nil {
				mb.st.log.Warn("expunging a message", "err", err)
			}
		}
	}
	if len(removed) == 0 {
		return nil
	}
	kept := make([]*message, 0, len(mb.msgs)-len(removed))
	for i, m := range mb.msgs {
		if !gone[i] {
			kept = append(kept, m)
		}
	}
	mb.msgs = kept
	mb.bytes -= freed
	mb.wakeLocked()
	if !mb.deleted { // a deleted mailbox already gave its bytes back
		mb.st.release(freed)
	}
	return removed
}

// markDeleted detaches the mailbox from disk and returns its size.
func (mb *mailbox) markDeleted() int64 {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.deleted = true
	mb.dir = ""
	return mb.bytes
}

func (mb *mailbox) setName(name string) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.name = name
	return mb.saveMetaLocked()
}

func (mb *mailbox) setSubscribed(on bool) error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.subscribed = on
	return mb.saveMetaLocked()
}

func (mb *mailbox) saveMetaLocked() error {
	if mb.dir == "" {
		return nil
	}
	return writeMailboxMeta(mb.dir, mb.metaLocked())
}

// saveFlagsLocked persists one message's flags after a change.
func (mb *mailbox) saveFlagsLocked(m *message) error {
	if mb.dir == "" {
		return nil
	}
	return writeMessageMeta(mb.dir, m.uid, messageMeta{Flags: m.flags.list(), Date: m.date})
}
