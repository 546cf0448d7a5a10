package console_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// findBrowser returns Chromium's (or Chrome's) path: ACCTFLOW_CHROME, else
// the usual names on PATH.
func findBrowser() string {
	if p := os.Getenv("ACCTFLOW_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser starts a headless Chromium for the test; without one it skips,
// except in CI (CI set), where .ci/run installs Debian's chromium.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium found in CI: .ci/run installs Debian's chromium (apt-get install -y chromium)")
		}
		t.Skip("no Chromium or Chrome found: apt-get install -y chromium, or set ACCTFLOW_CHROME; the browser tests need one")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// tab opens another tab of the same browser (the same cookies).
func tab(t *testing.T, browserCtx context.Context) context.Context {
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	// The tab lives as long as the context of its first run: open it
	// without the bound later runs have.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	return ctx
}

// run runs steps with a bound, so a broken page fails instead of hanging.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, step := range steps {
		if err := chromedp.Do(ctx, step); err != nil {
			t.Fatalf("%s: step %d: %v%s", what, i+1, err, describe(ctx))
		}
	}
}

// describe says where a tab is, for a failure's message.
func describe(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ""`))
	return "\n  at " + loc + "\n  " + text
}

// value runs one action that reads something, with the same bound.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// eval runs a script for its side effect.
func eval(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, t)
		return err
	})
}

// openLive opens a page, marks its window (a reload would lose the mark)
// and waits until its live stream is connected.
func openLive(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	run(t, ctx, "opening "+url,
		chromedp.Navigate(url),
		eval(`window.__notReloaded = true`),
		chromedp.WaitVisible(chromedp.CSS(`#live-state.on`)),
	)
}

// notReloaded checks the page is the one openLive opened.
func notReloaded(t *testing.T, ctx context.Context) {
	t.Helper()
	if !value(t, ctx, "checking the page was not reloaded", chromedp.Evaluate[bool](`window.__notReloaded === true`)) {
		t.Fatal("the page was reloaded")
	}
}

// A request published over NATS appears on its region's page without a
// reload.
func TestBrowserRequestAppearsLive(t *testing.T) {
	b := browser(t)
	e := newEnv(t)
	page := tab(t, b)
	openLive(t, page, e.srv.URL+"/ui/regions/us")
	published := time.Now()
	brokertest.Publish(t, e.conn, handlertest.Request("REQ-BROWSER"), "requested-REQ-BROWSER")
	run(t, page, "waiting for the new row", chromedp.WaitVisible(chromedp.CSS(`#g-details #r-REQ-BROWSER`)))
	t.Logf("published → row shown in %v (speed: BenchmarkLiveRow)", time.Since(published))
	notReloaded(t, page)
	count := value(t, page, "reading the count", chromedp.Text(chromedp.CSS(`#count-details`)))
	if count != "1" {
		t.Errorf("details count %q", count)
	}
}

// Approving from a request page moves the request to "account creation" on
// every open page: the region's, and another request page of it.
func TestBrowserApprovalMovesEveryPage(t *testing.T) {
	b := browser(t)
	e := newEnv(t)
	e.toApproval("REQ-B2")
	e.waitIndexed("us", "REQ-B2", lifecycle.WaitingApproval)
	region, actor, viewer := tab(t, b), tab(t, b), tab(t, b)
	openLive(t, region, e.srv.URL+"/ui/regions/us")
	run(t, region, "the request waits for approval", chromedp.WaitVisible(chromedp.CSS(`#g-approval #r-REQ-B2`)))
	openLive(t, viewer, e.srv.URL+"/ui/requests/REQ-B2")
	run(t, actor, "opening the request", chromedp.Navigate(e.srv.URL+"/ui/requests/REQ-B2"),
		chromedp.SendKeys(chromedp.CSS(`#approve-form input[name=note]`), "checked by phone"),
		chromedp.Click(chromedp.CSS(`#approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#notice`)),
	)
	run(t, region, "the row moves to account creation",
		chromedp.WaitVisible(chromedp.CSS(`#g-creation #r-REQ-B2`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#g-approval #r-REQ-B2`)),
	)
	run(t, viewer, "the other request page shows the approval",
		chromedp.WaitVisible(chromedp.CSS(`#stage[data-stage="approved"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#approve`)),
	)
	notReloaded(t, region)
	notReloaded(t, viewer)
	rec := handlertest.WaitStage(t, e.store, "REQ-B2", lifecycle.StageApproved)
	if rec.Approval.Note != "checked by phone" {
		t.Errorf("approval %+v", rec.Approval)
	}
}

// A POST without the session's CSRF token is refused, from a script or a
// form, and changes nothing.
func TestBrowserCSRFLessPostRefused(t *testing.T) {
	b := browser(t)
	e := newEnv(t)
	e.toApproval("REQ-B3")
	page := tab(t, b)
	run(t, page, "opening the request",
		chromedp.Navigate(e.srv.URL+"/ui/requests/REQ-B3"),
		chromedp.WaitVisible(chromedp.CSS(`#approve`)),
	)
	status := value(t, page, "posting without a token", chromedp.Evaluate[int](`fetch(location.pathname + "/approve", {method: "POST",
			headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "note=x"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if status != 403 {
		t.Fatalf("script POST without a CSRF token: %d", status)
	}
	run(t, page, "submitting the form without its token",
		eval(`document.querySelector("#approve-form input[name=csrf]").remove()`),
		chromedp.Click(chromedp.CSS(`#approve`)),
		chromedp.WaitVisible(chromedp.CSS(`#error`)),
	)
	msg := value(t, page, "reading the refusal", chromedp.Text(chromedp.CSS(`#error`)))
	if !strings.Contains(msg, "anti-forgery") {
		t.Fatalf("refusal %q", msg)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectApproved); n != 0 {
		t.Fatalf("%d approvals published", n)
	}
	rec, _ := e.store.Get(context.Background(), "REQ-B3")
	if rec.Stage != lifecycle.StageDetailsReceived {
		t.Fatalf("stage %s", rec.Stage)
	}
}

// With tokens configured, a visit without one gets the login form and
// nothing of the requests; a read token's session shows and cannot act.
func TestBrowserLoginRequired(t *testing.T) {
	b := browser(t)
	e := newEnv(t, withTokens("ops:ops-token-0123456789,read:read-token-0123456789"))
	e.toApproval("REQ-B4")
	page := tab(t, b)
	run(t, page, "visiting without a token",
		chromedp.Navigate(e.srv.URL+"/ui/requests/REQ-B4"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
	)
	title := value(t, page, "reading the title", chromedp.Title())
	body := value(t, page, "reading the page", chromedp.Text(chromedp.CSS(`body`)))
	if !strings.HasPrefix(title, "Log in") || strings.Contains(body, "Acme Corp") || strings.Contains(body, "root-req-b4") {
		t.Fatalf("unauthenticated visit shows %q: %.300s", title, body)
	}
	run(t, page, "logging in with a read token",
		chromedp.SendKeys(chromedp.CSS(`input[name=token]`), "read-token-0123456789"),
		chromedp.SendKeys(chromedp.CSS(`input[name=operator]`), "Robin"),
		chromedp.Submit(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#stage`)),
	)
	body = value(t, page, "reading the page", chromedp.Text(chromedp.CSS(`body`)))
	if !strings.Contains(body, "Acme Corp") || !strings.Contains(body, "Read-only session") {
		t.Fatalf("after login: %.500s", body)
	}
	if value(t, page, "looking for the approve button", chromedp.Evaluate[bool](`!!document.getElementById("approve")`)) {
		t.Fatal("a read session is offered the approve button")
	}
}

// A creation AWS failed on our side moves its row to Failures, with AWS's
// reason, on an open region page without a reload.
func TestBrowserCreationFailureMovesToFailures(t *testing.T) {
	b := browser(t)
	e := newEnv(t)
	e.toApproval("REQ-B5")
	brokertest.Publish(t, e.conn, events.AccountApproved{RequestID: "REQ-B5", ApprovedAt: events.Time(time.Now())}, "approved-REQ-B5")
	e.waitIndexed("us", "REQ-B5", lifecycle.WaitingCreation)
	page := tab(t, b)
	openLive(t, page, e.srv.URL+"/ui/regions/us")
	run(t, page, "the request waits for account creation", chromedp.WaitVisible(chromedp.CSS(`#g-creation #r-REQ-B5`)))
	brokertest.Publish(t, e.conn, events.AccountCreationFailed{RequestID: "REQ-B5", FailureReason: "ACCOUNT_LIMIT_EXCEEDED",
		FailedAt: events.Time(time.Now())}, "failed-REQ-B5")
	run(t, page, "the row moves to Failures",
		chromedp.WaitVisible(chromedp.CSS(`#g-failure #r-REQ-B5 .tag-failure`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#g-creation #r-REQ-B5`)),
	)
	notReloaded(t, page)
	if note := value(t, page, "reading the note", chromedp.Text(chromedp.CSS(`#r-REQ-B5 .tag-failure`))); !strings.Contains(note, "ACCOUNT_LIMIT_EXCEEDED") {
		t.Fatalf("note %q", note)
	}
}
