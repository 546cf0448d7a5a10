package inbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

// The folder is deleted and re-created while the reader sits on the old one;
// after the server restarts, the reader finds a new UIDVALIDITY, reads from
// UID 1 again, takes the new mail and leaves the restored, already processed
// copy alone.
func TestUIDValidityChange(t *testing.T) {
	ts := startServer(t, capsRev2)
	sink, cur := newSink(), newCursor()
	r, _ := runReader(t, testConfig(t, ts), sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	c := ts.client()
	old := testMsg(1, "one")
	appendMsg(t, c, "INBOX", old)
	appendMsg(t, c, "INBOX", testMsg(2, "two"))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 2))
	v1, _ := cur.only(t)

	if err := c.Delete("INBOX").Wait(); err != nil {
		t.Fatalf("deleting INBOX: %v", err)
	}
	if err := c.Create("INBOX", nil).Wait(); err != nil {
		t.Fatalf("re-creating INBOX: %v", err)
	}
	appendMsg(t, c, "INBOX", old, DefaultKeyword) // restored from a backup, say: processed, yet unread
	newMsgs := [][]byte{testMsg(3, "three"), testMsg(4, "four")}
	for _, raw := range newMsgs {
		appendMsg(t, c, "INBOX", raw) // UIDs 2 and 3: at or below the old cursor
	}
	ts.restart()

	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 4))
	got := sink.delivered()[2:]
	v2 := got[0].UIDValidity
	if v2 == v1 {
		t.Fatalf("UIDVALIDITY did not change (%d); the test proves nothing", v1)
	}
	for i, m := range got {
		if m.UIDValidity != v2 || m.UID != uint32(i+2) || string(m.Raw) != string(newMsgs[i]) {
			t.Errorf("after the change got (%d, %d) %q, want (%d, %d) %q", m.UIDValidity, m.UID, m.Raw, v2, i+2, newMsgs[i])
		}
	}
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		if v, last := cur.only(t); v != v2 || last != 3 {
			return fmt.Errorf("cursor at (%d, %d), want (%d, 3)", v, last, v2)
		}
		return nil
	})
	flags := flagsOf(t, ts.client(), "INBOX")
	if hasFlag(flags[1], imap.FlagSeen) {
		t.Errorf("the already processed message was flagged again: %v", flags[1])
	}
}

func TestReconnectAfterServerDrop(t *testing.T) {
	ts := startServer(t, capsRev2)
	sink, cur := newSink(), newCursor()
	r, _ := runReader(t, testConfig(t, ts), sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))
	appendMsg(t, ts.client(), "INBOX", testMsg(1, "before"))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 1))

	ts.stop()
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		if r.Ready() {
			return errors.New("still ready with the server down")
		}
		return nil
	})
	ts.restart()
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))
	appendMsg(t, ts.client(), "INBOX", testMsg(2, "after"))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 2))
	if got := sink.delivered()[1].UID; got != 2 {
		t.Errorf("after reconnect delivered uid %d, want 2", got)
	}
	if rep := sink.repeats(); len(rep) > 0 {
		t.Errorf("delivered twice: %v", rep)
	}
}

// Mail arrives from two senders at once while the Sink fails now and then:
// every message is delivered exactly once, in order, and the cursor never
// passes a message the Sink has not accepted.
func TestNoMessageDeliveredTwice(t *testing.T) {
	ts := startServer(t, capsRev2)
	sink, cur := newSink(), newCursor()
	failed := map[uint32]bool{}
	sink.fail = func(m Message, attempt int) error {
		if m.UID%5 == 0 && !failed[m.UID] {
			failed[m.UID] = true
			return errors.New("object store unavailable")
		}
		return nil
	}
	cur.check = func(_ string, validity, last uint32) error {
		if last != 0 && !sink.has(validity, last) {
			t.Errorf("cursor saved at %d before the message was delivered", last)
		}
		return nil
	}
	r, _ := runReader(t, testConfig(t, ts), sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	const perSender = 20
	var wg sync.WaitGroup
	for s := range 2 {
		c := ts.client()
		wg.Go(func() {
			for i := range perSender {
				if _, err := appendRaw(c, "INBOX", testMsg(s*100+i, "reply")); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 2*perSender))
	if rep := sink.repeats(); len(rep) > 0 {
		t.Errorf("delivered twice: %v", rep)
	}
	for i, m := range sink.delivered() {
		if m.UID != uint32(i+1) {
			t.Errorf("delivery %d has uid %d", i, m.UID)
		}
	}
	if len(failed) == 0 {
		t.Error("the Sink never failed; the test proves less than it claims")
	}
	if _, last := cur.only(t); last != 2*perSender {
		t.Errorf("cursor at %d, want %d", last, 2*perSender)
	}
}

// When the cursor cannot be saved, nothing is flagged and nothing is lost:
// the messages are delivered again (the Sink deduplicates) until it can.
func TestCursorSaveFailureLosesNothing(t *testing.T) {
	ts := startServer(t, capsRev2)
	sink, cur := newSink(), newCursor()
	c := ts.client()
	fails := 0
	cur.check = func(_ string, _, last uint32) error {
		if last == 0 || fails >= 3 {
			return nil
		}
		fails++
		flags, err := flagsOfErr(c, "INBOX") // runs on the reader's goroutine: no t.Fatal
		if err != nil {
			t.Error(err)
		}
		for uid, flags := range flags {
			if hasFlag(flags, DefaultKeyword) {
				t.Errorf("uid %d flagged before the cursor was saved", uid)
			}
		}
		return errors.New("kv unavailable")
	}
	appendMsg(t, c, "INBOX", testMsg(1, "one"))
	appendMsg(t, c, "INBOX", testMsg(2, "two"))
	r, _ := runReader(t, testConfig(t, ts), sink, cur)
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))

	if _, last := cur.only(t); last != 2 || fails != 3 {
		t.Errorf("cursor at %d after %d failed saves, want 2 after 3", last, fails)
	}
	for uid := uint32(1); uid <= 2; uid++ {
		if !sink.has(1, uid) {
			t.Errorf("uid %d never delivered", uid)
		}
	}
	if len(sink.repeats()) == 0 {
		t.Error("no repeated delivery: the failed saves were not retried from the old cursor")
	}
}

func TestRunEndsWithContextWhileServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	r, err := NewReader(Config{Addr: addr, TLS: TLSNone, Username: testUser, Backoff: retryFast, Logger: testLogger(t)}, newSink(), newCursor())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := r.Run(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v, want the context's error", err)
	}
	if r.Ready() {
		t.Error("ready without ever connecting")
	}
}
