package devmail

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// message is one stored message; uid, size, raw and date never change. raw
// is held only by a store without disk: with disk the message is read from
// its file (through the store's cache) when a client needs it.
type message struct {
	uid   imap.UID
	size  int64
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
		mb.bytes += m.size
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
	msg := &message{uid: mb.uidNext, size: it.bytes(), date: it.date, flags: newFlagSet(it.flags)}
	mb.uidNext++
	dir := mb.dir
	var err error
	if dir != "" {
		// UIDNEXT is saved before the message so that no UID is ever reused.
		err = writeMailboxMeta(dir, mb.metaLocked())
	}
	mb.mu.Unlock()
	meta := messageMeta{Flags: msg.flags.list(), Date: msg.date}
	switch {
	case err != nil:
	case dir == "" && it.src != "":
		err = errors.New("a linked copy needs a disk-backed mailbox")
	case dir == "":
		msg.raw = it.raw
	case it.src != "":
		err = linkMessage(dir, msg.uid, it.src, meta)
	default:
		err = writeMessage(dir, msg.uid, it.raw, meta)
	}
	if err != nil {
		return nil, fmt.Errorf("storing message in %s: %w", mb.name, err)
	}
	if it.raw != nil && mb.st.cache != nil {
		mb.st.cache.put(cacheKey{mb, msg.uid}, it.raw) // it is read moments later
	}
	return msg, nil
}

// unstage removes the files of a staged message that will not be committed.
func (mb *mailbox) unstage(msg *message) {
	if mb.st.cache != nil {
		mb.st.cache.remove(cacheKey{mb, msg.uid})
	}
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
	mb.bytes += msg.size
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
		freed += m.size
		if mb.dir != "" {
			if err := removeMessage(mb.dir, m.uid); err != nil {
				mb.st.log.Warn("expunging a message", "err", err)
			}
		}
		if mb.st.cache != nil {
			mb.st.cache.remove(cacheKey{mb, m.uid})
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

// metaDir is the mailbox's directory, "" without disk or once deleted.
func (mb *mailbox) metaDir() string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return mb.dir
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

// errGone is a message whose file was removed (expunged, or its mailbox
// deleted) after the caller found it in the mailbox.
var errGone = errors.New("message no longer exists")

// body returns the raw message: held in memory without disk, else from the
// store's cache or its file. Call it without mb.mu: reading a file must not
// hold up deliveries. errGone means the message was expunged meanwhile.
func (mb *mailbox) body(m *message) ([]byte, error) {
	if m.raw != nil || mb.st.cache == nil {
		return m.raw, nil
	}
	key := cacheKey{mb, m.uid}
	if raw, ok := mb.st.cache.get(key); ok {
		return raw, nil
	}
	mb.mu.Lock()
	dir := mb.dir
	mb.mu.Unlock()
	if dir == "" {
		return nil, errGone
	}
	raw, err := readBounded(emlPath(dir, m.uid), m.size)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errGone
	}
	if err != nil {
		return nil, fmt.Errorf("reading message %d of %s: %w", m.uid, mb.nameNow(), err)
	}
	if int64(len(raw)) != m.size {
		return nil, fmt.Errorf("reading message %d of %s: %d bytes on disk, %d delivered", m.uid, mb.nameNow(), len(raw), m.size)
	}
	mb.st.cache.put(key, raw)
	return raw, nil
}

// path is the file of m, for a linked COPY; "" without disk.
func (mb *mailbox) pathLocked(m *message) string {
	if mb.dir == "" {
		return ""
	}
	return emlPath(mb.dir, m.uid)
}
