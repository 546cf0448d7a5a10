package inbox

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
	"github.com/emersion/go-imap/v2"
)

var retryFast = retry.Policy{Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}

const waitLong = 10 * time.Second

// checkIngested verifies that want arrived in order, whole and once, that the
// server shows them processed, and that the cursor sits on the last one.
func checkIngested(t *testing.T, ts *testServer, sink *memSink, cur *memCursor, want [][]byte) {
	t.Helper()
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, len(want)))
	got := sink.delivered()
	for i, m := range got {
		if m.UID != uint32(i+1) || !bytes.Equal(m.Raw, want[i]) || m.Oversize || m.Size != int64(len(want[i])) {
			t.Errorf("message %d: uid %d size %d oversize %v raw %q; want uid %d raw %q", i, m.UID, m.Size, m.Oversize, m.Raw, i+1, want[i])
		}
		if m.Folder != "INBOX" || m.Account != "imap://inbox%40acctflow.example@"+ts.addr || m.UIDValidity == 0 {
			t.Errorf("message %d: account %q folder %q uidvalidity %d", i, m.Account, m.Folder, m.UIDValidity)
		}
	}
	if r := sink.repeats(); len(r) > 0 {
		t.Errorf("delivered twice: %v", r)
	}
	c := ts.client()
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		for uid, flags := range flagsOf(t, c, "INBOX") {
			if !hasFlag(flags, imap.FlagSeen) || !hasFlag(flags, DefaultKeyword) {
				return fmt.Errorf("uid %d has flags %v", uid, flags)
			}
		}
		return nil
	})
	if v, last := cur.only(t); v != got[0].UIDValidity || last != uint32(len(want)) {
		t.Errorf("cursor at (%d, %d), want (%d, %d)", v, last, got[0].UIDValidity, len(want))
	}
}

func TestNewMailViaIdle(t *testing.T) {
	for name, caps := range map[string]imap.CapSet{"imap4rev1": capsRev1, "imap4rev2": capsRev2} {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, caps)
			sink, cur := newSink(), newCursor()
			r, _ := runReader(t, testConfig(t, ts), sink, cur) // Poll is an hour: only IDLE is fast
			checkFor(t, waitLong, 5*time.Millisecond, ready(r))

			c := ts.client()
			var want [][]byte
			for i := 1; i <= 3; i++ {
				raw := testMsg(i, fmt.Sprintf("Root email: root%d@acme.example", i))
				appendMsg(t, c, "INBOX", raw)
				want = append(want, raw)
			}
			checkIngested(t, ts, sink, cur, want)
		})
	}
}

func TestNewMailViaPolling(t *testing.T) {
	ts := startServer(t, capsRev2)
	cfg := testConfig(t, ts)
	cfg.DisableIdle, cfg.Poll = true, 20*time.Millisecond
	sink, cur := newSink(), newCursor()
	r, _ := runReader(t, cfg, sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	c := ts.client()
	want := [][]byte{testMsg(1, "Support type: Business"), testMsg(2, "Support type: Developer")}
	for _, raw := range want {
		appendMsg(t, c, "INBOX", raw)
	}
	checkIngested(t, ts, sink, cur, want)
}

// Mail that arrived while acctflow was down is read on start, in batches and
// groups, and what already carries the keyword is left alone.
func TestCatchUpOnStart(t *testing.T) {
	ts := startServer(t, capsRev2)
	c := ts.client()
	const n = batchSize + groupCount + 7 // several batches and groups
	for i := 1; i <= n; i++ {
		var flags []imap.Flag
		if i%50 == 0 {
			flags = []imap.Flag{DefaultKeyword}
		}
		appendMsg(t, c, "INBOX", testMsg(i, "x"), flags...)
	}
	sink, cur := newSink(), newCursor()
	r, _ := runReader(t, testConfig(t, ts), sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	want := n - n/50
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, want))
	got := sink.delivered()
	for i, m := range got {
		if m.UID%50 == 0 {
			t.Errorf("message %d carries the processed keyword but was delivered", m.UID)
		}
		if i > 0 && m.UID <= got[i-1].UID {
			t.Errorf("delivered out of order: %d after %d", m.UID, got[i-1].UID)
		}
	}
	if _, last := cur.only(t); last != n {
		t.Errorf("cursor at %d, want %d", last, n)
	}
}

// A new Reader with the same Cursor starts where the last one stopped, even
// when the messages lost their flags meanwhile (so only the cursor can tell,
// and "UID 3:*" still matches message 2, the highest: it must be filtered).
func TestCursorSurvivesRestart(t *testing.T) {
	ts := startServer(t, capsRev2)
	sink, cur := newSink(), newCursor()
	cfg := testConfig(t, ts)
	r, stop := runReader(t, cfg, sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))
	c := ts.client()
	appendMsg(t, c, "INBOX", testMsg(1, "one"))
	appendMsg(t, c, "INBOX", testMsg(2, "two"))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 2))
	stop()

	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	unflag := &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: []imap.Flag{imap.FlagSeen, DefaultKeyword}}
	if err := c.Store(imap.UIDSet{{Start: 1, Stop: 0}}, unflag, nil).Close(); err != nil {
		t.Fatal(err)
	}

	r2, _ := runReader(t, cfg, sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r2)) // caught up: nothing new
	appendMsg(t, c, "INBOX", testMsg(3, "three"))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 3))
	if got := sink.delivered()[2].UID; got != 3 {
		t.Errorf("after restart delivered uid %d, want 3", got)
	}
	if r := sink.repeats(); len(r) > 0 {
		t.Errorf("delivered twice across restart: %v", r)
	}
}

func TestOversizeDeliversHeaderOnly(t *testing.T) {
	ts := startServer(t, capsRev2)
	cfg := testConfig(t, ts)
	cfg.MaxSize = 4096
	sink, cur := newSink(), newCursor()

	// BODY.PEEK: while the Sink has a message, the server must not show it
	// \Seen yet (we flag only after the cursor is saved).
	peek := ts.client()
	if _, err := peek.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	sink.fail = func(m Message, _ int) error {
		bufs, err := peek.Fetch(imap.UIDSetNum(imap.UID(m.UID)), &imap.FetchOptions{Flags: true}).Collect()
		if err != nil || len(bufs) != 1 {
			t.Errorf("fetching flags of %d: %v (%d results)", m.UID, err, len(bufs))
		} else if hasFlag(bufs[0].Flags, imap.FlagSeen) {
			t.Errorf("message %d was \\Seen before it was stored", m.UID)
		}
		return nil
	}
	r, _ := runReader(t, cfg, sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	c := ts.client()
	small := testMsg(1, "Root email: a@acme.example")
	big := testMsg(2, string(bytes.Repeat([]byte("0123456789abcdef\r\n"), 1200))) // ~21 KiB
	appendMsg(t, c, "INBOX", small)
	appendMsg(t, c, "INBOX", big)
	appendMsg(t, c, "INBOX", small)
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 3))

	got := sink.delivered()
	header := big[:bytes.Index(big, []byte("\r\n\r\n"))+4]
	if m := got[1]; !m.Oversize || !bytes.Equal(m.Raw, header) || m.Size != int64(len(big)) {
		t.Errorf("oversize message: oversize %v size %d raw %q; want header %q and size %d", m.Oversize, m.Size, m.Raw, header, len(big))
	}
	for _, i := range []int{0, 2} {
		if m := got[i]; m.Oversize || !bytes.Equal(m.Raw, small) {
			t.Errorf("message %d: oversize %v raw %q", m.UID, m.Oversize, m.Raw)
		}
	}
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		for uid, flags := range flagsOf(t, c, "INBOX") {
			if !hasFlag(flags, imap.FlagSeen) || !hasFlag(flags, DefaultKeyword) {
				return fmt.Errorf("uid %d has flags %v", uid, flags)
			}
		}
		return nil
	})
}

func TestMoveTo(t *testing.T) {
	cases := map[string]struct {
		caps  imap.CapSet
		moved bool // a server without MOVE/UIDPLUS only gets flags
	}{
		"with MOVE":    {capsRev2, true},
		"without MOVE": {capsRev1, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts := startServer(t, tc.caps)
			cfg := testConfig(t, ts)
			cfg.MoveTo = "Acctflow/Processed" // does not exist yet: created on TRYCREATE
			sink, cur := newSink(), newCursor()
			r, _ := runReader(t, cfg, sink, cur)
			checkFor(t, waitLong, 5*time.Millisecond, ready(r))

			c := ts.client()
			appendMsg(t, c, "INBOX", testMsg(1, "one"))
			appendMsg(t, c, "INBOX", testMsg(2, "two"))
			checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 2))

			folder := "INBOX"
			if tc.moved {
				folder = cfg.MoveTo
			}
			checkFor(t, waitLong, 5*time.Millisecond, func() error {
				if tc.moved {
					if n := len(flagsOf(t, c, "INBOX")); n != 0 {
						return fmt.Errorf("INBOX still holds %d messages", n)
					}
				}
				got := flagsOf(t, c, folder)
				if len(got) != 2 {
					return fmt.Errorf("%s holds %d messages, want 2", folder, len(got))
				}
				for uid, flags := range got {
					if !hasFlag(flags, imap.FlagSeen) || !hasFlag(flags, DefaultKeyword) {
						return fmt.Errorf("uid %d in %s has flags %v", uid, folder, flags)
					}
				}
				return nil
			})
		})
	}
}
