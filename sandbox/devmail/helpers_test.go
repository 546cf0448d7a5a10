package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// testLog sends the sandbox's log to t.Log and fails the test on any
// ERROR record (recovered panics, broken servers). It goes quiet once the
// test's cleanups have run, so a late line cannot panic the test binary.
type testLog struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Log(strings.TrimSpace(string(p)))
		if bytes.Contains(p, []byte("level=ERROR")) {
			l.t.Errorf("sandbox logged an error: %s", p)
		}
	}
	return len(p), nil
}

func newTestLogger(t *testing.T) *slog.Logger {
	l := &testLog{t: t}
	t.Cleanup(func() { l.mu.Lock(); l.done = true; l.mu.Unlock() })
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startSandbox starts a sandbox on random loopback ports, closed at cleanup.
func startSandbox(t *testing.T, cfg Config) *Sandbox {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = newTestLogger(t)
	}
	sb, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return sb
}

// checkFor polls cond until it returns nil or total elapses.
func checkFor(t *testing.T, total, every time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", total, err)
		}
		time.Sleep(every)
	}
}

func dialIMAP(t *testing.T, sb *Sandbox, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(sb.IMAPAddr(), opts)
	if err != nil {
		t.Fatalf("dialing IMAP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// loginSelect logs in as user and selects INBOX.
func loginSelect(t *testing.T, sb *Sandbox, user string) (*imapclient.Client, *imap.SelectData) {
	t.Helper()
	c := dialIMAP(t, sb, nil)
	if err := c.Login(user, "any password").Wait(); err != nil {
		t.Fatalf("LOGIN %s: %v", user, err)
	}
	data, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatalf("SELECT INBOX: %v", err)
	}
	return c, data
}

// fetchAll returns every message of the selected mailbox: UID, flags and
// the whole message, without setting \Seen.
func fetchAll(t *testing.T, c *imapclient.Client) []*imapclient.FetchMessageBuffer {
	t.Helper()
	var all imap.UIDSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{
		UID: true, Flags: true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	}).Collect()
	if err != nil {
		t.Fatalf("UID FETCH 1:*: %v", err)
	}
	return msgs
}

func body(m *imapclient.FetchMessageBuffer) []byte {
	for _, b := range m.BodySection {
		return b.Bytes
	}
	return nil
}

func dialSMTP(t *testing.T, sb *Sandbox) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(sb.SMTPAddr())
	if err != nil {
		t.Fatalf("dialing SMTP: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendRaw runs one SMTP transaction; the error is the server's reply.
func sendRaw(c *smtp.Client, from string, to []string, msg []byte) error {
	return c.SendMail(from, to, bytes.NewReader(msg))
}

func testMessage(subject string) []byte {
	return fmt.Appendf(nil, "From: Jane <jane@northwind.example>\r\nTo: acct-replies@acctflow.localhost\r\n"+
		"Subject: %s\r\nMessage-ID: <%s@test>\r\n\r\nRoot email: root@acme.example\r\n", subject, strings.ReplaceAll(subject, " ", "."))
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// eachStore runs a test against the three ways the sandbox keeps mail: in
// memory, on disk with the body cache, and on disk with a cache too small to
// hold any message (every body read from its file).
func eachStore(t *testing.T, cfg Config, test func(t *testing.T, cfg Config)) {
	t.Helper()
	for _, mode := range []struct {
		name  string
		disk  bool
		cache int64
	}{{"memory", false, 0}, {"disk", true, 0}, {"disk-uncached", true, 1}} {
		t.Run(mode.name, func(t *testing.T) {
			c := cfg
			if mode.disk {
				c.Dir, c.CacheBytes = t.TempDir(), mode.cache
			}
			test(t, c)
		})
	}
}
