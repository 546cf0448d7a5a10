package console_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// toCreationFailed takes a new request of the US to creation_failed, as
// provisioning leaves one AWS failed on our side: its CreateAccount ended
// in the ledger, acct.creation.failed published.
func (e *env) toCreationFailed(id, reason string) {
	e.t.Helper()
	e.toApproval(id)
	brokertest.Publish(e.t, e.conn, events.AccountApproved{RequestID: id, ApprovedBy: "sam@ops", ApprovedAt: events.Time(time.Now())}, "approved-"+id)
	handlertest.WaitStage(e.t, e.store, id, lifecycle.StageApproved)
	ledger := effect.NewLedger(brokertest.KV(e.t, e.conn, broker.BucketAccounts), "", nil)
	if _, err := ledger.Put(context.Background(), effect.Key(events.EffectCreateAccount, id), effect.Record{State: effect.Dead}, 0); err != nil {
		e.t.Fatal(err)
	}
	text, _ := aws.Explain(reason)
	brokertest.Publish(e.t, e.conn, events.AccountCreationFailed{RequestID: id, FailureReason: reason, Explanation: text,
		FailedAt: events.Time(time.Now())}, "failed-"+id)
	handlertest.WaitStage(e.t, e.store, id, lifecycle.StageCreationFailed)
}

// A creation AWS failed on our side is listed under Failures with AWS's
// reason; its page tells ops what they can do, and shows the reseller's
// explanation as the reseller's; the retry from the page goes through.
func TestCreationFailedIsAFailureForOps(t *testing.T) {
	e := newEnv(t)
	e.toCreationFailed("REQ-LIMIT", "ACCOUNT_LIMIT_EXCEEDED")
	e.waitIndexed("us", "REQ-LIMIT", lifecycle.WaitingFailure)
	c := e.client()
	p := c.get("/ui/regions/us")
	if !p.has("g-failure", "r-REQ-LIMIT") || p.has("g-creation", "r-REQ-LIMIT") || p.text("count-failure") != "1" {
		t.Fatalf("not under Failures:\nfailures: %s\ncreation: %s", p.text("group-failure"), p.text("group-creation"))
	}
	if row := p.text("r-REQ-LIMIT"); !strings.Contains(row, "account creation failed: ACCOUNT_LIMIT_EXCEEDED") {
		t.Errorf("row %q", row)
	}

	p = c.get("/ui/requests/REQ-LIMIT")
	if got := p.text("creation-failure"); got != "ACCOUNT_LIMIT_EXCEEDED" {
		t.Errorf("creation failure %q", got)
	}
	if got := p.text("creation-explanation"); !strings.Contains(got, "reseller's words") || !strings.Contains(got, "you do not need to do anything") {
		t.Errorf("the reseller's explanation is not labelled as theirs: %q", got)
	}
	if got := p.text("ops-todo"); !strings.Contains(got, "ACCOUNT_LIMIT_EXCEEDED") || !strings.Contains(got, "retry CreateAccount") || !strings.Contains(got, "record its id") {
		t.Errorf("what ops can do: %q", got)
	}
	for _, action := range []string{"retry", "account"} {
		if !strings.Contains(p.body, `action="/ui/requests/REQ-LIMIT/`+action+`"`) {
			t.Errorf("no %s form at creation_failed", action)
		}
	}
	r := c.post("/ui/requests/REQ-LIMIT/retry", url.Values{"csrf": {p.csrf(t)}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("retry: %d %q", r.status, r.text("error"))
	}
	rec := handlertest.WaitStage(t, e.store, "REQ-LIMIT", lifecycle.StageApproved)
	if rec.Approval.Retry != 1 {
		t.Errorf("approval %+v", rec.Approval)
	}
	e.waitIndexed("us", "REQ-LIMIT", lifecycle.WaitingCreation)
}

// Ops may reject a request while it waits for its details, as ops.Reject
// allows.
func TestRejectWhileAwaitingDetails(t *testing.T) {
	e := newEnv(t)
	e.request("REQ-WAIT", "US", "")
	e.confirm("REQ-WAIT")
	c := e.client()
	p := c.get("/ui/requests/REQ-WAIT")
	if !strings.Contains(p.body, `action="/ui/requests/REQ-WAIT/reject"`) || strings.Contains(p.body, "Nothing for ops to do") {
		t.Fatalf("no reject form at awaiting_details:\n%s", p.text("panel"))
	}
	r := c.post("/ui/requests/REQ-WAIT/reject", url.Values{"csrf": {p.csrf(t)}, "reason": {"duplicate of REQ-1001"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("reject: %d %q", r.status, r.text("error"))
	}
	rec := handlertest.WaitStage(t, e.store, "REQ-WAIT", lifecycle.StageRejected)
	if rec.Rejection == nil || rec.Rejection.Detail != "duplicate of REQ-1001" {
		t.Errorf("rejection %+v", rec.Rejection)
	}
}

// A held reply of a rejected request is not offered for release, and a
// release posted anyway is refused in ops' words; it can be discarded.
func TestHeldReplyOfAnEndedRequest(t *testing.T) {
	e := newEnv(t)
	e.request("REQ-HELD", "US", "")
	e.confirm("REQ-HELD")
	root := "root-held@acme.example"
	brokertest.Publish(t, e.conn, events.ReplyHeld{ReplyID: strings.Repeat("d", 32), RequestID: "REQ-HELD", Reason: events.HoldUnverifiedSender,
		MatchedBy: events.MatchedSubject, From: handlertest.Contact, RootEmail: &root, ConfirmationRequested: true, HeldAt: events.Time(time.Now())}, "held-REQ-HELD")
	handlertest.WaitRecord(t, e.store, "REQ-HELD", func(r lifecycle.Record) bool { return len(r.Held) == 1 })
	c := e.client()
	p := c.get("/ui/requests/REQ-HELD")
	if !strings.Contains(p.body, `action="/ui/requests/REQ-HELD/release"`) {
		t.Fatal("no release form while the request waits for details")
	}
	token := p.csrf(t)
	if r := c.post("/ui/requests/REQ-HELD/reject", url.Values{"csrf": {token}, "reason": {"customer withdrew"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reject: %d %q", r.status, r.text("error"))
	}
	handlertest.WaitStage(t, e.store, "REQ-HELD", lifecycle.StageRejected)
	p = c.get("/ui/requests/REQ-HELD")
	if strings.Contains(p.body, `action="/ui/requests/REQ-HELD/release"`) || !strings.Contains(p.body, `action="/ui/requests/REQ-HELD/discard"`) {
		t.Fatal("a rejected request's held reply is offered for release, or not for discarding")
	}
	if !strings.Contains(p.text("panel"), "can no longer apply; discard it") {
		t.Errorf("the page does not say why: %s", p.text("panel"))
	}
	r := c.post("/ui/requests/REQ-HELD/release", url.Values{"csrf": {token}})
	if r.status != http.StatusConflict || !strings.Contains(r.text("error"), "is rejected") {
		t.Fatalf("release after rejection: %d %q", r.status, r.text("error"))
	}
	if n := brokertest.Count(t, e.conn, events.SubjectReplyReleased); n != 0 {
		t.Fatalf("%d releases published", n)
	}
	if r := c.post("/ui/requests/REQ-HELD/discard", url.Values{"csrf": {token}}); r.status != http.StatusSeeOther {
		t.Fatalf("discard: %d %q", r.status, r.text("error"))
	}
	handlertest.WaitRecord(t, e.store, "REQ-HELD", func(r lifecycle.Record) bool { return r.Held[0].Status == lifecycle.HeldDiscarded })
}

// The support plan group form starts at the group the support type calls
// for, and says so before it is submitted.
func TestSupportGroupFormExpectsTheSupportTypesGroup(t *testing.T) {
	e := newEnv(t)
	for id, support := range map[string]string{"REQ-BIZ": events.SupportBusiness, "REQ-DEV": events.SupportDeveloper} {
		e.request(id, "US", "")
		e.confirm(id)
		brokertest.Publish(t, e.conn, handlertest.Details(id, "root-"+strings.ToLower(id)+"@acme.example", "Prod", support), "details-"+id)
		handlertest.WaitStage(t, e.store, id, lifecycle.StageDetailsReceived)
		brokertest.Publish(t, e.conn, events.AccountApproved{RequestID: id, ApprovedAt: events.Time(time.Now())}, "approved-"+id)
		handlertest.WaitStage(t, e.store, id, lifecycle.StageApproved)
		brokertest.Publish(t, e.conn, events.AccountCreated{RequestID: id, AccountID: "123456789012", Method: events.MethodManual, CreatedAt: events.Time(time.Now())}, "created-"+id)
		handlertest.WaitStage(t, e.store, id, lifecycle.StageCreated)
	}
	c := e.client()
	for id, want := range map[string]string{"REQ-BIZ": events.GroupBusinessSupport, "REQ-DEV": events.GroupPassthrough} {
		p := c.get("/ui/requests/" + id)
		if got := p.text("expected-group"); !strings.Contains(got, "calls for "+want) {
			t.Errorf("%s: expected group %q, want it to name %s", id, got, want)
		}
		if got := selected(p, "group-form"); got != want {
			t.Errorf("%s: %q preselected, want %s", id, got, want)
		}
	}
}

// selected is the value of the option selected in a form's select (the
// first when none is marked, as a browser submits it).
func selected(p page, form string) string {
	n := p.node(form)
	if n == nil {
		return ""
	}
	var first, sel string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			var value string
			var isSel bool
			for _, a := range n.Attr {
				switch a.Key {
				case "value":
					value = a.Val
				case "selected":
					isSel = true
				}
			}
			if first == "" {
				first = value
			}
			if isSel && sel == "" {
				sel = value
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	if sel == "" {
		return first
	}
	return sel
}

// What a partial reply left out is said in words, on the request page and
// on its row of the region page.
func TestMissingDetailsInWords(t *testing.T) {
	e := newEnv(t)
	e.request("REQ-PART", "US", "")
	e.confirm("REQ-PART")
	root, nick := "root-part@acme.example", "Prod"
	brokertest.Publish(t, e.conn, events.DetailsIncomplete{RequestID: "REQ-PART", Problems: []string{"support_type_missing"},
		RootEmail: &root, Nickname: &nick, ClarificationSent: true, ReceivedAt: events.Time(time.Now())}, "incomplete-REQ-PART")
	handlertest.WaitRecord(t, e.store, "REQ-PART", func(r lifecycle.Record) bool { return len(r.Problems) == 1 })
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		open, err := e.index.Open(context.Background(), "us")
		for _, s := range open {
			if s.RequestID == "REQ-PART" && s.Missing != "" {
				return nil
			}
		}
		return fmt.Errorf("no missing words on the line yet (%v)", err)
	})
	c := e.client()
	if got := c.get("/ui/requests/REQ-PART").text("missing"); got != "support type missing" {
		t.Errorf("request page: still missing %q", got)
	}
	p := c.get("/ui/regions/us")
	if row := p.text("r-REQ-PART"); !p.has("g-details", "r-REQ-PART") || !strings.Contains(row, "support type missing") {
		t.Errorf("row %q", row)
	}
	rows, err := csv.NewReader(strings.NewReader(c.get("/ui/regions/us/open.csv").body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv %q %v", rows, err)
	}
	if h, r := rows[0][len(rows[0])-1], rows[1][len(rows[1])-1]; h != "missing" || r != "support type missing" {
		t.Errorf("csv %s: %q", h, r)
	}
}
