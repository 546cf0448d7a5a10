package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/api/auth"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/logging/logtest"
)

// A read token shows and lists; it cannot act. An ops token (or a bare one,
// as configured before scopes) can.
func TestTokenScopes(t *testing.T) {
	ts, conn := server(t, "ops:opsecret", "read:readsecret", "baresecret")
	if code, body := do(t, "POST", ts.URL+"/v1/requests", "readsecret", valid); code != http.StatusForbidden {
		t.Fatalf("read token created a request: %d %v", code, body)
	}
	if n := brokertest.Count(t, conn, events.SubjectRequested); n != 0 {
		t.Fatalf("%d requests published with a read token", n)
	}
	if code, body := do(t, "POST", ts.URL+"/v1/requests", "opsecret", valid); code != http.StatusAccepted {
		t.Fatalf("ops token: %d %v", code, body)
	}
	if code, _ := do(t, "GET", ts.URL+"/v1/requests/REQ-NONE", "readsecret", ""); code != http.StatusNotFound {
		t.Fatalf("read token cannot show: %d", code)
	}
	for _, tok := range []string{"readsecret", ""} {
		code, body := do(t, "POST", ts.URL+"/v1/requests/REQ-API1/approve", tok, `{"by":"x"}`)
		if code != http.StatusForbidden && code != http.StatusUnauthorized {
			t.Fatalf("approve with %q: %d %v", tok, code, body)
		}
	}
	if n := brokertest.Count(t, conn, events.SubjectApproved); n != 0 {
		t.Fatalf("%d approvals published without an ops token", n)
	}
	// A bare token means ops: reaching the stage guard proves it passed.
	if code, body := do(t, "POST", ts.URL+"/v1/requests/REQ-NONE/approve", "baresecret", `{}`); code != http.StatusNotFound {
		t.Fatalf("bare token: %d %v", code, body)
	}
	// "opsecret" is not a read token's secret with its prefix.
	if code, _ := do(t, "GET", ts.URL+"/v1/requests/REQ-NONE", "read:readsecret", ""); code != http.StatusUnauthorized {
		t.Fatalf("scope prefix accepted as part of the secret: %d", code)
	}
}

func TestParseTokens(t *testing.T) {
	tok, err := auth.Parse(" ops:a1 , read:b2,c3,x9:d4,, ")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]auth.Scope{"a1": auth.Ops, "b2": auth.Read, "c3": auth.Ops, "x9:d4": auth.Ops, "ops:a1": auth.None, "": auth.None}
	for secret, scope := range want {
		got, ok := tok.Match(secret)
		if scope == auth.None {
			if ok {
				t.Errorf("%q matched", secret)
			}
			continue
		}
		if !ok || got.Scope != scope {
			t.Errorf("%q: %v %v, want %v", secret, got.Scope, ok, scope)
		}
	}
	for _, bad := range []string{"read:", "ops: ", "a b", "raed:secret", "Ops:secret", "ops:a1,weird:d4"} {
		if _, err := auth.Parse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Without tokens the server refuses to be reachable from the network,
// unless told that something in front of it authenticates.
func TestExposure(t *testing.T) {
	ctx := context.Background()
	none, some := auth.Tokens{}, auth.MustParse("ops:x")
	for _, c := range []struct {
		addr     string
		tokens   auth.Tokens
		insecure bool
		ok       bool
	}{
		{"127.0.0.1:8080", none, false, true},
		{"[::1]:8080", none, false, true},
		{"localhost:8080", none, false, true},
		{"0.0.0.0:8080", none, false, false},
		{":8080", none, false, false},
		{"192.0.2.10:8080", none, false, false},
		{"0.0.0.0:8080", some, false, true},
		{"0.0.0.0:8080", none, true, true},
	} {
		_, err := api.CheckExposure(ctx, c.addr, c.tokens, c.insecure)
		if (err == nil) != c.ok {
			t.Errorf("%s tokens=%v insecure=%v: %v", c.addr, c.tokens.Enabled(), c.insecure, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "ACCTFLOW_API_TOKENS") || !strings.Contains(err.Error(), "--insecure-no-auth")) {
			t.Errorf("%s: the refusal does not say what to do: %v", c.addr, err)
		}
	}
}

// A 5xx answer names a correlation id, never the error behind it.
func TestServerErrorsCarryNoInternalText(t *testing.T) {
	ts, conn := server(t, "s3cret")
	conn.NC.Close() // every read of the projection now fails inside
	req, _ := http.NewRequest("GET", ts.URL+"/v1/requests/REQ-1001", nil)
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 500 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	for _, leak := range []string{"nats", "connection", "closed", "requests", "KV"} {
		if strings.Contains(strings.ToLower(string(body)), strings.ToLower(leak)) {
			t.Errorf("5xx body carries internal text %q: %s", leak, body)
		}
	}
	if !strings.Contains(string(body), `"correlation_id"`) {
		t.Errorf("no correlation id: %s", body)
	}
}

// With no tokens, a request naming another host (a DNS name rebound to
// 127.0.0.1 by a web page) is refused.
func TestLocalOnlyRefusesForeignHosts(t *testing.T) {
	ts, _ := serverWith(t, func(s *api.Server) { s.LocalOnly = true })
	for host, want := range map[string]int{"evil.example:8080": http.StatusMisdirectedRequest, "localhost:8080": http.StatusNotFound, "": http.StatusNotFound} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/requests/REQ-NONE", nil)
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// Start-up says who can reach the API: without tokens, at WARN.
func TestLogExposure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []struct {
		tokens auth.Tokens
		want   string
	}{
		{auth.Tokens{}, "level=WARN msg=\"HTTP API and ops console listening on loopback only, without authentication"},
		{auth.MustParse("ops:x"), "level=INFO msg=\"HTTP API and ops console listening\""},
	} {
		var buf bytes.Buffer
		api.LogExposure(slog.New(slog.NewTextHandler(&buf, nil)), ln, c.tokens, false)
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("tokens=%v: %s", c.tokens.Enabled(), buf.String())
		}
	}
}

// The correlation id of a 5xx answer is the caller's X-Request-Id when it is
// a plain token, else a fresh one; the answer's header and the log line
// with the error carry the same id.
func TestCorrelationIDTiesAnswerToLog(t *testing.T) {
	var logged logtest.Buffer
	ts, conn := serverWith(t, func(s *api.Server) { s.Logger = slog.New(slog.NewJSONHandler(&logged, nil)) })
	conn.NC.Close()
	for _, tc := range []struct{ sent, want string }{
		{"trace-4bf92f3577b34da6", "trace-4bf92f3577b34da6"},
		{"", ""},
		{"evil\" injected=1", ""},
	} {
		req, _ := http.NewRequest("GET", ts.URL+"/v1/requests/REQ-1001", nil)
		if tc.sent != "" {
			req.Header.Set("X-Request-Id", tc.sent)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		id := body["correlation_id"]
		if resp.StatusCode < 500 || id == "" || resp.Header.Get("X-Request-Id") != id {
			t.Fatalf("sent %q: %d, body id %q, header %q", tc.sent, resp.StatusCode, id, resp.Header.Get("X-Request-Id"))
		}
		if tc.want != "" && id != tc.want {
			t.Errorf("sent %q, answered id %q", tc.sent, id)
		}
		if tc.want == "" && (id == tc.sent || len(id) != 16) {
			t.Errorf("sent %q, answered id %q, want a fresh one", tc.sent, id)
		}
		brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
			if !strings.Contains(logged.String(), `"correlation_id":"`+id+`"`) {
				return fmt.Errorf("log lacks correlation id %s: %s", id, logged.String())
			}
			return nil
		})
	}
}
