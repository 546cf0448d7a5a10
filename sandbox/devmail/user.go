package devmail

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

const (
	delim         = '/'
	maxMailboxLen = 200
)

// user is one address and its mailboxes.
type user struct {
	st   *store
	addr string

	mu           sync.Mutex
	boxes        map[string]*mailbox
	lastValidity uint32 // highest UIDVALIDITY handed out, so none repeats
}

func newUser(st *store, addr string) *user {
	return &user{st: st, addr: addr, boxes: make(map[string]*mailbox)}
}

func errNoMailbox(name string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent,
		Text: fmt.Sprintf("No such mailbox %q", name)}
}

func (u *user) get(name string) (*mailbox, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if mb := u.boxes[name]; mb != nil {
		return mb, nil
	}
	return nil, errNoMailbox(name)
}

// inbox returns the user's INBOX, creating it on first use.
func (u *user) inbox() (*mailbox, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if mb := u.boxes["INBOX"]; mb != nil {
		return mb, nil
	}
	return u.createLocked("INBOX")
}

func (u *user) create(name string) error {
	name = strings.TrimRight(name, string(delim))
	if err := checkMailboxName(name); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.boxes[name] != nil {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists,
			Text: "Mailbox already exists"}
	}
	if len(u.boxes) >= maxMailboxesPerUser {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit,
			Text: fmt.Sprintf("At most %d mailboxes per user", maxMailboxesPerUser)}
	}
	_, err := u.createLocked(name)
	return err
}

func (u *user) createLocked(name string) (*mailbox, error) {
	// Time-based UIDVALIDITY: a sandbox restarted without its data dir hands
	// out new values, so clients holding a UID cursor know to start over.
	validity := max(uint32(time.Now().Unix()), u.lastValidity+1)
	mb := newMailbox(u.st, u.addr, name, validity, 1, nil)
	mb.subscribed = name == "INBOX" // clients listing subscriptions (LSUB) see it
	if d := u.st.disk; d != nil {
		// A directory that failed to load must not lend its files to a
		// new mailbox.
		for dirExists(d.mailboxDir(u.addr, validity)) {
			validity++
		}
		mb.uidValidity = validity
		mb.dir = d.mailboxDir(u.addr, validity)
		if err := os.MkdirAll(mb.dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating mailbox %q: %w", name, err)
		}
		if err := writeMailboxMeta(mb.dir, mb.meta()); err != nil {
			os.RemoveAll(mb.dir)
			return nil, fmt.Errorf("creating mailbox %q: %w", name, err)
		}
	}
	u.lastValidity = validity
	u.boxes[name] = mb
	return mb, nil
}

// delete removes a mailbox and its messages. Sessions that have it selected
// keep an orphaned view, which is what imapmemserver does too.
func (u *user) delete(name string) error {
	if name == "INBOX" {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
			Text: "INBOX cannot be deleted"}
	}
	u.st.appendMu.Lock() // no delivery may be half-way into it
	defer u.st.appendMu.Unlock()
	u.mu.Lock()
	defer u.mu.Unlock()
	mb := u.boxes[name]
	if mb == nil {
		return errNoMailbox(name)
	}
	delete(u.boxes, name)
	dir := mb.metaDir()
	u.st.release(mb.markDeleted())
	if u.st.cache != nil {
		u.st.cache.removeMailbox(mb)
	}
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("deleting mailbox %q: %w", name, err)
		}
	}
	return nil
}

// rename moves a mailbox and its children (RFC 9051 §6.3.6).
func (u *user) rename(oldName, newName string) error {
	newName = strings.TrimRight(newName, string(delim))
	if oldName == "INBOX" || newName == "INBOX" {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
			Text: "The sandbox cannot rename INBOX"}
	}
	if err := checkMailboxName(newName); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.boxes[oldName] == nil {
		return errNoMailbox(oldName)
	}
	if u.boxes[newName] != nil {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists,
			Text: "Mailbox already exists"}
	}
	moves := map[string]string{oldName: newName}
	for name := range u.boxes {
		if rest, ok := strings.CutPrefix(name, oldName+string(delim)); ok {
			moves[name] = newName + string(delim) + rest
		}
	}
	for _, to := range moves {
		if _, movingAway := moves[to]; u.boxes[to] != nil && !movingAway {
			return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAlreadyExists,
				Text: fmt.Sprintf("Mailbox %q already exists", to)}
		}
	}
	renamed := make(map[string]*mailbox, len(moves))
	for from, to := range moves {
		mb := u.boxes[from]
		delete(u.boxes, from)
		renamed[to] = mb
	}
	var firstErr error
	for to, mb := range renamed {
		u.boxes[to] = mb
		if err := mb.setName(to); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func checkMailboxName(name string) error {
	bad := name == "" || len(name) > maxMailboxLen || strings.HasPrefix(name, string(delim)) ||
		strings.Contains(name, string(delim)+string(delim)) || strings.ContainsAny(name, "*%") ||
		strings.IndexFunc(name, unicode.IsControl) >= 0
	if bad {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
			Text: fmt.Sprintf("Invalid mailbox name (at most %d bytes, no wildcards or empty levels)", maxMailboxLen)}
	}
	return nil
}

// list answers LIST and LSUB.
func (u *user) list(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	if len(patterns) == 0 { // LIST "" "": tell the hierarchy delimiter
		return w.WriteList(&imap.ListData{Attrs: []imap.MailboxAttr{imap.MailboxAttrNoSelect}, Delim: delim})
	}
	u.mu.Lock()
	boxes := make([]*mailbox, 0, len(u.boxes))
	parents := make(map[string]bool)
	for name, mb := range u.boxes {
		for i := range len(name) {
			if name[i] == delim {
				parents[name[:i]] = true
			}
		}
		for _, p := range patterns {
			if imapserver.MatchList(name, delim, ref, p) {
				boxes = append(boxes, mb)
				break
			}
		}
	}
	u.mu.Unlock()

	var l []imap.ListData
	for _, mb := range boxes {
		data := mb.listData(options)
		if data == nil {
			continue
		}
		// IMAP4rev2 implies CHILDREN, so every LIST answer says which.
		if parents[data.Mailbox] {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasChildren)
		} else {
			data.Attrs = append(data.Attrs, imap.MailboxAttrHasNoChildren)
		}
		l = append(l, *data)
	}
	slices.SortFunc(l, func(a, b imap.ListData) int { return strings.Compare(a.Mailbox, b.Mailbox) })
	for i := range l {
		if err := w.WriteList(&l[i]); err != nil {
			return err
		}
	}
	return nil
}

func dirExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
