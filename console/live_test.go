package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
)

type sse struct {
	Event, ID string
	Data      map[string]any
}

// stream opens a page's live stream and delivers its events until the test
// ends.
func (c *client) stream(path string) <-chan sse {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	streams := &http.Client{Jar: c.hc.Jar} // no time limit: the stream lasts the test
	resp, err := streams.Do(req)
	if err != nil {
		cancel()
		c.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		resp.Body.Close()
		c.t.Fatalf("%s: %d", path, resp.StatusCode)
	}
	out := make(chan sse, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					select {
					case out <- ev:
					case <-ctx.Done():
						return
					}
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			}
		}
	}()
	c.t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return out
}

// next waits for the first event that satisfies ok, skipping others.
func next(t *testing.T, ch <-chan sse, what string, ok func(sse) bool) sse {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case ev, open := <-ch:
			if !open {
				t.Fatalf("stream ended waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s", what)
		}
	}
}

func row(id string, waiting lifecycle.Waiting) func(sse) bool {
	return func(ev sse) bool {
		return ev.Event == "row" && ev.Data["id"] == id && (waiting == "" && ev.Data["open"] == false || ev.Data["waiting"] == string(waiting))
	}
}

var cursorRE = regexp.MustCompile(`data-cursor="([^"]*)"`)

func cursor(t *testing.T, p page) string {
	t.Helper()
	m := cursorRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no cursor on the page")
	}
	return m[1]
}

// A region page's stream moves a request from group to group as it goes,
// and carries nothing of other regions.
func TestLiveRegionStream(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	p := c.get("/ui/regions/us")
	ch := c.stream("/ui/events?region=us&since=" + url.QueryEscape(cursor(t, p)))

	e.request("REQ-CA-LIVE", "CA", "")
	e.request("REQ-LIVE", "US", "Tailspin Toys")
	ev := next(t, ch, "the new request's row", row("REQ-LIVE", lifecycle.WaitingDetails))
	if html, _ := ev.Data["html"].(string); !strings.Contains(html, `id="r-REQ-LIVE"`) || !strings.Contains(html, "Tailspin Toys") {
		t.Fatalf("row html %q", html)
	}
	e.confirm("REQ-LIVE")
	e.details("REQ-LIVE", "root@tailspin.example")
	next(t, ch, "the row waiting for approval", row("REQ-LIVE", lifecycle.WaitingApproval))
	token := c.get("/ui/requests/REQ-LIVE").csrf(t)
	if r := c.post("/ui/requests/REQ-LIVE/approve", url.Values{"csrf": {token}}); r.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.status)
	}
	next(t, ch, "the row waiting for account creation", row("REQ-LIVE", lifecycle.WaitingCreation))
	if r := c.post("/ui/requests/REQ-LIVE/account", url.Values{"csrf": {token}, "account_id": {"123456789012"}}); r.status != http.StatusSeeOther {
		t.Fatalf("record account: %d %s", r.status, r.text("error"))
	}
	next(t, ch, "the row waiting for the role", row("REQ-LIVE", lifecycle.WaitingRole))
	// Nothing of Canada came on the US stream.
	for {
		select {
		case ev := <-ch:
			if ev.Data["id"] == "REQ-CA-LIVE" {
				t.Fatalf("a Canadian request on the US stream: %+v", ev)
			}
			continue
		default:
		}
		break
	}
}

// What changed between a page's reading and its stream's start comes on
// the stream; a page from before a restart (an unknown cursor) is told to
// read itself again.
func TestLiveStreamCatchesUp(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	old := cursor(t, c.get("/ui/regions/us"))
	e.request("REQ-MISSED", "US", "")
	handlertest.WaitStage(t, e.store, "REQ-MISSED", lifecycle.StageRouted)
	// Wait until the hub has told someone: a fresh page's cursor moved.
	brokertest.CheckFor(t, 15*time.Second, 10*time.Millisecond, func() error {
		if cursor(t, c.get("/ui/regions/us")) == old {
			return errors.New("the hub has not noticed the request")
		}
		return nil
	})
	ch := c.stream("/ui/events?region=us&since=" + url.QueryEscape(old))
	next(t, ch, "the missed row", row("REQ-MISSED", lifecycle.WaitingDetails))

	stale := c.stream("/ui/events?region=us&since=" + url.QueryEscape("0badc0de-3"))
	next(t, stale, "resync", func(ev sse) bool { return ev.Event == "resync" })
}

// A request page's stream says when the request changed.
func TestLiveRequestStream(t *testing.T) {
	e := newEnv(t)
	e.toApproval("REQ-RS")
	c := e.client()
	p := c.get("/ui/requests/REQ-RS")
	ch := c.stream(fmt.Sprintf("/ui/events?request=REQ-RS&since=%s", url.QueryEscape(cursor(t, p))))
	c.post("/ui/requests/REQ-RS/approve", url.Values{"csrf": {p.csrf(t)}})
	next(t, ch, "changed", func(ev sse) bool { return ev.Event == "changed" && ev.Data["stage"] == string(lifecycle.StageApproved) })
	if panel := c.get("/ui/requests/REQ-RS/panel"); panel.text("stage") != "approved" {
		t.Fatalf("panel stage %q", panel.text("stage"))
	}
}

// A live stream outlives the server's read and write timeouts, which bound
// every other answer.
func TestLiveStreamOutlivesServerTimeouts(t *testing.T) {
	const timeout = 150 * time.Millisecond
	e := newEnv(t, func(e *env, _ *console.Config) { e.timeouts = timeout })
	c := e.client()
	ch := c.stream("/ui/events?region=us&since=" + url.QueryEscape(cursor(t, c.get("/ui/regions/us"))))
	// The clock itself is what this test waits for: past both timeouts.
	<-time.After(4 * timeout)
	e.request("REQ-LATE", "US", "")
	ev := next(t, ch, "a row after the timeouts", row("REQ-LATE", lifecycle.WaitingDetails))
	if ev.Event != "row" {
		t.Fatal(ev)
	}
}

// projectionAt is the projection's progress as a test sets it.
type projectionAt struct {
	asked   atomic.Int32
	handled atomic.Bool
}

func (p *projectionAt) WaitHandled(context.Context, uint64, time.Duration) (bool, error) {
	p.asked.Add(1)
	return p.handled.Load(), nil
}

// countedRecords counts the records read.
type countedRecords struct {
	console.Records
	reads atomic.Int32
}

func (c *countedRecords) Get(ctx context.Context, id string) (lifecycle.Record, error) {
	c.reads.Add(1)
	return c.Records.Get(ctx, id)
}

// A change not folded in within the hub's first ticks is read again once
// the projection says it has folded it, and not before: in a burst the
// projection is thousands of events behind, and reading every waiting
// record every tick until it caught up kept the server busy exactly then.
func TestLiveHubWaitsForTheProjection(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	store := handlertest.Store(t, conn)
	records := &countedRecords{Records: store}
	progress := &projectionAt{}
	hub := console.NewHub(conn.JS, records, progress, brokertest.Logger(t))
	// Past this, a hub that cannot ask the projection shows the record as
	// it is; one that can waits for the projection (minutes, in a burst).
	const settle = 200 * time.Millisecond
	console.SetSettle(hub, settle)
	runHub(t, hub)
	sub, _, _ := hub.Subscribe("", "REQ-HUB", hub.Cursor())
	defer hub.Unsubscribe(sub)

	// No projection runs yet: the first reads find no record.
	published := time.Now()
	brokertest.Publish(t, conn, handlertest.Request("REQ-HUB"), "req-hub")
	waitAsked := func() {
		t.Helper()
		asked := progress.asked.Load()
		brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			if n := progress.asked.Load(); n < asked+5 {
				return fmt.Errorf("the hub asked the projection's progress %d times", n-asked)
			}
			if time.Since(published) < 2*settle {
				return fmt.Errorf("not yet past the settle time")
			}
			return nil
		})
	}
	waitAsked()
	first := records.reads.Load()
	if first == 0 {
		t.Fatal("no read of the changed request")
	}
	// The projection folds it, but has not said so yet.
	brokertest.Run(t, conn, handlertest.Projection(t, store))
	handlertest.WaitStage(t, store, "REQ-HUB", lifecycle.StageRequested)
	waitAsked()
	if n := records.reads.Load(); n != first {
		t.Fatalf("%d more reads while the projection had not reported the change folded", n-first)
	}
	select {
	case n := <-sub.C:
		t.Fatalf("a notice before the projection reported the change folded: %+v", n)
	default:
	}

	progress.handled.Store(true)
	select {
	case n := <-sub.C:
		if n.ID != "REQ-HUB" || n.Stage != lifecycle.StageRequested {
			t.Fatalf("notice %+v", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notice once the projection reported the change folded")
	}
	if n := records.reads.Load(); n != first+1 {
		t.Fatalf("%d reads once the projection reported the change folded, want 1", n-first)
	}
}

// While no page is open, the hub reads no record: it lets changes go once
// the projection has them, and a stream from a cursor older than that is
// told to resync. Once a page is open, changes are read and shown again.
func TestLiveHubReadsNothingWhileNobodyWatches(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	store := handlertest.Store(t, conn)
	records := &countedRecords{Records: store}
	progress := &projectionAt{}
	progress.handled.Store(true)
	hub := console.NewHub(conn.JS, records, progress, brokertest.Logger(t))
	const rendering = 200 * time.Millisecond
	console.SetRendering(hub, rendering)
	runHub(t, hub)
	brokertest.Run(t, conn, handlertest.Projection(t, store))
	// A page that was open for a while, then closed.
	first, _, _ := hub.Subscribe("", "REQ-FIRST", hub.Cursor())
	brokertest.Publish(t, conn, handlertest.Request("REQ-FIRST"), "req-first")
	select {
	case <-first.C:
	case <-time.After(10 * time.Second):
		t.Fatal("no notice for a page that is open")
	}
	hub.Unsubscribe(first)
	reads := records.reads.Load()
	// A page rendered, whose stream never started.
	old := hub.Cursor()
	rendered := time.Now()
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if time.Since(rendered) <= rendering {
			return fmt.Errorf("the page still counts as rendering")
		}
		return nil
	})

	asked := progress.asked.Load()
	brokertest.Publish(t, conn, handlertest.Request("REQ-IDLE"), "req-idle")
	handlertest.WaitStage(t, store, "REQ-IDLE", lifecycle.StageRequested)
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if progress.asked.Load() == asked || console.LetGo(hub) == 0 {
			return fmt.Errorf("the hub has not let the change go")
		}
		return nil
	})
	if _, _, resync := hub.Subscribe("", "REQ-IDLE", old); !resync {
		t.Fatal("a stream from a cursor taken before changes were let go did not resync")
	}
	if n := records.reads.Load(); n != reads {
		t.Fatalf("%d records read while no page was open", n-reads)
	}

	// A page now: its changes are read and shown.
	sub, _, resync := hub.Subscribe("", "REQ-WATCHED", hub.Cursor())
	defer hub.Unsubscribe(sub)
	if resync {
		t.Fatal("a stream from a fresh cursor was told to resync")
	}
	brokertest.Publish(t, conn, handlertest.Request("REQ-WATCHED"), "req-watched")
	select {
	case n := <-sub.C:
		if n.ID != "REQ-WATCHED" || n.Stage != lifecycle.StageRequested {
			t.Fatalf("notice %+v", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notice for a page that is open")
	}
}
