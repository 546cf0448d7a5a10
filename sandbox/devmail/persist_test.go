package devmail

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// What acctflow's IMAP cursor relies on across a restart of the sandbox:
// same UIDVALIDITY, same UIDs, flags kept, and no UID ever handed out twice.
func TestRestartKeepsMailUIDsAndFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Dir: dir}

	sb, err := Start(t.Context(), Config{Dir: dir, Logger: newTestLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"one", "two", "three", "four"} {
		deliver(t, sb, inboxAddr, s)
	}
	c, sel := loginSelect(t, sb, inboxAddr)
	if err := c.Create("Archive/2026", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagSeen, "$AcctflowProcessed"}}
	if _, err := c.Store(imap.UIDSetNum(1), store, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}
	if _, err := c.Store(imap.UIDSetNum(4), del, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(2), "Archive/2026").Wait(); err != nil {
		t.Fatal(err)
	}
	before := sb.Messages(inboxAddr)
	c.Close()
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}

	sb2 := startSandbox(t, cfg)
	if got := sb2.Messages(inboxAddr); !slices.EqualFunc(got, before, bytes.Equal) {
		t.Fatalf("after restart INBOX has %d messages, before %d (or they differ)", len(got), len(before))
	}
	c2, sel2 := loginSelect(t, sb2, inboxAddr)
	if sel2.UIDValidity != sel.UIDValidity || sel2.UIDNext != 5 {
		t.Errorf("UIDVALIDITY %d→%d, UIDNEXT %d (want 5)", sel.UIDValidity, sel2.UIDValidity, sel2.UIDNext)
	}
	msgs := fetchAll(t, c2)
	if len(msgs) != 2 || msgs[0].UID != 1 || msgs[1].UID != 3 {
		t.Fatalf("UIDs after restart: %+v", msgs)
	}
	if !slices.Contains(msgs[0].Flags, "$AcctflowProcessed") || !slices.Contains(msgs[0].Flags, imap.FlagSeen) {
		t.Errorf("flags after restart: %v", msgs[0].Flags)
	}
	// The expunged UID 4 must not come back for new mail.
	deliver(t, sb2, inboxAddr, "five")
	if err := c2.Noop().Wait(); err != nil { // a session sees new mail once told (EXISTS)
		t.Fatal(err)
	}
	if msgs := fetchAll(t, c2); msgs[len(msgs)-1].UID != 5 {
		t.Errorf("new mail got UID %d, want 5", msgs[len(msgs)-1].UID)
	}
	if _, err := c2.Select("Archive/2026", nil).Wait(); err != nil {
		t.Fatalf("moved-to mailbox lost: %v", err)
	}
	if msgs := fetchAll(t, c2); len(msgs) != 1 || !bytes.Contains(body(msgs[0]), []byte("Subject: two")) {
		t.Errorf("Archive/2026 after restart: %d messages", len(msgs))
	}
}

// Leftovers of a killed process and foreign files must not stop a start.
func TestRestartSkipsDamage(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Config{Dir: dir})
	deliver(t, sb, inboxAddr, "kept")
	deliver(t, sb, inboxAddr, "flags lost")
	if err := sb.Close(); err != nil {
		t.Fatal(err)
	}
	box := filepath.Join(dir, escapeName(inboxAddr))
	entries, err := os.ReadDir(box)
	if err != nil || len(entries) != 1 {
		t.Fatalf("want one mailbox dir in %s: %v %v", box, entries, err)
	}
	box = filepath.Join(box, entries[0].Name())
	for name, content := range map[string]string{
		filepath.Join(box, ".tmp-123"):        "half a message",
		filepath.Join(box, "9.json"):          `{"flags":["\\Seen"]}`, // orphan
		filepath.Join(box, "2.json"):          "not json",
		filepath.Join(box, "x.eml"):           "not a uid",
		filepath.Join(dir, "README"):          "foreign file",
		filepath.Join(dir, "UPPER@x", "junk"): "not a name the sandbox writes",
	} {
		os.MkdirAll(filepath.Dir(name), 0o700)
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sb2 := startSandbox(t, Config{Dir: dir})
	if got := sb2.Messages(inboxAddr); len(got) != 2 {
		t.Fatalf("after restart: %d messages, want 2", len(got))
	}
	for _, gone := range []string{".tmp-123", "9.json"} {
		if _, err := os.Stat(filepath.Join(box, gone)); err == nil {
			t.Errorf("%s was not cleaned up", gone)
		}
	}
}

// UIDVALIDITY is time-based, so a memory-only sandbox restarted after a
// second hands out new values and clients holding a UID cursor start over;
// within one store a re-created mailbox never gets an old value back.
func TestUIDValidityNeverRepeats(t *testing.T) {
	start := uint32(time.Now().Unix())
	sb := startSandbox(t, Config{})
	c, sel := loginSelect(t, sb, inboxAddr)
	if sel.UIDValidity < start {
		t.Errorf("UIDVALIDITY %d is not time-based (start %d)", sel.UIDValidity, start)
	}
	seen := map[uint32]bool{sel.UIDValidity: true}
	for range 3 {
		if err := c.Create("X", nil).Wait(); err != nil {
			t.Fatal(err)
		}
		st, err := c.Status("X", &imap.StatusOptions{UIDValidity: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if seen[st.UIDValidity] {
			t.Fatalf("UIDVALIDITY %d handed out twice", st.UIDValidity)
		}
		seen[st.UIDValidity] = true
		if err := c.Delete("X").Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// Everything acknowledged is on disk before the reply: a second instance
// reading the directory while the first still runs sees what a restart
// after kill -9 would. (Two live instances must not share a directory;
// this only stands in for the crash.)
func TestAcknowledgedMailIsOnDiskWithoutClose(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, Config{Dir: dir})
	if err := sendRaw(dialSMTP(t, sb), "jane@northwind.example", []string{"acct-replies+REQ-9.x@acctflow.localhost"},
		testMessage("acked")); err != nil {
		t.Fatal(err)
	}
	c, _ := loginSelect(t, sb, inboxAddr)
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{"$AcctflowProcessed"}}
	if _, err := c.Store(imap.UIDSetNum(1), store, nil).Collect(); err != nil {
		t.Fatal(err)
	}
	crashed := startSandbox(t, Config{Dir: dir})
	if got := crashed.Messages(inboxAddr); len(got) != 1 || !bytes.Contains(got[0], []byte("Subject: acked")) {
		t.Fatalf("second instance sees %d messages", len(got))
	}
	c2, _ := loginSelect(t, crashed, inboxAddr)
	if msgs := fetchAll(t, c2); !slices.Contains(msgs[0].Flags, "$AcctflowProcessed") {
		t.Errorf("flags on disk: %v", msgs[0].Flags)
	}
}
