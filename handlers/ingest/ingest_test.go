package ingest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/ingest"
	"github.com/acctflow/acctflow/mailer/inbox"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

const box = "acct-replies@acctflow.localhost"

type env struct {
	conn    *broker.Conn
	sb      *devmail.Sandbox
	objects jetstream.ObjectStore
	cursor  ingest.Cursor
}

func setup(t testing.TB) *env {
	t.Helper()
	e := &env{conn: brokertest.Connect(t, brokertest.Server(t))}
	var err error
	e.objects, err = e.conn.JS.ObjectStore(context.Background(), broker.ObjectMailRaw)
	must(t, err)
	e.cursor = ingest.Cursor{KV: brokertest.KV(t, e.conn, broker.BucketIMAPCursor)}
	e.sb = mailtest.Sandbox(t, devmail.Config{})
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// counting wraps the real sink to prove the reader hands nothing over twice.
type counting struct {
	inbox.Sink
	mu   sync.Mutex
	seen map[uint32]int
	n    atomic.Int64
}

func (c *counting) Deliver(ctx context.Context, m inbox.Message) error {
	if err := c.Sink.Deliver(ctx, m); err != nil {
		return err
	}
	c.mu.Lock()
	c.seen[m.UID]++
	c.mu.Unlock()
	c.n.Add(1)
	return nil
}

func (c *counting) twice() []uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []uint32
	for uid, n := range c.seen {
		if n > 1 {
			out = append(out, uid)
		}
	}
	return out
}

// run starts a reader on the sandbox's workflow inbox until stop is called.
func (e *env) run(t testing.TB, sink inbox.Sink, maxSize int64) (stop func()) {
	t.Helper()
	r, err := inbox.NewReader(inbox.Config{
		Addr: e.sb.IMAPAddr(), TLS: inbox.TLSNone, Username: box, Password: "x",
		Poll: 100 * time.Millisecond, MaxSize: maxSize, Logger: brokertest.Logger(t),
	}, sink, e.cursor)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("reader: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func (e *env) sink(t testing.TB) *ingest.Sink {
	return &ingest.Sink{Objects: e.objects, JS: e.conn.JS, Logger: brokertest.Logger(t), Now: time.Now}
}

func msg(i int, body string) []byte {
	return []byte(fmt.Sprintf("From: Jane <jane@northwind.example>\r\nTo: %s\r\nSubject: Re: [REQ-1001]\r\nMessage-ID: <m%d@northwind.example>\r\n\r\n%s\r\n", box, i, body))
}

func (e *env) mail(t testing.TB, raw []byte) {
	t.Helper()
	must(t, e.sb.Deliver(context.Background(), "jane@northwind.example", []string{box}, raw))
}

func TestIMAPToObjectStoreToEventAcrossRestart(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := &counting{Sink: e.sink(t), seen: map[uint32]int{}}
	stop := e.run(t, c, 0)
	for i := range 3 {
		e.mail(t, msg(i, fmt.Sprintf("Root email: r%d@acme.example", i)))
	}
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 3)

	var ev events.ReplyReceived
	m := brokertest.Messages(t, e.conn, events.SubjectReplyReceived)[0]
	must(t, events.Unmarshal("reply-received", m.Data(), &ev))
	raw, err := e.objects.GetBytes(ctx, ev.Object)
	must(t, err)
	if !strings.Contains(string(raw), "Root email: r0@acme.example") || ev.Object != ingest.ObjectName(raw) ||
		ev.MessageID != "m0@northwind.example" || ev.UID != 1 || ev.UIDValidity == 0 || ev.Oversize ||
		!strings.HasSuffix(ev.Mailbox, "/INBOX") || m.Headers().Get("Nats-Msg-Id") == "" {
		t.Fatalf("event %+v headers %v", ev, m.Headers())
	}
	if ev.ReplyID != ingest.ReplyID("m0@northwind.example", "jane@northwind.example", raw) {
		t.Fatalf("reply id %s", ev.ReplyID)
	}
	// New mail while polling/IDLE.
	e.mail(t, msg(3, "late"))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 4)
	stop()

	// Mail that arrives while nobody reads, then a restart: only the new
	// messages are handed over.
	e.mail(t, msg(4, "while down"))
	e.run(t, c, 0)
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 5)
	brokertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if c.n.Load() != 5 {
			return fmt.Errorf("%d deliveries", c.n.Load())
		}
		return nil
	})
	if d := c.twice(); len(d) > 0 {
		t.Fatalf("UIDs delivered twice: %v", d)
	}
}

func TestOversizeStoresHeaderOnly(t *testing.T) {
	e := setup(t)
	e.run(t, e.sink(t), 4096)
	e.mail(t, msg(1, strings.Repeat("x", 20000)))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 1)
	var ev events.ReplyReceived
	must(t, json.Unmarshal(brokertest.Messages(t, e.conn, events.SubjectReplyReceived)[0].Data(), &ev))
	raw, err := e.objects.GetBytes(context.Background(), ev.Object)
	must(t, err)
	if !ev.Oversize || ev.Size < 20000 || len(raw) > 4096 || strings.Contains(string(raw), "xxxx") {
		t.Fatalf("event %+v, stored %d bytes", ev, len(raw))
	}
}

// Delivering the same message again (a crash before the cursor moved)
// stores nothing new and publishes the same event id.
func TestRedeliveryIsIdempotent(t *testing.T) {
	e := setup(t)
	s := e.sink(t)
	m := inbox.Message{Account: "imap://a@h:1", Folder: "INBOX", UIDValidity: 7, UID: 9, Raw: msg(1, "hello"), Size: 100}
	must(t, s.Deliver(context.Background(), m))
	must(t, s.Deliver(context.Background(), m))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 1)
	n := 0
	lister, err := e.objects.List(context.Background())
	must(t, err)
	n = len(lister)
	if n != 1 {
		t.Fatalf("%d objects", n)
	}
}

// A message the store keeps refusing is recorded as unreadable after a few
// attempts, so the folder moves on.
func TestUnstorableMessageBecomesRejection(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	must(t, e.conn.JS.DeleteObjectStore(ctx, broker.ObjectMailRaw))
	s := e.sink(t)
	s.MaxStoreAttempts = 3
	m := inbox.Message{Account: "imap://a@h:1", Folder: "INBOX", UIDValidity: 1, UID: 1, Raw: msg(1, "x"), Size: 10}
	for i := range 2 {
		if err := s.Deliver(ctx, m); err == nil {
			t.Fatalf("attempt %d succeeded without a store", i+1)
		}
	}
	must(t, s.Deliver(ctx, m))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	var rej events.ReplyRejected
	must(t, json.Unmarshal(brokertest.Messages(t, e.conn, events.SubjectReplyRejected)[0].Data(), &rej))
	if rej.Reason != events.ReplyUnreadable || rej.MessageID != "m1@northwind.example" {
		t.Fatalf("rejected %+v", rej)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectReplyReceived); n != 0 {
		t.Fatalf("announced %d unstored messages", n)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	if _, _, found, err := e.cursor.Load(ctx, "k"); found || err != nil {
		t.Fatalf("fresh cursor found=%v err=%v", found, err)
	}
	must(t, e.cursor.Save(ctx, "k", 5, 42))
	v, u, found, err := e.cursor.Load(ctx, "k")
	if !found || err != nil || v != 5 || u != 42 {
		t.Fatalf("loaded %d %d %v %v", v, u, found, err)
	}
}

func TestReplyIDSharedAcrossMailboxesButNotSenders(t *testing.T) {
	a := ingest.ReplyID("x@y", "jane@n.example", []byte("copy 1"))
	b := ingest.ReplyID("X@Y", "JANE@n.example", []byte("copy 2"))
	c := ingest.ReplyID("x@y", "mallory@evil.example", []byte("copy 1"))
	d := ingest.ReplyID("", "", []byte("copy 1"))
	if a != b || a == c || d == a || len(d) != 32 {
		t.Fatalf("%s %s %s %s", a, b, c, d)
	}
}
