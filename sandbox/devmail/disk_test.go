package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// realisticMessage is an email like acctflow's: headers, a text part and an
// HTML alternative, size bytes in all (4–8 KB in the flow).
func realisticMessage(i, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Account Provisioning <provisioning@acctflow.localhost>\r\nTo: Dana Whitfield <contact%d@fabrikam.example>\r\n"+
		"Subject: Customer Account Provision Request Received [REQ-%06d]\r\nMessage-ID: <REQ-%06d.0123456789ab.confirmation@acctflow.localhost>\r\n"+
		"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b%d\r\n\r\n--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		i%300, i, i, i, i)
	line := fmt.Sprintf("Request %d: please reply with the root email, the account nickname and the support type.\r\n", i)
	for b.Len() < size/2 {
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "--b%d\r\nContent-Type: text/html; charset=utf-8\r\n\r\n", i)
	for b.Len() < size-16 {
		b.WriteString("<p>" + line + "</p>")
	}
	fmt.Fprintf(&b, "\r\n--b%d--\r\n", i)
	return b.Bytes()
}

func inboxOf(t testing.TB, sb *Sandbox, addr string) *mailbox {
	t.Helper()
	u, _ := sb.store.user(addr, false)
	if u == nil {
		t.Fatalf("no user %s", addr)
	}
	mb, err := u.get("INBOX")
	if err != nil {
		t.Fatal(err)
	}
	return mb
}

// With a Dir, memory holds no message beyond the cache's bound, and every
// message is still served whole, before and after a restart.
func TestDiskStoreKeepsOnlyTheCacheInMemory(t *testing.T) {
	dir := t.TempDir()
	const cacheBytes = 16 << 10
	cfg := Config{Dir: dir, CacheBytes: cacheBytes}
	sb := startSandbox(t, cfg)
	const n = 60
	sent := make([][]byte, n)
	for i := range n {
		sent[i] = realisticMessage(i, 4096+i*64)
		if err := sb.Deliver(t.Context(), "x@y.example", []string{inboxAddr}, sent[i]); err != nil {
			t.Fatal(err)
		}
	}
	check := func(sb *Sandbox) {
		t.Helper()
		mb := inboxOf(t, sb, inboxAddr)
		mb.mu.Lock()
		for _, m := range mb.msgs {
			if m.raw != nil {
				t.Errorf("message %d held in memory outside the cache", m.uid)
			}
		}
		mb.mu.Unlock()
		c, _ := loginSelect(t, sb, inboxAddr)
		var all imap.UIDSet
		all.AddRange(1, 0)
		msgs, err := c.Fetch(all, &imap.FetchOptions{UID: true, RFC822Size: true, Envelope: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != n {
			t.Fatalf("%d messages fetched, want %d", len(msgs), n)
		}
		for i, m := range msgs {
			got := body(m)
			if !bytes.HasSuffix(got, sent[i]) || m.RFC822Size != int64(len(got)) || m.Envelope == nil ||
				m.Envelope.Subject != fmt.Sprintf("Customer Account Provision Request Received [REQ-%06d]", i) {
				t.Fatalf("message %d: %d bytes, size %d, envelope %+v", i, len(got), m.RFC822Size, m.Envelope)
			}
		}
		if used := sb.store.cache.bytes(); used > cacheBytes {
			t.Fatalf("cache holds %d bytes, bound %d", used, cacheBytes)
		}
		c.Close()
	}
	check(sb)
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	check(startSandbox(t, cfg))
}

// SEARCH reads bodies from disk only for criteria that need them, and
// finds what is there.
func TestSearchTextFromDisk(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		for i := range 5 {
			deliver(t, sb, inboxAddr, fmt.Sprintf("reply %d", i))
		}
		c, _ := loginSelect(t, sb, inboxAddr)
		data, err := c.UIDSearch(&imap.SearchCriteria{
			Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "reply 3"}},
			Body:   []string{"root@acme.example"},
		}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if uids := data.AllUIDs(); len(uids) != 1 || uids[0] != 4 {
			t.Fatalf("SEARCH found %v", uids)
		}
		data, err = c.UIDSearch(&imap.SearchCriteria{Larger: 10, Not: []imap.SearchCriteria{{Text: []string{"reply 1"}}}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if uids := data.AllUIDs(); len(uids) != 4 {
			t.Fatalf("SEARCH NOT TEXT found %v", uids)
		}
	})
}

// A body asked for after its message was expunged is gone, not an error
// that would fail a FETCH of the others.
func TestBodyOfExpungedMessageIsGone(t *testing.T) {
	sb := startSandbox(t, Config{Dir: t.TempDir(), CacheBytes: 1})
	deliver(t, sb, inboxAddr, "one")
	deliver(t, sb, inboxAddr, "two")
	mb := inboxOf(t, sb, inboxAddr)
	mb.mu.Lock()
	first := mb.msgs[0]
	mb.mu.Unlock()
	if raw, err := mb.body(first); err != nil || !bytes.Contains(raw, []byte("Subject: one")) {
		t.Fatalf("before expunge: %q %v", raw, err)
	}
	mb.expungeWhere(func(m *message) bool { return m == first })
	if _, err := mb.body(first); !errors.Is(err, errGone) {
		t.Fatalf("after expunge: %v", err)
	}
}

// Readers and an expunger on one disk mailbox at once: every body a FETCH
// returns is whole, and no FETCH fails.
func TestConcurrentFetchAndExpungeFromDisk(t *testing.T) {
	sb := startSandbox(t, Config{Dir: t.TempDir(), CacheBytes: 1})
	const n = 40
	for i := range n {
		if err := sb.Deliver(t.Context(), "x@y.example", []string{inboxAddr}, realisticMessage(i, 4096)); err != nil {
			t.Fatal(err)
		}
	}
	reader, _ := loginSelect(t, sb, inboxAddr)
	expunger, _ := loginSelect(t, sb, inboxAddr)
	var wg sync.WaitGroup
	wg.Go(func() {
		for uid := imap.UID(1); uid <= n; uid += 2 {
			del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}
			if _, err := expunger.Store(imap.UIDSetNum(uid), del, nil).Collect(); err != nil {
				t.Error(err)
				return
			}
			if err := expunger.UIDExpunge(imap.UIDSetNum(uid)).Close(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 20 {
		var all imap.UIDSet
		all.AddRange(1, 0)
		msgs, err := reader.Fetch(all, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil {
			t.Fatalf("FETCH during expunges: %v", err)
		}
		for _, m := range msgs {
			want := realisticMessage(int(m.UID)-1, 4096)
			if got := body(m); got != nil && !bytes.HasSuffix(got, want) {
				t.Fatalf("UID %d: a torn or foreign body (%d bytes)", m.UID, len(got))
			}
		}
	}
	wg.Wait()
}

// COPY between disk mailboxes links the file instead of reading it; the
// copy outlives the original.
func TestCopyLinksFiles(t *testing.T) {
	sb := startSandbox(t, Config{Dir: t.TempDir(), CacheBytes: 1})
	deliver(t, sb, inboxAddr, "linked")
	c, _ := loginSelect(t, sb, inboxAddr)
	if err := c.Create("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(imap.UIDSetNum(1), "Archive").Wait(); err != nil {
		t.Fatal(err)
	}
	u, _ := sb.store.user(inboxAddr, false)
	archive, err := u.get("Archive")
	if err != nil {
		t.Fatal(err)
	}
	orig, err1 := os.Stat(filepath.Join(inboxOf(t, sb, inboxAddr).metaDir(), "1.eml"))
	copied, err2 := os.Stat(filepath.Join(archive.metaDir(), "1.eml"))
	if err := errors.Join(err1, err2); err != nil || !os.SameFile(orig, copied) {
		t.Fatalf("the copy is not a link of the original: %v", err)
	}
	del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}
	if _, err := c.Store(imap.UIDSetNum(1), del, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if msgs := fetchAll(t, c); len(msgs) != 1 || !bytes.Contains(body(msgs[0]), []byte("Subject: linked")) ||
		int64(len(body(msgs[0]))) != copied.Size() {
		t.Fatalf("copied message after the original was expunged: %d", len(msgs))
	}
}

// A deleted mailbox stays deleted across a restart: its files go with it.
func TestDeletedMailboxStaysDeleted(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Config{Dir: dir})
	deliver(t, sb, inboxAddr, "kept")
	c, _ := loginSelect(t, sb, inboxAddr)
	if err := c.Create("Trash", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Copy(imap.UIDSetNum(1), "Trash").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Trash").Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	sb2 := startSandbox(t, Config{Dir: dir})
	u, _ := sb2.store.user(inboxAddr, false)
	if _, err := u.get("Trash"); err == nil {
		t.Fatal("the deleted mailbox came back after a restart")
	}
	if got := sb2.Messages(inboxAddr); len(got) != 1 {
		t.Fatalf("INBOX has %d messages", len(got))
	}
}
