package reminders_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/reminders"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// Days are milliseconds here: day 2, day 5 and day 14 of production.
var fast = reminders.Config{RemindAfter: []time.Duration{300 * time.Millisecond, 1300 * time.Millisecond}, ExpireAfter: 2500 * time.Millisecond}

var replyKey = []byte("0123456789abcdef0123456789abcdef")

type rig struct {
	t     *testing.T
	srv   *server.Server
	conn  *broker.Conn
	store *lifecycle.Store
	sb    *devmail.Sandbox
	ob    reminders.Outbox
}

// lostAfterSend is an outbox whose first send of each kind succeeds and
// then fails, as a process killed after the SMTP transaction and before it
// published the event (or acked) would.
type lostAfterSend struct {
	reminders.Outbox
	lost sync.Map
}

func (o *lostAfterSend) first(kind string) bool {
	_, seen := o.lost.LoadOrStore(kind, true)
	return !seen
}

func (o *lostAfterSend) Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error) {
	sent, err := o.Outbox.Send(ctx, key, kind, m)
	if err == nil && o.first(kind) {
		return sent, errors.New("lost after the email left")
	}
	return sent, err
}

func (o *lostAfterSend) SendMarked(ctx context.Context, key, kind string, m mailer.Message, mark effect.Mark) (bool, error) {
	publish := mark.Publish
	mark.Publish = func(ctx context.Context) error {
		if o.first(kind) {
			return errors.New("lost after the email left, before its event")
		}
		return publish(ctx)
	}
	return o.Outbox.SendMarked(ctx, key, kind, m, mark)
}

func newRig(t *testing.T) *rig {
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	sb := mailtest.Sandbox(t, devmail.Config{})
	// handlertest.Outbox, with the ledger's log shown on failure.
	ob := effect.NewEmail(brokertest.KV(t, conn, broker.BucketMailSent), mailtest.Sender(t, sb.SMTPAddr(), "provisioning@acctflow.localhost"),
		effect.EmailConfig{SMTPTimeout: 5 * time.Second, Backoff: handlertest.FastBackoff, Logger: infoLogger(t),
			Marks: effect.StreamMarks{JS: conn.JS, Stream: events.Stream}})
	return &rig{t: t, srv: srv, conn: conn, store: handlertest.Store(t, conn), sb: sb, ob: ob}
}

func (r *rig) handler(conn *broker.Conn) *reminders.Handler {
	return &reminders.Handler{JS: conn.JS, Requests: r.store, Outbox: r.ob, Config: fast, Domain: "acctflow.localhost",
		ReplyKey: replyKey, Inbox: "acct-replies@acctflow.localhost", Projection: broker.NewProgress(conn.JS, projection.Name),
		Logger: infoLogger(r.t), Now: time.Now}
}

// infoLogger shows what the handlers did in a failing test's log.
func infoLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    *testing.T
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// projection runs the projection on its own connection; stop pauses it.
func (r *rig) projection() (stop func()) {
	return brokertest.Run(r.t, brokertest.Connect(r.t, r.srv), handlertest.Projection(r.t, r.store))
}

// replicas runs n processes of both handlers, each on its own connection;
// with crashes, every timer handler fails once after its work.
func (r *rig) replicas(n int, crashes *atomic.Int32) {
	for range n {
		c := brokertest.Connect(r.t, r.srv)
		h := r.handler(c)
		timers := h.Timers()
		if crashes != nil {
			timers = brokertest.CrashOnce(timers, crashes)
		}
		brokertest.Run(r.t, c, h.Planner(), timers)
	}
}

// confirm routes a request and sends its confirmation now.
func (r *rig) confirm(id, country string) {
	req := handlertest.Request(id)
	req.Reseller.Country = country
	routed := handlertest.Routed(req)
	if country != "US" {
		routed.Region, routed.OpsTeam, routed.ReplyChannel, routed.SupportMailbox = "emea", "emea", events.ReplySupportMailbox, "cloud-support-emea@acctflow.localhost"
	}
	brokertest.Publish(r.t, r.conn, routed, "routed-"+id)
	brokertest.Publish(r.t, r.conn, handlertest.Confirmed(id), "confirmed-"+id)
}

// mails waits until the contact's mailbox holds exactly the subjects want
// (prefixes), in order, about request id, and returns the mails.
func (r *rig) mails(id string, want ...string) [][]byte {
	r.t.Helper()
	var msgs [][]byte
	brokertest.CheckFor(r.t, 20*time.Second, 20*time.Millisecond, func() error {
		msgs = r.about(id)
		var got []string
		for _, m := range msgs {
			h, _ := mailtest.Parts(r.t, m)
			s, _ := h.Subject()
			got = append(got, s)
		}
		if len(got) != len(want) {
			return fmt.Errorf("subjects %q, want %q", got, want)
		}
		for i := range want {
			if !strings.HasPrefix(got[i], want[i]) {
				return fmt.Errorf("subjects %q, want %q", got, want)
			}
		}
		return nil
	})
	return msgs
}

// about is the mail the contact has about request id.
func (r *rig) about(id string) [][]byte {
	var out [][]byte
	for _, m := range r.sb.Messages(handlertest.Contact) {
		h, _ := mailtest.Parts(r.t, m)
		if s, _ := h.Subject(); strings.HasSuffix(s, "["+id+"]") {
			out = append(out, m)
		}
	}
	return out
}

func (r *rig) count(subject, id string) int {
	n := 0
	for _, m := range brokertest.Messages(r.t, r.conn, subject) {
		if lifecycle.RequestIDOf(m.Subject(), m.Data()) == id {
			n++
		}
	}
	return n
}

// waitTimersIdle waits until a timer consumer has handled all it was given.
func waitTimersIdle(t *testing.T, conn *broker.Conn, consumer string) {
	t.Helper()
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		c, err := conn.JS.Consumer(context.Background(), broker.TimerStream, consumer)
		if err != nil {
			return err
		}
		ci, err := c.Info(context.Background())
		if err != nil {
			return err
		}
		if ci.NumPending != 0 || ci.NumAckPending != 0 {
			return fmt.Errorf("%s: %d pending, %d unacked", consumer, ci.NumPending, ci.NumAckPending)
		}
		return nil
	})
}

func pending(t *testing.T, conn *broker.Conn, id string) []string {
	t.Helper()
	var out []string
	for _, slot := range []string{"1", "2", "expiry"} {
		ok, err := (broker.Timers{JS: conn.JS}).Pending(context.Background(), reminders.TimerKind, events.JoinKey(id, slot))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, slot)
		}
	}
	return out
}

// A reseller who never answers gets reminder 1, then reminder 2 (the last),
// then the expiry email, each exactly once although the timer handler runs
// twice, crashes once after its work, loses the first reminder and the
// expiry email after they left (before their events), and every step is
// redelivered; the request ends expired with both reminders on record.
func TestSilentResellerRemindedTwiceThenExpired(t *testing.T) {
	r := newRig(t)
	r.ob = &lostAfterSend{Outbox: r.ob}
	r.projection()
	var crashes atomic.Int32
	r.replicas(2, &crashes)
	r.confirm("REQ-SILENT.1", "US")
	subject := mailer.ConfirmationSubject("Acme Corp", "REQ-SILENT.1")
	msgs := r.mails("REQ-SILENT.1", "Reminder: "+subject, "Reminder: "+subject, "Request closed: Amazon Web Services (Acme Corp) [REQ-SILENT.1]")

	first, last, closed := text(t, msgs[0]), text(t, msgs[1]), text(t, msgs[2])
	if strings.Contains(first, "last reminder") || !strings.Contains(last, "This is our last reminder:") ||
		!strings.Contains(first, "\nRoot email:\nAccount nickname:\nSupport type:\n") || !strings.Contains(flat(closed), "and sent you 2 reminders") {
		t.Errorf("reminder 1:\n%s\nreminder 2:\n%s\nexpiry:\n%s", first, last, closed)
	}
	h, _ := mailtest.Parts(t, msgs[0])
	replyTo, _ := h.AddressList("Reply-To")
	irt, _ := h.MsgIDList("In-Reply-To")
	if len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "acct-replies+REQ-SILENT=1.") || len(irt) != 1 || irt[0] != handlertest.Confirmed("REQ-SILENT.1").MessageID {
		t.Errorf("reminder Reply-To %v, In-Reply-To %v", replyTo, irt)
	}
	rec := handlertest.WaitStage(t, r.store, "REQ-SILENT.1", lifecycle.StageExpired)
	if len(rec.Reminders) != 2 || rec.Reminders[0].Number != 1 || rec.Reminders[1].Number != 2 || rec.Expiry == nil {
		t.Fatalf("record: reminders %+v, expiry %+v", rec.Reminders, rec.Expiry)
	}
	brokertest.WaitCalls(t, &crashes, 4) // the crashed delivery was handled again
	waitTimersIdle(t, r.conn, reminders.TimersName)
	if n := len(r.about("REQ-SILENT.1")); n != 3 {
		t.Fatalf("%d emails after every redelivery, want 3", n)
	}
	if a, b := r.count(events.SubjectReminderSent, "REQ-SILENT.1"), r.count(events.SubjectExpired, "REQ-SILENT.1"); a != 2 || b != 1 {
		t.Fatalf("%d reminder events, %d expiries", a, b)
	}
	if p := pending(t, r.conn, "REQ-SILENT.1"); len(p) != 0 {
		t.Fatalf("timers left: %v", p)
	}
}

// text is a mail's text part with plain line ends.
func text(t *testing.T, raw []byte) string {
	return strings.ReplaceAll(mailtest.Text(t, raw), "\r\n", "\n")
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// A partial reply is answered by a clarification, and the days start again
// from it: the next reminder asks only for what is still missing, in the
// EMEA thread and in the German reseller's language; once the details are
// in, nothing more goes out. A request whose details come right after the
// confirmation gets no reminder at all.
func TestNoReminderForWhatWasGiven(t *testing.T) {
	r := newRig(t)
	r.projection()
	r.replicas(1, nil)
	const partial, quick, barrier = "REQ-PARTIAL", "REQ-QUICK", "REQ-BARRIER"
	r.confirm(partial, "DE")
	r.confirm(quick, "US")
	brokertest.Publish(t, r.conn, handlertest.Details(quick, "root@quick.example", "Quick", events.SupportBasic), "details-quick")
	// The reseller is German (DE): so are the reminders.
	subject := "Erinnerung: Anfrage für ein neues Kundenkonto erhalten – Amazon Web Services (Acme Corp) [" + partial + "]"
	first := text(t, r.mails(partial, subject)[0])
	if !strings.HasPrefix(first, "Guten Tag ") || !strings.Contains(flat(first), "haben wir Sie um die Angaben gebeten") ||
		!strings.Contains(first, "\nRoot email (E-Mail-Adresse des Root-Benutzers):\nAccount nickname (Kontoname):\nSupport type (Supportart):\n") {
		t.Errorf("German reseller's first reminder:\n%s", first)
	}

	root := "root@acme.example"
	brokertest.Publish(t, r.conn, events.DetailsIncomplete{RequestID: partial, Problems: []string{"nickname_missing", "support_type_missing"},
		RootEmail: &root, ClarificationSent: true, ReceivedAt: events.Time(time.Now())}, "incomplete-partial")
	msgs := r.mails(partial, subject, subject)
	second := text(t, msgs[1])
	if !strings.Contains(flat(second), "- die E-Mail-Adresse des Root-Benutzers root@acme.example") || strings.Contains(second, "\nRoot email") ||
		!strings.Contains(second, "\nAccount nickname (Kontoname):\nSupport type (Supportart):\n") ||
		!strings.Contains(flat(second), "cloud-support-emea@acctflow.localhost") {
		t.Errorf("reminder after the partial reply:\n%s", second)
	}
	h, _ := mailtest.Parts(t, msgs[1])
	if replyTo, _ := h.AddressList("Reply-To"); len(replyTo) != 1 || !strings.HasPrefix(replyTo[0].Address, "cloud-support-emea+REQ-PARTIAL.") {
		t.Errorf("EMEA reminder Reply-To %v", replyTo)
	}
	rec := handlertest.WaitRecord(t, r.store, partial, func(rec lifecycle.Record) bool { return len(rec.Reminders) == 2 })
	if rec.Reminders[1].Number != 2 {
		t.Errorf("reminders %+v", rec.Reminders)
	}
	brokertest.Publish(t, r.conn, handlertest.Details(partial, root, "Acme Prod", events.SupportBusiness), "details-partial")
	handlertest.WaitStage(t, r.store, partial, lifecycle.StageDetailsReceived)

	// Every step of the other two would have fired before this one's
	// expiry, had it not been cancelled.
	r.confirm(barrier, "US")
	r.mails(barrier, "Reminder:", "Reminder:", "Request closed:")
	waitTimersIdle(t, r.conn, reminders.TimersName)
	if n := len(r.about(partial)); n != 2 {
		t.Errorf("%d emails about %s, want the 2 reminders", n, partial)
	}
	if n := len(r.about(quick)); n != 0 {
		t.Errorf("%d emails about %s", n, quick)
	}
	for _, id := range []string{partial, quick} {
		if n := r.count(events.SubjectExpired, id); n != 0 {
			t.Errorf("%s expired", id)
		}
		if p := pending(t, r.conn, id); len(p) != 0 {
			t.Errorf("%s timers left: %v", id, p)
		}
	}
}

// A step that fires after the details came does nothing, even when nothing
// cancelled it (the planner was down).
func TestFiredStepChecksTheRecord(t *testing.T) {
	r := newRig(t)
	r.projection()
	h := r.handler(r.conn)
	stopPlanner := brokertest.Run(t, brokertest.Connect(t, r.srv), h.Planner())
	brokertest.Run(t, brokertest.Connect(t, r.srv), h.Timers())
	const id = "REQ-LATE"
	r.confirm(id, "US")
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if p := pending(t, r.conn, id); fmt.Sprint(p) != "[1]" {
			return fmt.Errorf("pending %v, want the first step only", p)
		}
		return nil
	})
	stopPlanner()
	brokertest.Publish(t, r.conn, handlertest.Details(id, "root@acme.example", "Acme", events.SupportBasic), "details-late")
	handlertest.WaitStage(t, r.store, id, lifecycle.StageDetailsReceived)
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if p := pending(t, r.conn, id); len(p) != 0 {
			return fmt.Errorf("not fired yet: %v", p)
		}
		return nil
	})
	waitTimersIdle(t, r.conn, reminders.TimersName)
	if n := len(r.about(id)); n != 0 {
		t.Fatalf("%d emails after the details", n)
	}
	if a, b := r.count(events.SubjectReminderSent, id), r.count(events.SubjectExpired, id); a+b != 0 {
		t.Fatalf("%d reminders, %d expiries after the details", a, b)
	}
}

// Details published a moment before a step fires are seen: the step waits
// until the projection has folded every earlier event. The projection is
// held back on the details here, as a busy one would be.
func TestFiredStepWaitsForTheProjection(t *testing.T) {
	r := newRig(t)
	gate := make(chan struct{})
	proj := handlertest.Projection(t, r.store)
	fold := proj.Handle
	proj.Handle = func(ctx context.Context, m broker.Msg) error {
		if m.Subject == events.SubjectDetailsSubmitted {
			select {
			case <-gate:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return fold(ctx, m)
	}
	brokertest.Run(t, brokertest.Connect(t, r.srv), proj)
	h := r.handler(r.conn)
	h.Config = reminders.Config{RemindAfter: []time.Duration{1500 * time.Millisecond}, ExpireAfter: 3 * time.Second}
	var calls atomic.Int32
	timers := h.Timers()
	inner := timers.Handle
	timers.Handle = func(ctx context.Context, m broker.Msg) error {
		calls.Add(1)
		return inner(ctx, m)
	}
	brokertest.Run(t, brokertest.Connect(t, r.srv), h.Planner(), timers)
	const id = "REQ-RACE"
	r.confirm(id, "US")
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if p := pending(t, r.conn, id); fmt.Sprint(p) != "[1]" {
			return fmt.Errorf("pending %v, want the first step only", p)
		}
		return nil
	})
	brokertest.Publish(t, r.conn, handlertest.Details(id, "root@acme.example", "Acme", events.SupportBasic), "details-race")
	brokertest.WaitCalls(t, &calls, 2) // fired, and deferred at least once
	if n := len(r.about(id)); n != 0 {
		t.Fatalf("reminded while the details were not folded yet")
	}
	close(gate)
	handlertest.WaitStage(t, r.store, id, lifecycle.StageDetailsReceived)
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		if p := pending(t, r.conn, id); len(p) != 0 {
			return fmt.Errorf("pending %v", p)
		}
		return nil
	})
	waitTimersIdle(t, r.conn, reminders.TimersName)
	if n := len(r.about(id)); n != 0 {
		t.Fatalf("%d emails after the details", n)
	}
}
