package console_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/net/html"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// env is the console over a real pipeline: an embedded JetStream, the
// routing handler and the projection (with its index of open requests),
// the live hub, and the API server the console is mounted on.
type env struct {
	t     testing.TB
	conn  *broker.Conn
	store *lifecycle.Store
	index *lifecycle.Index
	hub   *console.Hub
	srv   *httptest.Server
	// timeouts, when set, replaces the server's read and write timeouts.
	timeouts time.Duration
}

// option configures the console of an env, whose broker is up.
type option func(*env, *console.Config)

func withTokens(s string) option {
	return func(_ *env, c *console.Config) { c.Tokens = auth.MustParse(s) }
}

func newEnv(t testing.TB, opts ...option) *env {
	t.Helper()
	conn := brokertest.Connect(t, brokertest.Server(t))
	store := handlertest.Store(t, conn)
	index := store.Index(brokertest.KV(t, conn, broker.BucketOpen))
	table, err := routing.LoadTable("")
	if err != nil {
		t.Fatal(err)
	}
	log := brokertest.Logger(t)
	brokertest.Run(t, conn,
		(&routing.Handler{JS: conn.JS, Table: table, Requests: store, Logger: log, Now: time.Now}).Broker(),
		(&projection.Handler{Store: store, Index: index, Logger: log}).Broker(),
	)
	hub := runHub(t, console.NewHub(conn.JS, store, broker.NewProgress(conn.JS, projection.Name), log))
	var regions []console.Region
	for _, n := range table.Regions() {
		r, _ := table.Region(n)
		regions = append(regions, console.Region{Name: n, OpsTeam: r.OpsTeam})
	}
	cfg := console.Config{
		Ops:     &ops.Ops{JS: conn.JS, Requests: store, Source: "acctflow/console", Now: time.Now},
		Records: store, Index: index, Regions: regions, Live: hub,
		DeadLetters: console.OpsDeadLetters{DLQ: &ops.DLQ{JS: conn.JS}},
		Logger:      log,
	}
	e := &env{t: t, conn: conn, store: store, index: index, hub: hub}
	for _, o := range opts {
		o(e, &cfg)
	}
	ui, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := &api.Server{
		Ops: cfg.Ops, Tokens: cfg.Tokens, LocalOnly: !cfg.Tokens.Enabled(), Console: ui.Handler(),
		Gatherer: prometheus.NewRegistry(), Logger: log,
		Ready: func(ctx context.Context) error { return broker.Ready(ctx, conn.JS) },
	}
	// The server serve runs: its timeouts and limits.
	e.srv = httptest.NewUnstartedServer(a.Handler())
	e.srv.Config = api.NewHTTPServer(a.Handler(), log)
	if e.timeouts > 0 {
		e.srv.Config.ReadTimeout, e.srv.Config.WriteTimeout = e.timeouts, e.timeouts
	}
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

// request publishes an eligible request of a reseller in country, as an
// upstream system would, and waits until it is routed.
func (e *env) request(id, country, customer string) {
	e.t.Helper()
	req := handlertest.Request(id)
	req.Reseller.Country = country
	if customer != "" {
		req.Customer.Name = customer
	}
	brokertest.Publish(e.t, e.conn, req, "requested-"+id)
	handlertest.WaitStage(e.t, e.store, id, lifecycle.StageRouted)
}

// confirm and details move a routed request on, as the confirmation and
// replies handlers would.
func (e *env) confirm(id string) {
	e.t.Helper()
	brokertest.Publish(e.t, e.conn, handlertest.Confirmed(id), "confirmed-"+id)
	handlertest.WaitStage(e.t, e.store, id, lifecycle.StageAwaitingDetails)
}

func (e *env) details(id, root string) {
	e.t.Helper()
	brokertest.Publish(e.t, e.conn, handlertest.Details(id, root, "Prod", events.SupportBusiness), "details-"+id)
	handlertest.WaitStage(e.t, e.store, id, lifecycle.StageDetailsReceived)
}

// toApproval takes a new request of the US to details_received.
func (e *env) toApproval(id string) {
	e.t.Helper()
	e.request(id, "US", "")
	e.confirm(id)
	e.details(id, "root-"+strings.ToLower(id)+"@acme.example")
}

// waitIndexed waits until the region's index shows id waiting for w.
func (e *env) waitIndexed(region, id string, w lifecycle.Waiting) {
	e.t.Helper()
	brokertest.CheckFor(e.t, 10*time.Second, 10*time.Millisecond, func() error {
		open, err := e.index.Open(context.Background(), region)
		if err != nil {
			return err
		}
		for _, s := range open {
			if s.RequestID == id && s.Waiting == w {
				return nil
			}
		}
		return io.EOF
	})
}

// client is a browser without a script: a cookie jar, redirects shown.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	// header is added to every request.
	header http.Header
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.srv.URL, header: http.Header{},
		hc: &http.Client{Jar: jar, Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string) page { return c.do("GET", path, nil) }

func (c *client) post(path string, form url.Values) page { return c.do("POST", path, form) }

var csrfRE = regexp.MustCompile(`data-csrf="([^"]+)"`)

// csrf reads the page's anti-forgery token.
func (p page) csrf(t testing.TB) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%.2000s", p.body)
	}
	return m[1]
}

// node finds the element with an id.
func (p page) node(id string) *html.Node {
	doc, err := html.Parse(strings.NewReader(p.body))
	if err != nil {
		return nil
	}
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if found != nil {
			return
		}
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" && a.Val == id {
					found = n
					return
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// text is the element's text, or "" when there is none.
func (p page) text(id string) string {
	n := p.node(id)
	if n == nil {
		return ""
	}
	var b bytes.Buffer
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// has reports whether the element id holds an element with id inner.
func (p page) has(outer, inner string) bool {
	n := p.node(outer)
	if n == nil {
		return false
	}
	return strings.Contains(renderNode(n), `id="`+inner+`"`)
}

func renderNode(n *html.Node) string {
	var b bytes.Buffer
	_ = html.Render(&b, n)
	return b.String()
}

// runHub runs hub until the test ends, once it follows the stream.
func runHub(t testing.TB, hub *console.Hub) *console.Hub {
	t.Helper()
	handlertest.Go(t, hub.Run)
	select {
	case <-hub.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("live hub did not start")
	}
	return hub
}
