package supportgroup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/supportgroup"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	created := func(ago time.Duration) *events.AccountCreated {
		return &events.AccountCreated{AccountID: "210987654321", CreatedAt: events.Time(now.Add(-ago))}
	}
	details := &events.DetailsSubmitted{SupportType: events.SupportBusiness}
	for _, c := range []struct {
		name  string
		rec   lifecycle.Record
		cause string
	}{
		{"no account", lifecycle.Record{}, ""},
		{"within grace", lifecycle.Record{Account: created(time.Hour)}, ""},
		{"past grace, no group", lifecycle.Record{Account: created(25 * time.Hour), Details: details}, supportgroup.CauseNotAssigned},
		{"already flagged", lifecycle.Record{Account: created(25 * time.Hour), SupportGroup: &lifecycle.SupportGroup{Missing: true}}, ""},
		{"assigned", lifecycle.Record{Account: created(25 * time.Hour), SupportGroup: &lifecycle.SupportGroup{Group: "business-support"}}, ""},
		{"wrong after change", lifecycle.Record{Account: created(25 * time.Hour),
			SupportGroup:   &lifecycle.SupportGroup{Group: "passthrough", Missing: true, At: events.Time(now.Add(-2 * time.Hour))},
			SupportChanges: []lifecycle.SupportChange{{ChangeID: "CHG-1", To: "business", At: events.Time(now.Add(-time.Hour))}}}, supportgroup.CauseSupportChanged},
		{"change already raised", lifecycle.Record{Account: created(25 * time.Hour),
			SupportGroup:   &lifecycle.SupportGroup{Group: "passthrough", Missing: true, At: events.Time(now.Add(-time.Minute))},
			SupportChanges: []lifecycle.SupportChange{{ChangeID: "CHG-1", To: "business", At: events.Time(now.Add(-time.Hour))}}}, ""},
	} {
		e, id := supportgroup.Decide(c.rec, now, 24*time.Hour)
		switch {
		case c.cause == "" && e != nil:
			t.Errorf("%s: raised %+v", c.name, e)
		case c.cause != "" && (e == nil || e.Cause != c.cause || id == ""):
			t.Errorf("%s: got %+v, want cause %s", c.name, e, c.cause)
		}
	}
}

// Each problem is raised once, from events and timers alone: an account
// without a group a grace period after its creation, and a group a later
// support change made wrong (at once when the grace period is over, else
// when it ends). Checks run on two replicas and crash once after their
// work. An account whose group is in place in time raises nothing.
func TestChecksRaiseOncePerProblem(t *testing.T) {
	ctx := context.Background()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	store := lifecycle.NewStore(brokertest.KV(t, conn, broker.BucketRequests))
	brokertest.Run(t, conn, handlertest.Projection(t, store))
	var crashes atomic.Int32
	for range 2 {
		c := brokertest.Connect(t, srv)
		h := &supportgroup.Handler{JS: c.JS, Requests: store, Grace: 800 * time.Millisecond, Projection: broker.NewProgress(c.JS, projection.Name),
			Logger: brokertest.Logger(t), Now: time.Now}
		brokertest.Run(t, c, h.Scheduler(), brokertest.CrashOnce(h.Checker(), &crashes))
	}
	publish := func(ev events.Event, id string) { brokertest.Publish(t, conn, ev, id) }
	create := func(id, account string) {
		req := handlertest.Request(id)
		req.Reseller.Country = "DE"
		publish(events.AccountRouted{RequestID: id, Region: "emea", OpsTeam: "emea", ReplyChannel: events.ReplySupportMailbox,
			SupportMailbox: "support-emea@acctflow.localhost", RoutedAt: events.Time(time.Now()), Request: req}, id+"-routed")
		publish(handlertest.Confirmed(id), id+"-confirmed")
		publish(handlertest.Details(id, "root@"+account+".example", "Acme", "developer"), id+"-details")
		publish(events.AccountApproved{RequestID: id, ApprovedAt: events.Time(time.Now())}, id+"-approved")
		publish(events.AccountCreated{RequestID: id, AccountID: account, Method: "manual", CreatedAt: events.Time(time.Now())}, id+"-created")
		handlertest.WaitStage(t, store, id, lifecycle.StageCreated)
	}
	o := &ops.Ops{JS: conn.JS, Requests: store, Source: "test", Now: time.Now}
	change := func(id, account, changeID string) {
		publish(events.SupportChanged{ChangeID: changeID, AccountID: account, RequestID: id, From: "developer", To: "business",
			ChangedAt: events.Time(time.Now()), ReportedBy: events.Party{Name: "Jane", Email: "jane@northwind.example"},
			Reseller: events.ResellerName{ID: "R-1", Name: "Northwind IT"}}, changeID)
	}
	missing := func(id string) []events.SupportGroupMissing {
		var out []events.SupportGroupMissing
		for _, m := range brokertest.Messages(t, conn, events.SubjectSupportGroupMissing) {
			var e events.SupportGroupMissing
			if json.Unmarshal(m.Data(), &e) == nil && e.RequestID == id {
				out = append(out, e)
			}
		}
		return out
	}
	waitMissing := func(id string, causes ...string) {
		t.Helper()
		brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
			var got []string
			for _, e := range missing(id) {
				got = append(got, e.Cause)
			}
			if fmt.Sprint(got) != fmt.Sprint(causes) {
				return fmt.Errorf("%s: raised %v, want %v", id, got, causes)
			}
			return nil
		})
	}

	// A: no group after the grace period; assigned; then a change makes
	// it wrong, checked at once.
	create("REQ-SG.A", "210987654321")
	waitMissing("REQ-SG.A", supportgroup.CauseNotAssigned)
	if e := missing("REQ-SG.A")[0]; e.Region != "emea" || e.ExpectedGroup != events.GroupPassthrough || e.AccountID != "210987654321" {
		t.Fatalf("missing event %+v", e)
	}
	waitFor(t, store, "REQ-SG.A", func(r lifecycle.Record) bool { return r.SupportGroup != nil && r.SupportGroup.Missing })
	// The check crashed after its work and ran again: all done before the
	// change below, which only its own check can find.
	brokertest.WaitCalls(t, &crashes, 2)
	waitTimersIdle(t, conn, supportgroup.TimersName)
	if _, err := o.AssignSupportGroup(ctx, "REQ-SG.A", "gold"); err == nil {
		t.Fatal("unknown group accepted")
	}
	if _, err := o.AssignSupportGroup(ctx, "REQ-SG.A", events.GroupPassthrough); err != nil {
		t.Fatal(err)
	}
	waitFor(t, store, "REQ-SG.A", func(r lifecycle.Record) bool {
		return r.SupportGroup != nil && r.SupportGroup.Group == "passthrough" && !r.SupportGroup.Missing
	})
	change("REQ-SG.A", "210987654321", "CHG-A")
	waitMissing("REQ-SG.A", supportgroup.CauseNotAssigned, supportgroup.CauseSupportChanged)

	// B: group in place within the grace period, then a change makes it
	// wrong: raised once, whether the change's check or the grace
	// period's end finds it. C: group in place, nothing changes.
	create("REQ-SG.B", "310987654321")
	create("REQ-SG.C", "410987654321")
	for _, id := range []string{"REQ-SG.B", "REQ-SG.C"} {
		if _, err := o.AssignSupportGroup(ctx, id, events.GroupPassthrough); err != nil {
			t.Fatal(err)
		}
		waitFor(t, store, id, func(r lifecycle.Record) bool { return r.SupportGroup != nil && r.SupportGroup.Group != "" })
	}
	change("REQ-SG.B", "310987654321", "CHG-B")
	waitMissing("REQ-SG.B", supportgroup.CauseSupportChanged)

	// Every check has fired once its timer is gone, and has been handled
	// once the consumer is idle.
	timers := broker.Timers{JS: conn.JS}
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, func() error {
		for _, id := range []string{"REQ-SG.A", "REQ-SG.B", "REQ-SG.C"} {
			for _, cause := range []string{"created", supportgroup.CauseSupportChanged} {
				if ok, err := timers.Pending(ctx, supportgroup.TimerKind, events.JoinKey(id, cause)); err != nil || ok {
					return fmt.Errorf("%s %s check pending (%v)", id, cause, err)
				}
			}
		}
		return nil
	})
	waitTimersIdle(t, conn, supportgroup.TimersName)
	for id, n := range map[string]int{"REQ-SG.A": 2, "REQ-SG.B": 1, "REQ-SG.C": 0} {
		if got := len(missing(id)); got != n {
			t.Errorf("%s: %d problems raised, want %d", id, got, n)
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

func waitFor(t *testing.T, store *lifecycle.Store, id string, ok func(lifecycle.Record) bool) {
	t.Helper()
	handlertest.WaitRecord(t, store, id, ok)
}
