package devmail

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// load reads every mailbox kept on disk. A damaged mailbox or message is
// logged and skipped rather than keeping the sandbox from starting.
func (st *store) load(ctx context.Context, maxMessageBytes int64) error {
	entries, err := os.ReadDir(st.disk.root)
	if err != nil {
		return fmt.Errorf("reading sandbox mail dir: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("loading sandbox mailboxes: %w", err)
		}
		if !e.IsDir() {
			continue
		}
		addr, err := unescapeName(e.Name())
		if err == nil && escapeName(addr) != e.Name() {
			err = errors.New("not a name the sandbox writes")
		}
		if err != nil {
			st.log.Warn("skipping a directory in the sandbox mail dir", "name", e.Name(), "err", err)
			continue
		}
		if err := st.loadUser(addr, maxMessageBytes); err != nil {
			st.log.Warn("skipping a sandbox user", "user", maskAddress(addr), "err", err)
		}
	}
	return nil
}

func (st *store) loadUser(addr string, maxMessageBytes int64) error {
	dir := st.disk.userDir(addr)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", dir, err)
	}
	u := newUser(st, addr)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		mb, err := st.loadMailbox(addr, filepath.Join(dir, e.Name()), maxMessageBytes)
		if err == nil && u.boxes[mb.name] != nil {
			err = fmt.Errorf("second mailbox named %q", mb.name)
		}
		if err != nil {
			st.log.Warn("skipping a sandbox mailbox", "user", maskAddress(addr), "dir", e.Name(), "err", err)
			continue
		}
		u.boxes[mb.name] = mb
		u.lastValidity = max(u.lastValidity, mb.uidValidity)
		st.used.Add(mb.bytes)
	}
	st.users[addr] = u
	return nil
}

func (st *store) loadMailbox(owner, dir string, maxMessageBytes int64) (*mailbox, error) {
	b, err := readBounded(filepath.Join(dir, metaFile), maxMetaLen)
	if err != nil {
		return nil, err
	}
	var meta mailboxMeta
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", metaFile, err)
	}
	if meta.Name != "INBOX" {
		if err := checkMailboxName(meta.Name); err != nil {
			return nil, fmt.Errorf("mailbox name %q: %w", meta.Name, err)
		}
	}
	if strconv.FormatUint(uint64(meta.UIDValidity), 10) != filepath.Base(dir) {
		return nil, fmt.Errorf("UIDVALIDITY %d does not match the directory", meta.UIDValidity)
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var msgs []*message
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) { // left by a killed process
			os.Remove(filepath.Join(dir, name))
			continue
		}
		num, ok := strings.CutSuffix(name, ".eml")
		if !ok {
			continue
		}
		uid, err := strconv.ParseUint(num, 10, 32)
		if err != nil || uid == 0 {
			continue
		}
		m, err := loadMessage(dir, imap.UID(uid), maxMessageBytes)
		if err != nil {
			st.log.Warn("skipping a sandbox message", "err", err)
			continue
		}
		msgs = append(msgs, m)
	}
	slices.SortFunc(msgs, func(a, b *message) int { return cmp.Compare(a.uid, b.uid) })
	removeOrphanFlags(dir, entries, msgs)

	uidNext := imap.UID(max(meta.UIDNext, 1))
	if n := len(msgs); n > 0 && msgs[n-1].uid >= uidNext {
		uidNext = msgs[n-1].uid + 1
	}
	mb := newMailbox(st, owner, meta.Name, meta.UIDValidity, uidNext, msgs)
	mb.dir = dir
	mb.subscribed = meta.Subscribed
	return mb, nil
}

// loadMessage reads a message's flags and date; the message itself stays on
// disk until a client asks for it.
func loadMessage(dir string, uid imap.UID, maxMessageBytes int64) (*message, error) {
	info, err := os.Stat(emlPath(dir, uid))
	if err != nil {
		return nil, fmt.Errorf("reading message %d: %w", uid, err)
	}
	// Allow for the trace headers added on delivery.
	if limit := maxMessageBytes + 64<<10; info.Size() > limit || !info.Mode().IsRegular() {
		return nil, fmt.Errorf("reading %s: not a file of at most %d bytes", emlPath(dir, uid), limit)
	}
	m := &message{uid: uid, size: info.Size(), flags: flagSet{}}
	b, err := readBounded(flagsPath(dir, uid), maxMetaLen)
	var meta messageMeta
	if err == nil {
		err = json.Unmarshal(b, &meta)
	}
	if err == nil {
		m.flags = newFlagSet(meta.Flags)
		m.date = meta.Date
	}
	if m.date.IsZero() { // flags lost: keep the message, dated by its file
		m.date = info.ModTime()
	}
	return m, nil
}

// removeOrphanFlags deletes flag files whose message is gone: expunge
// removes the .eml first.
func removeOrphanFlags(dir string, entries []fs.DirEntry, msgs []*message) {
	have := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		have[strconv.FormatUint(uint64(m.uid), 10)] = true
	}
	for _, e := range entries {
		num, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && e.Name() != metaFile && !have[num] {
			if _, err := os.Stat(filepath.Join(dir, num+".eml")); errors.Is(err, fs.ErrNotExist) {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("reading %s: larger than %d bytes", path, limit)
	}
	return b, nil
}
