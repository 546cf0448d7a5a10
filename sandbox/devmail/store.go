package devmail

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
)

var (
	errTooManyUsers = errors.New("too many mailbox owners")
	errStoreFull    = errors.New("sandbox storage full")
)

// mailboxFullError names the mailbox that has no room left.
type mailboxFullError struct{ owner, mailbox string }

func (e *mailboxFullError) Error() string {
	return fmt.Sprintf("mailbox %s of %s is full", e.mailbox, maskAddress(e.owner))
}

// store holds every user's mailboxes, in memory and, with disk, on disk.
type store struct {
	disk        *disk      // nil: memory only
	cache       *bodyCache // with disk: the raw messages kept in memory
	log         *slog.Logger
	maxMessages int   // per mailbox
	maxBytes    int64 // all mailboxes together
	appendLimit uint32

	// appendMu serialises everything that assigns UIDs or removes mailboxes
	// (deliveries, APPEND, COPY, MOVE, DELETE): messages are then committed
	// in UID order, and a delivery to several recipients checks every bound
	// before it adds anything anywhere.
	appendMu sync.Mutex
	used     atomic.Int64 // bytes in all mailboxes; grows only under appendMu

	mu    sync.Mutex
	users map[string]*user
}

func newStore(d *disk, cfg Config) *store {
	var cache *bodyCache
	if d != nil {
		cache = newBodyCache(cfg.CacheBytes)
	}
	return &store{
		disk:        d,
		cache:       cache,
		log:         cfg.Logger,
		maxMessages: cfg.MaxMailboxMessages,
		maxBytes:    cfg.MaxStoreBytes,
		appendLimit: uint32(cfg.MaxMessageBytes),
		users:       make(map[string]*user),
	}
}

// user returns the user owning addr (already folded), creating it if asked.
func (st *store) user(addr string, create bool) (*user, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if u := st.users[addr]; u != nil || !create {
		return u, nil
	}
	if len(st.users) >= maxUsers {
		return nil, errTooManyUsers
	}
	u := newUser(st, addr)
	st.users[addr] = u
	return u, nil
}

// hasRoom reports, without creating anything, whether one more message may
// go to addr's INBOX: the early answer to RCPT TO.
func (st *store) hasRoom(addr string) error {
	u, err := st.user(addr, false)
	if err != nil {
		return err
	}
	if u == nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		if len(st.users) >= maxUsers {
			return errTooManyUsers
		}
		return nil
	}
	mb, err := u.get("INBOX")
	if err != nil {
		return nil // created on delivery
	}
	if mb.count() >= st.maxMessages {
		return &mailboxFullError{owner: addr, mailbox: "INBOX"}
	}
	if st.used.Load() >= st.maxBytes {
		return errStoreFull
	}
	return nil
}

// appendItem is one message to add to one mailbox: raw, or (COPY between
// disk-backed mailboxes) the file src of size bytes, linked rather than read.
type appendItem struct {
	mbox  *mailbox
	raw   []byte
	src   string
	size  int64
	flags []imap.Flag
	date  time.Time
}

func (it appendItem) bytes() int64 {
	if it.src != "" {
		return it.size
	}
	return int64(len(it.raw))
}

// appendMessages adds all items or none: bounds are checked first, then
// every copy is written to disk, and only then do they appear in mailboxes.
func (st *store) appendMessages(items []appendItem) ([]imap.UID, error) {
	st.appendMu.Lock()
	defer st.appendMu.Unlock()

	perBox := make(map[*mailbox]int)
	var total int64
	for _, it := range items {
		perBox[it.mbox]++
		total += it.bytes()
	}
	for mb, n := range perBox {
		if mb.count()+n > st.maxMessages {
			return nil, &mailboxFullError{owner: mb.owner, mailbox: mb.nameNow()}
		}
	}
	if st.used.Load()+total > st.maxBytes {
		return nil, errStoreFull
	}

	staged := make([]*message, 0, len(items))
	for _, it := range items {
		msg, err := it.mbox.stage(it)
		if err != nil {
			for i, m := range staged {
				items[i].mbox.unstage(m)
			}
			return nil, err
		}
		staged = append(staged, msg)
	}
	st.used.Add(total)
	uids := make([]imap.UID, len(staged))
	for i, m := range staged {
		items[i].mbox.commit(m)
		uids[i] = m.uid
	}
	return uids, nil
}

// release returns the bytes of removed messages to the store's budget.
func (st *store) release(n int64) { st.used.Add(-n) }
