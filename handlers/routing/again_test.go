package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/lifecycle"
)

func TestAgain(t *testing.T) {
	req := handlertest.Request("REQ-1")
	changed := req
	changed.Reseller.PrimaryContact.Email = "mallory@evil.example"
	later := req
	later.RequestedAt = "2026-12-24T00:00:00.000Z" // filled in by the API or CLI
	at := func(s lifecycle.Stage, by string) lifecycle.Record {
		r := lifecycle.Record{Stage: s, Request: &req}
		if s == lifecycle.StageRejected {
			r.Rejection = &lifecycle.Rejection{By: by, Reasons: []string{events.ReasonPricebookMissing}}
			if by == "ops" {
				r.Rejection.Reasons = []string{events.ReasonOpsRejected}
			}
		}
		return r
	}
	for _, c := range []struct {
		name string
		rec  lifecycle.Record
		req  events.AccountRequested
		want routing.Publication
	}{
		{"unseen", lifecycle.Record{}, req, routing.New},
		{"not routed yet, newer body", at(lifecycle.StageRequested, ""), changed, routing.New},
		{"rejected by routing, corrected", at(lifecycle.StageRejected, "routing"), changed, routing.New},
		{"rejected by routing, uncorrected", at(lifecycle.StageRejected, "routing"), later, routing.Same},
		{"rejected by ops, again", at(lifecycle.StageRejected, "ops"), later, routing.Same},
		{"rejected by ops, changed", at(lifecycle.StageRejected, "ops"), changed, routing.Conflict},
		{"routed, again with another requested_at", at(lifecycle.StageRouted, ""), later, routing.Same},
		{"awaiting details, changed contact", at(lifecycle.StageAwaitingDetails, ""), changed, routing.Conflict},
		{"created, again", at(lifecycle.StageCreated, ""), req, routing.Same},
		{"expired, changed", at(lifecycle.StageExpired, ""), changed, routing.Conflict},
	} {
		if got := routing.Again(c.rec, c.req); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
}

// The same request published again, at any stage, through any door, with a
// new message id (as after the duplicate window): the request never
// rewinds. A different body under its id is refused as a conflict that
// leaves it untouched.
func TestRepublishedRequestNeverRewinds(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))
	data := requestJSON("REQ-AGAIN", "US", true)
	publish(t, e.conn, data, "first")
	brokertest.WaitCount(t, e.conn, "acct.routed.us", 1)
	now := events.Time(time.Now())
	steps := []events.Event{
		events.ConfirmationSent{RequestID: "REQ-AGAIN", MessageID: "c@acctflow.localhost", Recipient: "jane@northwind.example", ReplyTo: "acct-replies@acctflow.localhost", SentAt: now},
		handlertest.Details("REQ-AGAIN", "root@acme.example", "Acme", "business"),
		events.AccountApproved{RequestID: "REQ-AGAIN", ApprovedAt: now},
		events.AccountCreated{RequestID: "REQ-AGAIN", AccountID: "123456789012", Method: events.MethodManual, CreatedAt: now},
	}
	want := []lifecycle.Stage{lifecycle.StageAwaitingDetails, lifecycle.StageDetailsReceived, lifecycle.StageApproved, lifecycle.StageCreated}
	for i, ev := range steps {
		brokertest.Publish(t, e.conn, ev, "step-"+string(rune('a'+i)))
		handlertest.WaitStage(t, e.store, "REQ-AGAIN", want[i])
		// Without requested_at, as the CLI or API would fill it in.
		publish(t, e.conn, []byte(strings.Replace(string(data), `"requested_at":"2026-11-25T18:00:00Z",`, "", 1)), "again-"+string(rune('a'+i)))
		brokertest.WaitCount(t, e.conn, events.SubjectRequested, 2+i)
		brokertest.WaitIdle(t, e.conn, routing.Name)
		brokertest.WaitIdle(t, e.conn, "projection")
		rec, err := e.store.Get(context.Background(), "REQ-AGAIN")
		if err != nil || rec.Stage != want[i] {
			t.Fatalf("after publishing again at %s: stage %s (%v)", want[i], rec.Stage, err)
		}
	}
	if n := brokertest.Count(t, e.conn, "acct.routed.>") + brokertest.Count(t, e.conn, events.SubjectRejected); n != 1 {
		t.Fatalf("%d routing decisions", n)
	}

	// Another reseller's contact under the same id: refused, visibly.
	changed := strings.Replace(string(data), "jane@northwind.example", "mallory@evil.example", 1)
	publish(t, e.conn, []byte(changed), "conflict")
	brokertest.WaitCount(t, e.conn, events.SubjectRejected, 1)
	rej := brokertest.Messages(t, e.conn, events.SubjectRejected)[0]
	if !strings.Contains(string(rej.Data()), events.ReasonRequestIDConflict) {
		t.Fatalf("rejected %s", rej.Data())
	}
	rec := handlertest.WaitRecord(t, e.store, "REQ-AGAIN", func(r lifecycle.Record) bool { return len(r.Conflicts) == 1 })
	if rec.Stage != lifecycle.StageCreated || rec.Request.Reseller.PrimaryContact.Email != "jane@northwind.example" || rec.Rejection != nil {
		t.Fatalf("the original request changed: %s %+v %+v", rec.Stage, rec.Request.Reseller.PrimaryContact, rec.Rejection)
	}
}

// A request rejected by routing and corrected under the same id is routed.
func TestCorrectedRequestRouted(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))
	publish(t, e.conn, requestJSON("REQ-FIX", "US", false), "bad")
	brokertest.WaitCount(t, e.conn, events.SubjectRejected, 1)
	handlertest.WaitStage(t, e.store, "REQ-FIX", lifecycle.StageRejected)
	publish(t, e.conn, requestJSON("REQ-FIX", "US", false), "bad-again")
	publish(t, e.conn, requestJSON("REQ-FIX", "US", true), "fixed")
	brokertest.WaitCount(t, e.conn, "acct.routed.us", 1)
	rec := handlertest.WaitStage(t, e.store, "REQ-FIX", lifecycle.StageRouted)
	if rec.Rejection != nil || !rec.Request.Pricebook.ProviderEnabledInPortal {
		t.Fatalf("record %+v", rec)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectRejected); n != 1 {
		t.Fatalf("%d rejections", n)
	}
}

// Ids the contract allows but that are awkward as keys route like any other.
func TestDottedIDsRoute(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))
	for i, id := range []string{"REQ..1", ".REQ2", "REQ3."} {
		publish(t, e.conn, requestJSON(id, "US", true), "dotted-"+string(rune('a'+i)))
		handlertest.WaitStage(t, e.store, id, lifecycle.StageRouted)
	}
	brokertest.WaitCount(t, e.conn, "acct.routed.us", 3)
	brokertest.WaitIdle(t, e.conn, routing.Name)
	if n := brokertest.Count(t, e.conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
}
