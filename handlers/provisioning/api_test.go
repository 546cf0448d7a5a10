package provisioning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/api"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/lifecycle"
)

// TestHTTPCommands drives the account routes of the HTTP API through
// approval, manual creation, role submission and the support group.
func TestHTTPCommands(t *testing.T) {
	e := setup(t)
	s := &api.Server{Ops: e.ops, Gatherer: prometheus.NewRegistry(), Logger: brokertest.Logger(t),
		Ready: func(ctx context.Context) error { return broker.Ready(ctx, e.conn.JS) }}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	e.seed(t, "REQ-HTTP", "root@http.example", "Http")
	if code, out := post("/v1/requests/REQ-NOPE/approve", `{}`); code != http.StatusNotFound {
		t.Fatalf("unknown request: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/account", `{"account_id":"123456789012"}`); code != http.StatusConflict || out["stage"] != string(lifecycle.StageDetailsReceived) {
		t.Fatalf("record before approval: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/approve", `{"note":"anonymous"}`); code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out["error"]), `"by" is required`) {
		t.Fatalf("approve without by: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/approve", `{"by":"ops@example.com","bogus":1}`); code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/approve", `{"by":"ops@example.com","note":"ok"}`); code != http.StatusAccepted || out["approved_by"] != "ops@example.com" {
		t.Fatalf("approve: %d %v", code, out)
	}
	e.waitStage(t, "REQ-HTTP", lifecycle.StageApproved)
	if code, out := post("/v1/requests/REQ-HTTP/reject", `{"reason":"late"}`); code != http.StatusConflict || out["stage"] != string(lifecycle.StageApproved) {
		t.Fatalf("reject after approval: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/account", `{"account_id":"12"}`); code != http.StatusBadRequest || out["error"] != `invalid argument: account id "12" must be 12 digits` {
		t.Fatalf("bad account id: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/account", `{"account_id":"123456789012"}`); code != http.StatusAccepted {
		t.Fatalf("record: %d %v", code, out)
	}
	e.waitStage(t, "REQ-HTTP", lifecycle.StageCreated)
	if code, out := post("/v1/requests/REQ-HTTP/support-group", `{"group":"gold"}`); code != http.StatusBadRequest {
		t.Fatalf("bad group: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/support-group", `{"group":"business-support"}`); code != http.StatusAccepted {
		t.Fatalf("support group: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HTTP/role", `{"role_arn":"arn:aws:iam::123456789012:role/R"}`); code != http.StatusAccepted || out["role_arn"] == nil {
		t.Fatalf("role: %d %v", code, out)
	}
	e.waitStage(t, "REQ-HTTP", lifecycle.StageCreated)
}

// POST /v1/requests/{id}/provisioning/retry: 404 for an unknown request, 409
// naming the CreateAccount's state unless it is unknown, then 202 with the
// acct.approved retry it published.
func TestHTTPProvisioningRetry(t *testing.T) {
	e := setup(t)
	s := &api.Server{Ops: e.ops, Gatherer: prometheus.NewRegistry(), Logger: brokertest.Logger(t),
		Ready: func(ctx context.Context) error { return broker.Ready(ctx, e.conn.JS) }}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	e.seed(t, "REQ-HR", "root@hr.example", "Http")
	if code, out := post("/v1/requests/REQ-NOPE/provisioning/retry", ``); code != http.StatusNotFound {
		t.Fatalf("unknown request: %d %v", code, out)
	}
	if code, out := post("/v1/requests/REQ-HR/provisioning/retry", `{}`); code != http.StatusConflict || out["state"] != "none" ||
		!strings.Contains(fmt.Sprint(out["error"]), "only for a CreateAccount whose outcome is unknown") {
		t.Fatalf("nothing to retry: %d %v", code, out)
	}
	ctx := context.Background()
	key := provisioning.Key("REQ-HR")
	rev, err := e.ledger.Put(ctx, key, effect.Record{State: effect.Done, Result: json.RawMessage(`"car-12345678"`)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := post("/v1/requests/REQ-HR/provisioning/retry", `{}`); code != http.StatusConflict || out["state"] != "done" {
		t.Fatalf("creation under way: %d %v", code, out)
	}
	if _, err := e.ledger.Put(ctx, key, effect.Record{State: effect.Unknown, Round: 2}, rev); err != nil {
		t.Fatal(err)
	}
	if code, out := post("/v1/requests/REQ-HR/provisioning/retry", `{"by":"ops@example.com","x":1}`); code != http.StatusBadRequest {
		t.Fatalf("unknown field: %d %v", code, out)
	}
	code, out := post("/v1/requests/REQ-HR/provisioning/retry", `{"by":"ops@example.com"}`)
	if code != http.StatusAccepted || out["retry"] != float64(3) || out["approved_by"] != "ops@example.com" {
		t.Fatalf("retry: %d %v", code, out)
	}
}
