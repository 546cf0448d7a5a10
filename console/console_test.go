package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// A region's page lists its open requests in the group of what each waits
// for, and nothing of other regions.
func TestRegionPageGroupsByWhatRequestsWaitFor(t *testing.T) {
	e := newEnv(t)
	e.toApproval("REQ-APPR")
	e.request("REQ-DETAILS", "US", "Harbor Dental")
	e.request("REQ-CA", "CA", "")
	e.waitIndexed("us", "REQ-APPR", lifecycle.WaitingApproval)
	c := e.client()
	p := c.get("/ui/regions/us")
	if p.status != http.StatusOK {
		t.Fatalf("status %d", p.status)
	}
	if !p.has("g-approval", "r-REQ-APPR") || !p.has("g-details", "r-REQ-DETAILS") {
		t.Fatalf("requests not in their groups:\napproval: %s\ndetails: %s", p.text("g-approval"), p.text("g-details"))
	}
	if p.node("r-REQ-CA") != nil {
		t.Error("a Canadian request on the US page")
	}
	if row := p.text("r-REQ-DETAILS"); !strings.Contains(row, "Harbor Dental") || !strings.Contains(row, "routed") {
		t.Errorf("row %q", row)
	}
	if got := p.text("total"); got != "2" {
		t.Errorf("total %q", got)
	}
	if p := c.get("/ui/regions/atlantis"); p.status != http.StatusNotFound {
		t.Errorf("unknown region: %d", p.status)
	}
}

// An action goes through the same ops operation as the CLI and the API;
// without the session's CSRF token, or from another site, it is refused and
// nothing is published.
func TestActionsNeedTheirCSRFToken(t *testing.T) {
	e := newEnv(t)
	e.toApproval("REQ-CSRF")
	c := e.client()
	p := c.get("/ui/requests/REQ-CSRF")
	token := p.csrf(t)
	if p.node("approve") == nil {
		t.Fatal("no approve button at details_received")
	}
	for name, form := range map[string]url.Values{
		"no token":    {"note": {"x"}},
		"wrong token": {"note": {"x"}, "csrf": {"AAAA" + token[4:]}},
	} {
		if r := c.post("/ui/requests/REQ-CSRF/approve", form); r.status != http.StatusForbidden {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	// Another site's form, even carrying a token, is refused by origin.
	c.header.Set("Sec-Fetch-Site", "cross-site")
	if r := c.post("/ui/requests/REQ-CSRF/approve", url.Values{"csrf": {token}}); r.status != http.StatusForbidden {
		t.Errorf("cross-site: %d", r.status)
	}
	c.header.Del("Sec-Fetch-Site")
	// A token from another session does not pass either.
	other := e.client()
	other.get("/ui/")
	if r := other.post("/ui/requests/REQ-CSRF/approve", url.Values{"csrf": {token}}); r.status != http.StatusForbidden {
		t.Errorf("another session's token: %d", r.status)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectApproved); n != 0 {
		t.Fatalf("%d approvals published by refused posts", n)
	}
	r := c.post("/ui/requests/REQ-CSRF/approve", url.Values{"csrf": {token}, "note": {"checked"}, "by": {"dana@ops"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/ui/requests/REQ-CSRF?done=approve" {
		t.Fatalf("approve: %d %s\n%.1500s", r.status, r.header.Get("Location"), r.body)
	}
	rec := handlertest.WaitStage(t, e.store, "REQ-CSRF", lifecycle.StageApproved)
	if rec.Approval.ApprovedBy != "dana@ops" || rec.Approval.Note != "checked" {
		t.Errorf("approval %+v", rec.Approval)
	}
	msgs := brokertest.Messages(t, e.conn, events.SubjectApproved)
	if len(msgs) != 1 || msgs[0].Headers().Get(events.HeaderSource) != "acctflow/console" {
		t.Fatalf("%d approvals", len(msgs))
	}
}

// A stage guard's refusal is shown on the request's page with 409, in the
// ops operation's own words.
func TestStageRefusalIsShown(t *testing.T) {
	e := newEnv(t)
	e.request("REQ-EARLY", "US", "")
	c := e.client()
	token := c.get("/ui/requests/REQ-EARLY").csrf(t)
	r := c.post("/ui/requests/REQ-EARLY/approve", url.Values{"csrf": {token}})
	if r.status != http.StatusConflict {
		t.Fatalf("status %d", r.status)
	}
	msg := r.text("error")
	if !strings.Contains(msg, `stage "routed"`) || !strings.Contains(msg, "details_received") {
		t.Fatalf("refusal %q", msg)
	}
	r = c.post("/ui/requests/REQ-EARLY/reject", url.Values{"csrf": {token}, "reason": {""}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.text("error"), "reason") {
		t.Fatalf("empty reason: %d %q", r.status, r.text("error"))
	}
	if n := brokertest.Count(t, e.conn, events.SubjectApproved); n != 0 {
		t.Fatalf("%d approvals", n)
	}
}

// With tokens configured nothing is shown without one; a read token shows
// and cannot act; an ops token acts. The session cookie is HttpOnly and
// SameSite=Strict.
func TestTokensGuardTheConsole(t *testing.T) {
	e := newEnv(t, withTokens("ops:ops-secret-123,read:read-secret-456"))
	e.toApproval("REQ-AUTH")
	c := e.client()
	for _, path := range []string{"/ui/", "/ui/regions/us", "/ui/requests/REQ-AUTH", "/ui/regions/us/open.csv", "/ui/dlq", "/ui/search?q=REQ"} {
		p := c.get(path)
		if p.status != http.StatusUnauthorized || strings.Contains(p.body, "Acme Corp") || strings.Contains(p.body, "root-req-auth") || p.node("login") == nil {
			t.Errorf("%s without a token: %d", path, p.status)
		}
	}
	if p := c.do("GET", "/ui/events?region=us", nil); p.status != http.StatusUnauthorized {
		t.Errorf("live stream without a token: %d", p.status)
	}
	if p := c.post("/ui/login", url.Values{"token": {"guess"}}); p.status != http.StatusUnauthorized {
		t.Errorf("wrong token logged in: %d", p.status)
	}
	p := c.post("/ui/login", url.Values{"token": {"read-secret-456"}, "operator": {"Robin"}, "next": {"/ui/requests/REQ-AUTH"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/requests/REQ-AUTH" {
		t.Fatalf("login: %d %s", p.status, p.header.Get("Location"))
	}
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/ui/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	p = c.get("/ui/requests/REQ-AUTH")
	if p.status != http.StatusOK || p.node("approve") != nil {
		t.Fatalf("read session: %d, approve button shown: %v", p.status, p.node("approve") != nil)
	}
	if r := c.post("/ui/requests/REQ-AUTH/approve", url.Values{"csrf": {p.csrf(t)}}); r.status != http.StatusForbidden {
		t.Fatalf("read token approved: %d", r.status)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectApproved); n != 0 {
		t.Fatalf("%d approvals with a read token", n)
	}
	// A bearer token works without a cookie (and needs no CSRF token: a
	// browser never sends one across sites by itself).
	b := e.client()
	b.header.Set("Authorization", "Bearer ops-secret-123")
	if r := b.post("/ui/requests/REQ-AUTH/approve", url.Values{}); r.status != http.StatusSeeOther {
		t.Fatalf("bearer ops token: %d", r.status)
	}
	handlertest.WaitStage(t, e.store, "REQ-AUTH", lifecycle.StageApproved)
	// An ops login acts; the approval names who logged in.
	o := e.client()
	o.post("/ui/login", url.Values{"token": {"ops-secret-123"}, "operator": {"Sam Ops"}})
	if p := o.get("/ui/regions/us"); p.status != http.StatusOK || !strings.Contains(p.body, "Sam Ops") {
		t.Fatalf("ops session: %d", p.status)
	}
}

// The CSV export has every open request of the region, and what a reseller
// typed cannot run as a spreadsheet formula.
func TestRegionCSV(t *testing.T) {
	e := newEnv(t)
	e.request("REQ-CSV1", "DE", "=HYPERLINK(\"http://evil\")")
	e.request("REQ-CSV2", "FR", "Contoso")
	e.request("REQ-CSV3", "US", "")
	e.waitIndexed("emea", "REQ-CSV2", lifecycle.WaitingDetails)
	p := e.client().get("/ui/regions/emea/open.csv")
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %s", p.status, p.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(p.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "request_id" {
		t.Fatalf("rows %q", rows)
	}
	got := map[string][]string{}
	for _, r := range rows[1:] {
		got[r[0]] = r
	}
	if got["REQ-CSV1"] == nil || got["REQ-CSV2"] == nil {
		t.Fatalf("rows %q", rows)
	}
	if c := got["REQ-CSV1"][6]; !strings.HasPrefix(c, "'=") {
		t.Errorf("formula not defused: %q", c)
	}
	if w := got["REQ-CSV2"][2]; w != "details" {
		t.Errorf("waiting %q", w)
	}
}

// Search finds open requests by customer, reseller or root email, and any
// request by its exact id.
func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.toApproval("REQ-S1")
	e.request("REQ-S2", "GB", "Blue Yonder Airlines")
	e.waitIndexed("emea", "REQ-S2", lifecycle.WaitingDetails)
	e.waitIndexed("us", "REQ-S1", lifecycle.WaitingApproval)
	c := e.client()
	for q, want := range map[string]string{"yonder": "REQ-S2", "ROOT-REQ-S1@": "REQ-S1", "northwind": "REQ-S1"} {
		p := c.get("/ui/search?q=" + url.QueryEscape(q))
		if p.status != http.StatusOK || !strings.Contains(p.body, `href="/ui/requests/`+want+`"`) {
			t.Errorf("%q: %d, %s not found", q, p.status, want)
		}
	}
	if p := c.get("/ui/search?q=REQ-S1"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/ui/requests/REQ-S1" {
		t.Errorf("exact id: %d %s", p.status, p.header.Get("Location"))
	}
	// A closed request is found by its id.
	token := c.get("/ui/requests/REQ-S1").csrf(t)
	c.post("/ui/requests/REQ-S1/reject", url.Values{"csrf": {token}, "reason": {"duplicate"}})
	handlertest.WaitStage(t, e.store, "REQ-S1", lifecycle.StageRejected)
	if p := c.get("/ui/search?q=REQ-S1"); p.status != http.StatusSeeOther {
		t.Errorf("closed request by id: %d", p.status)
	}
	if p := c.get("/ui/search?q=nobody-at-all"); p.status != http.StatusOK || !strings.Contains(p.body, "No open request matches") {
		t.Errorf("no match: %d", p.status)
	}
}

// The dead-letter page shows what, why and for which request.
func TestDeadLetterPage(t *testing.T) {
	e := newEnv(t)
	brokertest.PublishRaw(t, e.conn, "dlq.acct.confirmation.sent", []byte(`{"request_id":"REQ-DEAD"}`), "")
	// The broker writes dead letters with their reason in headers.
	m := newDLQ(t, e, "acct.routed.us", "REQ-DEAD", "confirmation", "smtp 550 5.1.1 mailbox unavailable")
	p := e.client().get("/ui/dlq")
	if p.status != http.StatusOK {
		t.Fatalf("%d", p.status)
	}
	row := p.text("dl-" + m)
	for _, want := range []string{"acct.routed.us", "confirmation", "REQ-DEAD", "550 5.1.1 mailbox unavailable"} {
		if !strings.Contains(row, want) {
			t.Errorf("dead letter row %q lacks %q", row, want)
		}
	}
	// Replay from the page: the same operation as `acctflow dlq replay`,
	// the event back on its subject and the dead letter gone.
	c := e.client()
	if r := c.post("/ui/dlq/"+m+"/replay", url.Values{"csrf": {c.get("/ui/dlq").csrf(t)}}); r.status != http.StatusSeeOther {
		t.Fatalf("replay: %d %.300s", r.status, r.body)
	}
	brokertest.WaitCount(t, e.conn, "acct.routed.us", 1)
	if p := c.get("/ui/dlq"); strings.Contains(p.body, `id="dl-`+m+`"`) {
		t.Error("the replayed dead letter is still listed")
	}
	if r := c.post("/ui/dlq/"+m+"/replay", url.Values{"csrf": {c.get("/ui/dlq").csrf(t)}}); r.status != http.StatusNotFound {
		t.Errorf("second replay: %d", r.status)
	}
}

// A failure inside answers with a correlation id, never the error's words.
func TestConsoleServerErrorsCarryNoInternalText(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/ui/") // a session
	// The projection's buckets vanish: every read of them fails inside.
	for _, b := range []string{broker.BucketOpen, broker.BucketRequests} {
		if err := e.conn.JS.DeleteKeyValue(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{"/ui/regions/us", "/ui/requests/REQ-1"} {
		p := c.get(path)
		if p.status < 500 {
			t.Fatalf("%s: %d", path, p.status)
		}
		low := strings.ToLower(p.body)
		for _, leak := range []string{"nats", "bucket", "stream", "not found", "open-requests", "kv"} {
			if strings.Contains(low, leak) {
				t.Errorf("%s: the answer carries %q: %s", path, leak, p.body)
			}
		}
		if !strings.Contains(p.body, "Correlation id") {
			t.Errorf("%s: no correlation id: %s", path, p.body)
		}
	}
}

func TestRequestPageNotFound(t *testing.T) {
	e := newEnv(t)
	if p := e.client().get("/ui/requests/REQ-NOPE"); p.status != http.StatusNotFound {
		t.Fatalf("%d", p.status)
	}
	_ = context.Background()
}

// Whatever a reseller typed reaches a region's rows escaped.
func TestRowEscapesEverything(t *testing.T) {
	e := newEnv(t)
	evil := `<script>alert(1)</script>"><img src=x onerror=alert(2)>&amp;`
	req := handlertest.Request("REQ-XSS")
	req.Customer.Name, req.Reseller.Name = evil, evil
	brokertest.Publish(t, e.conn, req, "requested-REQ-XSS")
	e.waitIndexed("us", "REQ-XSS", lifecycle.WaitingDetails)
	p := e.client().get("/ui/regions/us")
	if strings.Contains(p.body, "<script>alert") || strings.Contains(p.body, "<img src=x") {
		t.Fatalf("unescaped input in the page:\n%s", p.text("r-REQ-XSS"))
	}
	if got := p.text("r-REQ-XSS"); !strings.Contains(got, evil) {
		t.Fatalf("the row does not show what was typed: %q", got)
	}
}

// The provisioning retry button calls ops' retry, whose refusal (no
// CreateAccount with an unknown outcome) is shown.
func TestProvisioningRetryRefusalShown(t *testing.T) {
	e := newEnv(t)
	e.toApproval("REQ-RETRY")
	c := e.client()
	token := c.get("/ui/requests/REQ-RETRY").csrf(t)
	c.post("/ui/requests/REQ-RETRY/approve", url.Values{"csrf": {token}})
	handlertest.WaitStage(t, e.store, "REQ-RETRY", lifecycle.StageApproved)
	p := c.get("/ui/requests/REQ-RETRY")
	if !strings.Contains(p.body, `action="/ui/requests/REQ-RETRY/retry"`) {
		t.Fatal("no retry button at approved")
	}
	r := c.post("/ui/requests/REQ-RETRY/retry", url.Values{"csrf": {token}})
	if r.status != http.StatusConflict || !strings.Contains(r.text("error"), "only for a CreateAccount whose outcome is unknown") {
		t.Fatalf("%d %q", r.status, r.text("error"))
	}
}
