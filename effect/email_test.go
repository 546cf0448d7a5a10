package effect_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
)

// mta is a go-smtp server that counts connections and answers DATA with
// code (0: accept), keeping the Message-IDs it accepted.
type mta struct {
	addr  string
	conns atomic.Int32
	code  atomic.Int32
	mu    sync.Mutex
	ids   []string
}

func startMTA(t *testing.T, code int) *mta {
	t.Helper()
	m := &mta{}
	m.code.Store(int32(code))
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		m.conns.Add(1)
		return &mtaSession{m: m}, nil
	}))
	srv.Domain, srv.ReadTimeout, srv.WriteTimeout = "mta.localhost", 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m
}

func (m *mta) accepted() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.ids...)
}

type mtaSession struct{ m *mta }

func (s *mtaSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mtaSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mtaSession) Reset()                               {}
func (s *mtaSession) Logout() error                        { return nil }
func (s *mtaSession) Data(r io.Reader) error {
	data, _ := io.ReadAll(r)
	if code := int(s.m.code.Load()); code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCodeNotSet, Message: "injected " + strconv.Itoa(code)}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.ids = append(s.m.ids, msg.Header.Get("Message-Id"))
	s.m.mu.Unlock()
	return nil
}

func message(id string) mailer.Message {
	return mailer.Message{MessageID: mailer.MessageID(nil, id, "test", "acctflow.localhost"), To: mailer.Address{Email: "jane@northwind.example"},
		Subject: "Test " + id, Text: "Hello"}
}

const mailSubject = "acct.test.mail"

// mailHandler sends one email per message (its payload names the request)
// through the email ledger, as the mail handlers do.
func mailHandler(e *effect.Email) broker.Handler {
	return broker.Handler{Name: "mailtest", Subjects: []string{mailSubject}, Handle: func(ctx context.Context, m broker.Msg) error {
		id := string(m.Data)
		_, err := e.Send(ctx, effect.Key("test", id), "test", message(id))
		return err
	}}
}

// The retry budget, end to end through the real router: one email that a
// mail server keeps answering 451 costs at most EmailBudget SMTP
// connections over its whole life and is then dead-lettered; a 550 is
// dead-lettered after exactly one.
func TestFailingEmailConnectionsOverItsLife(t *testing.T) {
	for _, c := range []struct {
		code  int
		conns int32
	}{{451, effect.EmailBudget}, {550, 1}} {
		t.Run(strconv.Itoa(c.code), func(t *testing.T) {
			conn := brokertest.Connect(t, brokertest.Server(t))
			srv := startMTA(t, c.code)
			email := handlertest.Outbox(t, conn, mailtest.Sender(t, srv.addr, "provisioning@acctflow.localhost"))
			brokertest.Run(t, conn, mailHandler(email))
			brokertest.PublishRaw(t, conn, mailSubject, []byte("REQ-1"), "m1")
			brokertest.WaitCount(t, conn, "dlq."+mailSubject, 1)
			brokertest.WaitIdle(t, conn, "mailtest")
			if n := srv.conns.Load(); n != c.conns {
				t.Fatalf("%d SMTP connections for one email answered %d, want %d", n, c.code, c.conns)
			}
			reason := brokertest.Messages(t, conn, "dlq."+mailSubject)[0].Headers().Get(broker.HeaderError)
			if !strings.Contains(reason, strconv.Itoa(c.code)) {
				t.Fatalf("dlq reason %q", reason)
			}
		})
	}
}

// recorder publishes a marked email's event like the confirmation handler,
// failing the first fail times.
type recorder struct {
	js        jetstream.JetStream
	fail      atomic.Int32
	published atomic.Int32
}

func (r *recorder) mark(id string) effect.Mark {
	msgID := events.DerivedID("test-sent", id)
	return effect.Mark{Subject: "acct.test.sent", MsgID: msgID, Publish: func(ctx context.Context) error {
		if r.fail.Add(-1) >= 0 {
			return errors.New("NATS unavailable")
		}
		r.published.Add(1)
		_, err := r.js.PublishMsg(ctx, &nats.Msg{Subject: "acct.test.sent", Data: []byte(id), Header: nats.Header{events.HeaderMsgID: []string{msgID}}})
		return err
	}}
}

func lastSeq(t *testing.T, kv jetstream.KeyValue) uint64 {
	t.Helper()
	st, err := kv.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.(*jetstream.KeyValueBucketStatus).StreamInfo().State.LastSeq
}

// Writes per email: a plain email costs two ledger writes (claim, done);
// one whose event is its mark costs one, plus the event.
func TestWritesPerEmail(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := startMTA(t, 0)
	kv := brokertest.KV(t, conn, broker.BucketMailSent)
	email := handlertest.Outbox(t, conn, mailtest.Sender(t, srv.addr, "provisioning@acctflow.localhost"))
	ctx := context.Background()
	if sent, err := email.Send(ctx, effect.Key("test", "REQ-A"), "test", message("REQ-A")); !sent || err != nil {
		t.Fatal(sent, err)
	}
	if n := lastSeq(t, kv); n != 2 {
		t.Fatalf("plain email: %d ledger writes, want 2", n)
	}
	r := &recorder{js: conn.JS}
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-B"), "test", message("REQ-B"), r.mark("REQ-B")); !sent || err != nil {
		t.Fatal(sent, err)
	}
	if n := lastSeq(t, kv) - 2; n != 1 || r.published.Load() != 1 {
		t.Fatalf("marked email: %d ledger writes and %d events, want 1 and 1", n, r.published.Load())
	}
	// Delivered again (rare: a lost ack): nothing sent; the event found in
	// the stream is recorded done, and published again (the stream drops
	// the copy).
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-B"), "test", message("REQ-B"), r.mark("REQ-B")); sent || err != nil {
		t.Fatal(sent, err)
	}
	if len(srv.accepted()) != 2 || brokertest.Count(t, conn, "acct.test.sent") != 1 {
		t.Fatalf("%d mails, %d events", len(srv.accepted()), brokertest.Count(t, conn, "acct.test.sent"))
	}
}

// A marked email whose claim was left by a process that died: its event in
// the stream proves it went, so it is not sent again; without the event it
// is sent again with the same Message-ID.
func TestAbandonedMarkedEmailIsResentOnlyWithoutItsEvent(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := startMTA(t, 0)
	kv := brokertest.KV(t, conn, broker.BucketMailSent)
	ctx := context.Background()
	// The restarted process takes the name it had (see effect.NewLedger),
	// so its old claims are abandoned at once.
	email := effect.NewEmail(kv, mailtest.Sender(t, srv.addr, "provisioning@acctflow.localhost"), effect.EmailConfig{
		Owner: "serve-1", Backoff: handlertest.FastBackoff, Logger: brokertest.Logger(t),
		Marks: effect.StreamMarks{JS: conn.JS, Stream: events.Stream},
	})
	r := &recorder{js: conn.JS}
	for _, id := range []string{"REQ-SENT", "REQ-LOST"} {
		if _, err := effect.NewLedger(kv, "serve-1", nil).Put(ctx, effect.Key("test", id), effect.Record{State: effect.Pending, Owner: "serve-1"}, 0); err != nil {
			t.Fatal(err)
		}
	}
	// REQ-SENT died after its event, before its ack.
	if err := r.mark("REQ-SENT").Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-SENT"), "test", message("REQ-SENT"), r.mark("REQ-SENT")); sent || err != nil {
		t.Fatalf("REQ-SENT: sent %v, %v", sent, err)
	}
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-LOST"), "test", message("REQ-LOST"), r.mark("REQ-LOST")); !sent || err != nil {
		t.Fatalf("REQ-LOST: sent %v, %v", sent, err)
	}
	got := srv.accepted()
	if len(got) != 1 || got[0] != "<"+message("REQ-LOST").MessageID+">" {
		t.Fatalf("accepted %v, want only REQ-LOST's, with its own Message-ID", got)
	}
	ent, _ := effect.NewLedger(kv, "", nil).Read(ctx, effect.Key("test", "REQ-SENT"))
	if ent.State != effect.Done {
		t.Fatalf("REQ-SENT left %s after its event was found", ent.State)
	}
}

// An email sent whose event could not be published is recorded sent by a
// write instead, so the redelivery publishes the event and sends nothing.
func TestMarkedEmailWhoseEventFailedIsNotSentTwice(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := startMTA(t, 0)
	email := handlertest.Outbox(t, conn, mailtest.Sender(t, srv.addr, "provisioning@acctflow.localhost"))
	r := &recorder{js: conn.JS}
	r.fail.Store(1)
	ctx := context.Background()
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-C"), "test", message("REQ-C"), r.mark("REQ-C")); !sent || err == nil {
		t.Fatalf("first delivery: sent %v, %v; want sent and the event's error", sent, err)
	}
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-C"), "test", message("REQ-C"), r.mark("REQ-C")); sent || err != nil {
		t.Fatalf("redelivery: sent %v, %v", sent, err)
	}
	if len(srv.accepted()) != 1 || brokertest.Count(t, conn, "acct.test.sent") != 1 {
		t.Fatalf("%d mails, %d events", len(srv.accepted()), brokertest.Count(t, conn, "acct.test.sent"))
	}
}

// An email asked for by one message only (Mark.Asked) goes on that
// message's first delivery without a claim: no ledger write at all, the
// event is its record. A later delivery with no record cannot tell whether
// an earlier one sent it: it looks for the event (found: nothing sent) and,
// without it, sends nothing for one lease (the earlier delivery may still
// be at it; TestUnrecordedEffectWaitsALease goes on from there). A failure
// is recorded as usual.
func TestAskedEmailGoesWithoutALedgerWrite(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	srv := startMTA(t, 0)
	kv := brokertest.KV(t, conn, broker.BucketMailSent)
	email := handlertest.Outbox(t, conn, mailtest.Sender(t, srv.addr, "provisioning@acctflow.localhost"))
	r := &recorder{js: conn.JS}
	ctx := context.Background()
	stored := time.Now()
	asked := func(id string, delivery uint64) effect.Mark {
		m := r.mark(id)
		m.Asked = effect.Asked{Delivery: delivery, Stored: stored}
		return m
	}
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-A"), "test", message("REQ-A"), asked("REQ-A", 1)); !sent || err != nil {
		t.Fatal(sent, err)
	}
	if n := lastSeq(t, kv); n != 0 || r.published.Load() != 1 {
		t.Fatalf("first delivery: %d ledger writes and %d events, want 0 and 1", n, r.published.Load())
	}
	// Delivered again (a lost ack): the event is found, nothing is sent.
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-A"), "test", message("REQ-A"), asked("REQ-A", 2)); sent || err != nil {
		t.Fatalf("redelivery after the event: sent %v, %v", sent, err)
	}
	// A first delivery that died before the event, or is still sending:
	// nothing sent yet, a claim in nobody's name, in doubt since the
	// message was stored.
	if sent, err := email.SendMarked(ctx, effect.Key("test", "REQ-LOST"), "test", message("REQ-LOST"), asked("REQ-LOST", 2)); sent || !errors.Is(err, effect.ErrBusy) {
		t.Fatalf("redelivery without the event: sent %v, %v; want busy", sent, err)
	}
	ent, err := effect.NewLedger(kv, "", nil).Read(ctx, effect.Key("test", "REQ-LOST"))
	if err != nil || ent.State != effect.Pending || ent.Owner != "" || !ent.Doubt.Equal(stored) {
		t.Fatalf("after a redelivery without the event: %+v, %v", ent.Record, err)
	}
	if got := srv.accepted(); len(got) != 1 {
		t.Fatalf("accepted %v, want REQ-A once", got)
	}
	// A failed first attempt is recorded, with its count.
	srv.code.Store(451)
	if _, err := email.SendMarked(ctx, effect.Key("test", "REQ-F"), "test", message("REQ-F"), asked("REQ-F", 1)); err == nil {
		t.Fatal("a 451 was not an error")
	}
	ent, err = effect.NewLedger(kv, "", nil).Read(ctx, effect.Key("test", "REQ-F"))
	if err != nil || ent.State != effect.Failed || ent.Attempts != 1 {
		t.Fatalf("after a 451: %+v, %v; want failed after 1 attempt", ent.Record, err)
	}
}

// Through the router, a handler's message says which delivery it is and
// when it was stored, which is what Mark.Asked needs.
func TestMessagesSayDeliveryAndStorage(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	got := make(chan broker.Msg, 2)
	brokertest.Run(t, conn, broker.Handler{Name: "mailtest", Subjects: []string{mailSubject}, Handle: func(_ context.Context, m broker.Msg) error {
		got <- m
		if m.Deliveries == 1 {
			return errors.New("once more")
		}
		return nil
	}})
	before := time.Now().Add(-time.Second)
	brokertest.PublishRaw(t, conn, mailSubject, []byte("REQ-1"), "m1")
	for want := uint64(1); want <= 2; want++ {
		select {
		case m := <-got:
			if m.Deliveries != want || m.Stored.Before(before) || m.Stored.After(time.Now().Add(time.Second)) {
				t.Fatalf("delivery %d: deliveries %d, stored %v", want, m.Deliveries, m.Stored)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("delivery %d never came", want)
		}
	}
}
