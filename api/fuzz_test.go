package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

// memStream is an events.Publisher that keeps what is published in memory,
// or refuses everything when failing is set, so one input costs no NATS
// round trip.
type memStream struct {
	mu      sync.Mutex
	failing bool
	msgs    []*nats.Msg
}

var errStreamDown = errors.New("stream down on purpose")

func (m *memStream) PublishMsg(_ context.Context, msg *nats.Msg, _ ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing {
		return nil, errStreamDown
	}
	m.msgs = append(m.msgs, msg)
	return &jetstream.PubAck{Stream: events.Stream, Sequence: uint64(len(m.msgs))}, nil
}

// reset starts a new input and returns what the previous one published.
func (m *memStream) reset(failing bool) []*nats.Msg {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.msgs
	m.msgs, m.failing = nil, failing
	return out
}

// noRequests is a projection that has never heard of any request.
type noRequests struct{}

func (noRequests) Get(context.Context, string) (lifecycle.Record, error) {
	return lifecycle.Record{}, lifecycle.ErrNotFound
}

// fuzzAPI serves the real handler on loopback; inputs run one at a time in
// a fuzz worker, so they share the server and take turns on the stream.
type fuzzAPI struct {
	url    string
	stream *memStream
	client *http.Client
}

func newFuzzAPI(f *testing.F) *fuzzAPI {
	stream := &memStream{}
	s := &api.Server{
		Ops:      &ops.Ops{JS: stream, Requests: noRequests{}, Source: "fuzz", Now: time.Now},
		Gatherer: prometheus.NewRegistry(),
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ready:    func(context.Context) error { return nil },
	}
	ts := httptest.NewServer(s.Handler())
	f.Cleanup(ts.Close)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client.Timeout = 10 * time.Second
	return &fuzzAPI{url: ts.URL, stream: stream, client: client}
}

// padBody pads a body with trailing JSON whitespace to the 64 KiB limit
// (mode 1) or one byte past it (mode 2), so both sides of it are tried.
func padBody(body []byte, mode uint8) []byte {
	target := map[uint8]int{1: api.MaxBody, 2: api.MaxBody + 1}[mode%4]
	if target <= len(body) {
		return body
	}
	return append(bytes.Clone(body), bytes.Repeat([]byte(" "), target-len(body))...)
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
	msgs   []*nats.Msg
}

// post sends one body and checks what holds for every endpoint: never a 5xx
// unless the stream was down on purpose, 413 exactly past 64 KiB, JSON
// errors, and nothing published unless accepted.
func (a *fuzzAPI) post(t *testing.T, path string, body []byte, failing bool) reply {
	t.Helper()
	a.stream.reset(failing)
	resp, err := a.client.Post(a.url+path, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading answer: %v", err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, msgs: a.stream.reset(false)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%d with content type %q: %s", r.status, ct, raw)
	}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%d answer is not a JSON object: %v: %q", r.status, err, raw)
	}
	if (r.status == http.StatusRequestEntityTooLarge) != (len(body) > api.MaxBody) {
		t.Fatalf("%d for a %d-byte body", r.status, len(body))
	}
	if r.status >= 500 && (r.status != http.StatusServiceUnavailable || !failing) {
		t.Fatalf("%d (stream failing: %v): %s", r.status, failing, raw)
	}
	if r.status >= 400 {
		if msg, _ := r.body["error"].(string); msg == "" {
			t.Fatalf("%d without an error message: %s", r.status, raw)
		}
	}
	if r.status != http.StatusAccepted && len(r.msgs) > 0 {
		t.Fatalf("%d but published %d events", r.status, len(r.msgs))
	}
	if r.status == http.StatusAccepted && len(r.msgs) != 1 {
		t.Fatalf("202 but published %d events", len(r.msgs))
	}
	return r
}

// published checks that the one event of a 202 is valid on its subject, and
// returns its payload.
func published(t *testing.T, r reply, subject, schema string) []byte {
	t.Helper()
	m := r.msgs[0]
	if m.Subject != subject {
		t.Fatalf("published on %s", m.Subject)
	}
	if err := schemas.Validate(schema, m.Data); err != nil {
		t.Fatalf("published an invalid %s: %v", schema, err)
	}
	if m.Header.Get(events.HeaderMsgID) == "" || m.Header.Get(events.HeaderType) != events.TypeOf(subject) {
		t.Fatalf("headers %v", m.Header)
	}
	return m.Data
}

// hostile are bodies every endpoint must refuse politely.
var hostile = []string{``, `{`, `null`, `[]`, `{}`, "\xff", `{"x":1} {}`, strings.Repeat(`[`, 3000)}

// FuzzCreateRequestBody drives POST /v1/requests with arbitrary bodies.
func FuzzCreateRequestBody(f *testing.F) {
	a := newFuzzAPI(f)
	for _, b := range append([]string{valid,
		`{"reseller":{"id":"R-1","name":"N","country":"ca","primary_contact":{"name":"J","email":"J@N.EXAMPLE"}},"customer":{"id":"C-1","name":"A"},"pricebook":{"present":false,"provider_enabled_in_portal":false}}`,
		`{"request_id":"REQ-1","request_id":"REQ-\u0000","customer":{"name":"A\r\nB"}}`}, hostile...) {
		f.Add([]byte(b), uint8(0), false)
	}
	f.Add([]byte(valid), uint8(1), false)
	f.Add([]byte(valid), uint8(2), false)
	f.Add([]byte(valid), uint8(0), true)
	f.Fuzz(func(t *testing.T, body []byte, pad uint8, failing bool) {
		body = padBody(body, pad)
		r := a.post(t, "/v1/requests", body, failing)
		if r.status != http.StatusAccepted {
			return
		}
		var ev events.AccountRequested
		if err := json.Unmarshal(published(t, r, events.SubjectRequested, "account-requested"), &ev); err != nil {
			t.Fatal(err)
		}
		if r.body["request_id"] != ev.RequestID || r.header.Get("Location") != "/v1/requests/"+ev.RequestID ||
			r.msgs[0].Header.Get(events.HeaderSubject) != ev.RequestID {
			t.Fatalf("answer %v at %s for event %s", r.body, r.header.Get("Location"), ev.RequestID)
		}
	})
}

// FuzzSupportChangeBody drives POST /v1/accounts/{account_id}/support-changes
// with arbitrary bodies and account ids.
func FuzzSupportChangeBody(f *testing.F) {
	a := newFuzzAPI(f)
	const party = `"reported_by":{"name":"Ops","email":"ops@distributor.example"},"reseller":{"id":"R-1","name":"Northwind IT"}`
	ok := `{"from":"basic","to":"business","change_id":"CHG-1",` + party + `}`
	for _, b := range append([]string{ok,
		`{"from":" Basic ","to":"BUSINESS",` + party + `}`,
		`{"from":"basic","to":"basic",` + party + `}`,
		`{"from":"basic","to":"business","request_id":"REQ-1"}`,
		`{"from":"basic","to":"business","reported_by":null,"reseller":{"id":"R-1"},"plan":1}`,
		`{"from":"basic","to":"business","reported_by":{"email":"x@y.example"},"reseller":{"id":"R-1","name":"N"}}`}, hostile...) {
		f.Add([]byte(b), "123456789012", uint8(0), false)
	}
	for _, acct := range []string{"", ".", "..", "12345", " 123456789012 ", "1234/56789012", "１２３４５６７８９０１２", "\x00"} {
		f.Add([]byte(ok), acct, uint8(0), false)
	}
	f.Add([]byte(ok), "123456789012", uint8(1), false)
	f.Add([]byte(ok), "123456789012", uint8(2), false)
	f.Add([]byte(ok), "123456789012", uint8(0), true)
	f.Fuzz(func(t *testing.T, body []byte, account string, pad uint8, failing bool) {
		if account == "" || account == "." || account == ".." {
			account = "_" + account // the mux would clean these segments away and redirect
		}
		body = padBody(body, pad)
		r := a.post(t, "/v1/accounts/"+url.PathEscape(account)+"/support-changes", body, failing)
		if r.status != http.StatusAccepted {
			return
		}
		var ev events.SupportChanged
		if err := json.Unmarshal(published(t, r, events.SubjectSupportChanged, "support-changed"), &ev); err != nil {
			t.Fatal(err)
		}
		if r.body["change_id"] != ev.ChangeID || ev.AccountID != strings.TrimSpace(account) ||
			r.msgs[0].Header.Get(events.HeaderMsgID) != events.DerivedID("support-changed", ev.ChangeID) {
			t.Fatalf("answer %v for event %+v from account %q", r.body, ev, account)
		}
	})
}
