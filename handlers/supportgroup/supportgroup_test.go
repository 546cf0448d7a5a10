package supportgroup_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
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

func TestCheckRaisesOncePerProblem(t *testing.T) {
	ctx := context.Background()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	kv := brokertest.KV(t, conn, broker.BucketRequests)
	store := lifecycle.NewStore(kv)
	brokertest.Run(t, conn, handlertest.Projection(t, store))
	req := events.AccountRequested{RequestID: "REQ-SG", RequestedAt: events.Time(time.Now()), Provider: "aws",
		Reseller:  events.Reseller{ID: "R-1", Name: "Northwind IT", Country: "DE", PrimaryContact: events.Party{Name: "Jane", Email: "jane@northwind.example"}},
		Customer:  events.Customer{ID: "C-1", Name: "Acme"},
		Pricebook: events.Pricebook{Present: true, InvoiceCurrency: "EUR", ProviderEnabledInPortal: true}}
	publish := func(ev events.Event, id string) { brokertest.Publish(t, conn, ev, id) }
	publish(events.AccountRouted{RequestID: "REQ-SG", Region: "emea", OpsTeam: "emea", ReplyChannel: events.ReplySupportMailbox,
		SupportMailbox: "support-emea@acctflow.localhost", RoutedAt: events.Time(time.Now()), Request: req}, "s1")
	publish(handlertest.Confirmed("REQ-SG"), "s1c")
	publish(events.DetailsSubmitted{RequestID: "REQ-SG", RootEmail: "root@acme.example", Nickname: "Acme", SupportType: "developer", SubmittedAt: events.Time(time.Now())}, "s2")
	publish(events.AccountApproved{RequestID: "REQ-SG", ApprovedAt: events.Time(time.Now())}, "s3")
	publish(events.AccountCreated{RequestID: "REQ-SG", AccountID: "210987654321", Method: "manual", CreatedAt: events.Time(time.Now())}, "s4")
	// The projection handles up to 128 deliveries at once, so it may fold
	// these in another order: wait for the routing too, not just the stage.
	waitFor(t, store, func(r lifecycle.Record) bool { return r.Stage == lifecycle.StageCreated && r.Region == "emea" })

	later := time.Now().Add(25 * time.Hour)
	c := &supportgroup.Check{Keys: kv, Requests: store, JS: conn.JS, Logger: brokertest.Logger(t), Now: func() time.Time { return later }}
	if n, err := c.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("first pass raised %d (%v)", n, err)
	}
	m := brokertest.Messages(t, conn, events.SubjectSupportGroupMissing)
	var missing events.SupportGroupMissing
	if len(m) != 1 || json.Unmarshal(m[0].Data(), &missing) != nil || missing.Region != "emea" || missing.ExpectedGroup != events.GroupPassthrough || missing.Cause != "not_assigned" {
		t.Fatalf("missing events %d: %+v", len(m), missing)
	}
	waitFor(t, store, func(r lifecycle.Record) bool { return r.SupportGroup != nil && r.SupportGroup.Missing })
	if n, err := c.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("second pass raised %d (%v)", n, err)
	}
	o := &ops.Ops{JS: conn.JS, Requests: store, Source: "test", Now: time.Now}
	if _, err := o.AssignSupportGroup(ctx, "REQ-SG", "gold"); err == nil {
		t.Fatal("unknown group accepted")
	}
	if _, err := o.AssignSupportGroup(ctx, "REQ-SG", events.GroupPassthrough); err != nil {
		t.Fatal(err)
	}
	waitFor(t, store, func(r lifecycle.Record) bool {
		return r.SupportGroup != nil && r.SupportGroup.Group == "passthrough" && !r.SupportGroup.Missing
	})
	publish(events.SupportChanged{ChangeID: "CHG-1", AccountID: "210987654321", RequestID: "REQ-SG", From: "developer", To: "business",
		ChangedAt: events.Time(time.Now().Add(time.Second)), ReportedBy: events.Party{Name: "Jane", Email: "jane@northwind.example"},
		Reseller: events.ResellerName{ID: "R-1", Name: "Northwind IT"}}, "s5")
	waitFor(t, store, func(r lifecycle.Record) bool { return r.SupportGroup.Missing })
	if n, err := c.Tick(ctx); err != nil || n != 1 {
		t.Fatalf("after the change raised %d (%v)", n, err)
	}
	// Expected is business-support from the change on; only the raised
	// event's detection time shows the projection has folded it.
	waitFor(t, store, func(r lifecycle.Record) bool {
		return r.SupportGroup.Expected == events.GroupBusinessSupport && r.SupportGroup.Group == "passthrough" &&
			r.SupportGroup.At == events.Time(later)
	})
	if n, err := c.Tick(ctx); err != nil || n != 0 {
		t.Fatalf("pass after raising the change raised %d (%v)", n, err)
	}
}

func waitFor(t *testing.T, store *lifecycle.Store, ok func(lifecycle.Record) bool) {
	t.Helper()
	handlertest.WaitRecord(t, store, "REQ-SG", ok)
}
