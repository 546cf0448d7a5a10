package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

const valid = `{"request_id":"REQ-API1","reseller":{"id":"R-1","name":"N","country":"US","primary_contact":{"name":"J","email":"j@n.example"}},
 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":true}}`

func server(t *testing.T, tokens ...string) (*httptest.Server, *broker.Conn) {
	return serverWith(t, func(*api.Server) {}, tokens...)
}

func serverWith(t *testing.T, opt func(*api.Server), tokens ...string) (*httptest.Server, *broker.Conn) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	kv, err := conn.JS.KeyValue(context.Background(), broker.BucketRequests)
	if err != nil {
		t.Fatal(err)
	}
	s := &api.Server{
		Ops:      &ops.Ops{JS: conn.JS, Requests: lifecycle.NewStore(kv), Source: "test", Now: time.Now},
		Tokens:   auth.MustParse(strings.Join(tokens, ",")),
		Gatherer: prometheus.NewRegistry(),
		Logger:   brokertest.Logger(t),
		Ready:    func(ctx context.Context) error { return broker.Ready(ctx, conn.JS) },
	}
	opt(s)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts, conn
}

func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" && !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("%s %s: content type %q", method, url, ct)
	}
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestStatusCodes(t *testing.T) {
	ts, conn := server(t, "s3cret", "other")
	cases := []struct {
		name, method, path, token, body string
		want                            int
	}{
		{"no token", "POST", "/v1/requests", "", valid, 401},
		{"wrong token", "POST", "/v1/requests", "nope", valid, 401},
		{"not json", "POST", "/v1/requests", "s3cret", "{", 400},
		{"schema violation", "POST", "/v1/requests", "s3cret", `{"customer":{}}`, 400},
		{"too large", "POST", "/v1/requests", "other", `{"x":"` + strings.Repeat("a", api.MaxBody) + `"}`, 413},
		{"accepted", "POST", "/v1/requests", "s3cret", valid, 202},
		{"unknown", "GET", "/v1/requests/REQ-NONE", "s3cret", "", 404},
		{"bad id", "GET", "/v1/requests/..%2f", "s3cret", "", 404},
		{"health needs no token", "GET", "/healthz", "", "", 200},
		{"ready", "GET", "/readyz", "", "", 200},
	}
	for _, c := range cases {
		code, body := do(t, c.method, ts.URL+c.path, c.token, c.body)
		if code != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, code, body, c.want)
		}
		if c.want == 400 && c.name == "schema violation" {
			if errs, _ := body["errors"].([]any); len(errs) == 0 {
				t.Errorf("%s: no field errors in %v", c.name, body)
			}
		}
	}
	if n := brokertest.Count(t, conn, "acct.requested"); n != 1 {
		t.Fatalf("%d requests published, want 1", n)
	}
	// No route, or not this method: JSON like every other error.
	for _, c := range []struct {
		method, path string
		want         int
		allow        string
	}{
		{"GET", "/v1/nothing", 404, ""},
		{"DELETE", "/v1/requests", 405, "POST"},
	} {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != c.want || resp.Header.Get("Content-Type") != "application/json" || out["error"] == nil ||
			!strings.Contains(resp.Header.Get("Allow"), c.allow) {
			t.Errorf("%s %s: %d %s %v (Allow %q)", c.method, c.path, resp.StatusCode, resp.Header.Get("Content-Type"), out, resp.Header.Get("Allow"))
		}
	}
	// A client retrying the same body publishes nothing new.
	if code, _ := do(t, "POST", ts.URL+"/v1/requests", "s3cret", valid); code != 202 {
		t.Fatal(code)
	}
	if n := brokertest.Count(t, conn, "acct.requested"); n != 1 {
		t.Fatalf("retry published again: %d", n)
	}
}

// Probes need no token, but when tokens are configured an anonymous caller
// learns which component is not ready, not the server's words about it
// (hosts, accounts); a read token shows them.
func TestReadinessReasonsNeedAToken(t *testing.T) {
	const reason = "535 5.7.8 authentication failed for acctflow@smtp.internal.example"
	reg := &health.Registry{}
	reg.Add(health.Func(func() health.Status {
		return health.Status{Name: "smtp smtp.internal.example:587", Kind: "smtp", State: "open", Reason: reason}
	}))
	ts, _ := serverWith(t, func(s *api.Server) { s.Components = reg }, "read:a-long-random-read-token")
	for _, tc := range []struct {
		path, token string
		code        int
		shown       bool
	}{
		{"/readyz", "", 503, false},
		{"/healthz", "", 200, false},
		{"/readyz", "wrong", 503, false},
		{"/readyz", "a-long-random-read-token", 503, true},
		{"/healthz", "a-long-random-read-token", 200, true},
	} {
		code, body := do(t, "GET", ts.URL+tc.path, tc.token, "")
		text := fmt.Sprint(body)
		if code != tc.code || !strings.Contains(text, "smtp") || strings.Contains(text, "535") != tc.shown {
			t.Errorf("GET %s with token %q: %d %s; want %d, reason shown %v", tc.path, tc.token, code, text, tc.code, tc.shown)
		}
	}
}
