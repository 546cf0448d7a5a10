package digest_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/reminders/digest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// Each region's ops team gets one digest per firing of its schedule, with
// what its open requests wait for; finished requests and other regions'
// are not in it. Two replicas ensure the schedules and run the handler,
// which crashes once after its work: still one schedule per region and one
// email per region and firing.
func TestDailyDigestPerRegion(t *testing.T) {
	ctx := context.Background()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	store := handlertest.Store(t, conn)
	index := store.Index(brokertest.KV(t, conn, broker.BucketOpen))
	brokertest.Run(t, conn, (&projection.Handler{Store: store, Index: index, Logger: brokertest.Logger(t)}).Broker())
	sb := mailtest.Sandbox(t, devmail.Config{})
	ob := handlertest.Outbox(t, conn, mailtest.Sender(t, sb.SMTPAddr(), "provisioning@acctflow.localhost"))

	publish := func(ev events.Event) {
		brokertest.Publish(t, conn, ev, events.DerivedID(ev.Subject(), ev.Key(), fmt.Sprint(ev)))
	}
	us := func(id string) {
		publish(handlertest.Routed(handlertest.Request(id)))
		publish(handlertest.Confirmed(id))
	}
	us("REQ-WAITS")
	us("REQ-APPROVE")
	publish(handlertest.Details("REQ-APPROVE", "root@acme.example", "Acme", events.SupportBusiness))
	us("REQ-DONE")
	publish(events.RequestRejected{RequestID: "REQ-DONE", Reasons: []string{events.ReasonOpsRejected}, Detail: "duplicate", RejectedBy: "ops", RejectedAt: events.Time(time.Now())})
	emea := handlertest.Routed(handlertest.Request("REQ-EMEA"))
	emea.Region = "emea"
	publish(emea)
	handlertest.WaitStage(t, store, "REQ-DONE", lifecycle.StageRejected)
	handlertest.WaitStage(t, store, "REQ-APPROVE", lifecycle.StageDetailsReceived)
	handlertest.WaitRecord(t, store, "REQ-EMEA", func(r lifecycle.Record) bool { return r.Region == "emea" })

	regions := map[string]digest.Region{
		"us":   {Name: "us", OpsTeam: "Cloud Support Ops — United States", OpsEmail: "ops-us@acctflow.localhost"},
		"emea": {Name: "emea", OpsTeam: "Cloud Support Ops — EMEA", OpsEmail: "cloud-ops@acctflow.localhost"},
	}
	// A schedule that fires once in the test: a second from now, every day.
	at := time.Now().UTC().Add(2 * time.Second)
	cron := fmt.Sprintf("%d %d %d * * *", at.Second(), at.Minute(), at.Hour())
	var crashes atomic.Int32
	for range 2 {
		c := brokertest.Connect(t, srv)
		timers := broker.Timers{JS: c.JS}
		if err := digest.Ensure(ctx, timers, []string{"emea", "us"}, cron, "UTC"); err != nil {
			t.Fatal(err)
		}
		h := &digest.Handler{Index: index, Regions: regions, Timers: timers, Outbox: ob, Domain: "acctflow.localhost",
			Logger: brokertest.Logger(t), Now: time.Now}
		brokertest.Run(t, c, brokertest.CrashOnce(h.Broker(), &crashes))
	}
	s, err := conn.JS.Stream(ctx, broker.TimerStream)
	if err != nil {
		t.Fatal(err)
	}
	if si, err := s.Info(ctx); err != nil || si.State.Msgs != 2 {
		t.Fatalf("schedules after two replicas ensured them: %+v (%v)", si.State, err)
	}

	var usText string
	brokertest.CheckFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		u, e := sb.Messages("ops-us@acctflow.localhost"), sb.Messages("cloud-ops@acctflow.localhost")
		if len(u) != 1 || len(e) != 1 {
			return fmt.Errorf("%d us digests, %d emea digests", len(u), len(e))
		}
		usText = strings.ReplaceAll(mailtest.Text(t, u[0]), "\r\n", "\n")
		h, _ := mailtest.Parts(t, u[0])
		if s, _ := h.Subject(); !strings.HasPrefix(s, "[acctflow] Daily digest, us: 2 requests waiting") {
			return fmt.Errorf("us subject %q", s)
		}
		h, _ = mailtest.Parts(t, e[0])
		if s, _ := h.Subject(); !strings.HasPrefix(s, "[acctflow] Daily digest, emea: 1 request waiting") {
			return fmt.Errorf("emea subject %q", s)
		}
		return nil
	})
	for _, want := range []string{"Details received, waiting for approval (1), waiting on ops", "REQ-APPROVE: Acme Corp (Northwind IT)",
		"Waiting for the reseller's details (1), waiting on the reseller", "REQ-WAITS: Acme Corp", "no reminder sent yet"} {
		if !strings.Contains(strings.Join(strings.Fields(usText), " "), want) { // the text is wrapped at 78 columns
			t.Errorf("us digest lacks %q:\n%s", want, usText)
		}
	}
	if strings.Contains(usText, "REQ-DONE") || strings.Contains(usText, "REQ-EMEA") {
		t.Errorf("us digest lists a finished or another region's request:\n%s", usText)
	}
	brokertest.WaitCalls(t, &crashes, 3) // both firings, and the crashed one again
	waitTimersIdle(t, conn, digest.Name)
	if u, e := len(sb.Messages("ops-us@acctflow.localhost")), len(sb.Messages("cloud-ops@acctflow.localhost")); u != 1 || e != 1 {
		t.Fatalf("after every redelivery: %d us digests, %d emea digests", u, e)
	}
	for _, r := range []string{"us", "emea"} {
		if ok, err := (broker.Timers{JS: conn.JS}).Pending(ctx, digest.TimerKind, r); err != nil || !ok {
			t.Errorf("the %s schedule is gone after firing: %v %v", r, ok, err)
		}
	}
}

// A region taken out of the table loses its schedule when it next fires.
func TestDigestOfAnUnknownRegionIsDropped(t *testing.T) {
	ctx := context.Background()
	conn := brokertest.Connect(t, brokertest.Server(t))
	timers := broker.Timers{JS: conn.JS}
	if err := digest.Ensure(ctx, timers, []string{"mars"}, "* * * * * *", ""); err != nil {
		t.Fatal(err)
	}
	h := &digest.Handler{Index: lifecycle.NewIndex(brokertest.KV(t, conn, broker.BucketOpen)), Regions: map[string]digest.Region{},
		Timers: timers, Domain: "acctflow.localhost", Logger: brokertest.Logger(t), Now: time.Now}
	brokertest.Run(t, conn, h.Broker())
	brokertest.CheckFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if ok, err := timers.Pending(ctx, digest.TimerKind, "mars"); err != nil || ok {
			return fmt.Errorf("mars still scheduled (%v)", err)
		}
		return nil
	})
}

// Every state the index can report has its own section in the digest.
func TestEveryWaitingHasASection(t *testing.T) {
	now := time.Now()
	for _, w := range lifecycle.WaitingOrder {
		_, text, _, err := mailer.Render(mailer.DigestData{Region: "us", Now: now, Items: []mailer.DigestItem{{RequestID: "REQ-1", Waiting: string(w)}}})
		if err != nil || strings.Contains(text, "Other open requests") {
			t.Errorf("%s: %v\n%s", w, err, text)
		}
	}
}

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
