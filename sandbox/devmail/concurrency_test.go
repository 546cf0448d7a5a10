package devmail

import (
	"fmt"
	"sync"
	"testing"

	"github.com/acctflow/acctflow/retry"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-smtp"
)

// Concurrent SMTP and Deliver traffic while an IMAP client flags and
// expunges: UIDs must stay strictly ascending in sequence order, and no
// message may be lost or doubled.
func TestConcurrentDeliveriesAndExpunges(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		const senders, each = 4, 25
		var wg sync.WaitGroup
		for s := range senders {
			wg.Go(func() {
				c, err := smtp.Dial(sb.SMTPAddr()) // not dialSMTP: no t.Fatal off the test goroutine
				if err != nil {
					t.Errorf("dialing SMTP: %v", err)
					return
				}
				defer c.Close()
				for i := range each {
					msg := testMessage(fmt.Sprintf("s%d m%d", s, i))
					var err error
					if i%2 == 0 {
						err = sendRaw(c, "x@y.example", []string{"a@d.example", "b@d.example"}, msg)
					} else {
						err = sb.Deliver(t.Context(), "x@y.example", []string{"a@d.example", "b@d.example"}, msg)
					}
					if err != nil {
						t.Errorf("delivery: %v", err)
						return
					}
				}
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()

		c, _ := loginSelect(t, sb, "a@d.example")
		expunged := 0
		for finished := false; !finished; {
			select {
			case <-done:
				finished = true
			default:
			}
			if err := c.Noop().Wait(); err != nil {
				t.Fatal(err)
			}
			msgs := fetchAll(t, c)
			var odd imap.UIDSet
			for i, m := range msgs {
				if i > 0 && m.UID <= msgs[i-1].UID {
					t.Fatalf("UIDs out of order: %d after %d", m.UID, msgs[i-1].UID)
				}
				if m.UID%2 == 1 {
					odd.AddNum(m.UID)
				}
			}
			if len(odd) == 0 {
				continue
			}
			del := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}
			if _, err := c.Store(odd, del, nil).Collect(); err != nil {
				t.Fatal(err)
			}
			data, err := c.UIDExpunge(odd).Collect()
			if err != nil {
				t.Fatal(err)
			}
			expunged += len(data)
		}
		if err := c.Noop().Wait(); err != nil {
			t.Fatal(err)
		}
		left := len(fetchAll(t, c))
		if total := senders * each; left+expunged != total || len(sb.Messages("b@d.example")) != total {
			t.Errorf("a: %d left + %d expunged, b: %d; want %d each", left, expunged, len(sb.Messages("b@d.example")), total)
		}
	})
}

// A delivery to several recipients is all or nothing even when mailboxes
// fill up under concurrent traffic.
func TestMultiRecipientDeliveryIsAtomic(t *testing.T) {
	eachStore(t, Config{MaxMailboxMessages: 10}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		for i := range 5 {
			deliver(t, sb, "x@d.example", fmt.Sprint("pre ", i))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := range 20 {
			wg.Go(func() {
				err := sb.Deliver(t.Context(), "", []string{"y@d.example", "x@d.example"}, testMessage(fmt.Sprint("m", i)))
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if retry.IsPermanent(err) {
					t.Errorf("a full mailbox must be a temporary failure: %v", err)
				}
			})
		}
		wg.Wait()
		x, y := len(sb.Messages("x@d.example")), len(sb.Messages("y@d.example"))
		if ok != 5 || x != 10 || y != 5 {
			t.Errorf("%d deliveries succeeded, x has %d (want 10), y has %d (want 5)", ok, x, y)
		}
	})
}

func TestStoreBoundAndPermanentErrors(t *testing.T) {
	eachStore(t, Config{MaxStoreBytes: 600, MaxMessageBytes: 600}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		err := sb.Deliver(t.Context(), "", []string{"a@d.example", "b@d.example"}, testMessage("two copies"))
		if err != nil {
			t.Fatalf("first delivery: %v", err)
		}
		err = sb.Deliver(t.Context(), "", []string{"c@d.example", "d@d.example"}, testMessage("over the store bound"))
		if err == nil || retry.IsPermanent(err) || smtpReply(err).Code != 452 {
			t.Errorf("store full: got %v, want a temporary 452", err)
		}
		for _, bad := range []struct {
			from string
			to   []string
			raw  []byte
		}{
			{"", []string{"a@d.example"}, make([]byte, 601)},
			{"", []string{"not an address"}, testMessage("x")},
			{"x@y\r\nBcc: z@w", []string{"a@d.example"}, testMessage("x")},
			{"", nil, testMessage("x")},
		} {
			if err := sb.Deliver(t.Context(), bad.from, bad.to, bad.raw); !retry.IsPermanent(err) {
				t.Errorf("Deliver(%q, %q, %d bytes): got %v, want a permanent error", bad.from, bad.to, len(bad.raw), err)
			}
		}
		if got := len(sb.Messages("a@d.example")); got != 1 {
			t.Errorf("a has %d messages, want 1", got)
		}
	})
}
