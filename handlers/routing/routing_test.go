package routing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/lifecycle"
)

type env struct {
	srv   *server.Server
	conn  *broker.Conn
	store *lifecycle.Store
	table *routing.Table
}

func setup(t *testing.T) env {
	t.Helper()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	table, err := routing.LoadTable("")
	if err != nil {
		t.Fatal(err)
	}
	return env{srv: srv, conn: conn, store: handlertest.Store(t, conn), table: table}
}

func (e env) routing(t *testing.T) *routing.Handler {
	return &routing.Handler{JS: e.conn.JS, Table: e.table, Requests: e.store, Logger: brokertest.Logger(t), Now: time.Now}
}

func (e env) projection(t *testing.T) broker.Handler {
	return handlertest.Projection(t, e.store)
}

func publish(t *testing.T, conn *broker.Conn, data []byte, msgID string) {
	t.Helper()
	brokertest.PublishRaw(t, conn, events.SubjectRequested, data, msgID)
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("../../examples/events/" + name)
	if err != nil {
		t.Fatalf("example fixture: %v", err)
	}
	return data
}

func requestJSON(id, country string, enabled bool) []byte {
	return []byte(fmt.Sprintf(`{"request_id":%q,"requested_at":"2026-11-25T18:00:00Z","provider":"aws",
	 "reseller":{"id":"R-1","name":"Northwind IT","country":%q,"primary_contact":{"name":"Jane","email":"jane@northwind.example"}},
	 "customer":{"id":"C-1","name":"Acme"},"pricebook":{"present":true,"invoice_currency":"USD","provider_enabled_in_portal":%v}}`, id, country, enabled))
}

func TestRoutesFixturesAndProjects(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))

	publish(t, e.conn, fixture(t, "account-requested-us.json"), "")
	publish(t, e.conn, fixture(t, "account-requested-de.json"), "")
	publish(t, e.conn, fixture(t, "account-requested-provider-disabled.json"), "")

	brokertest.WaitCount(t, e.conn, "acct.routed.us", 1)
	brokertest.WaitCount(t, e.conn, "acct.routed.emea", 1)
	brokertest.WaitCount(t, e.conn, "acct.rejected", 1)

	var routed events.AccountRouted
	m := brokertest.Messages(t, e.conn, "acct.routed.emea")[0]
	if err := events.Unmarshal("account-routed", m.Data(), &routed); err != nil {
		t.Fatal(err)
	}
	if routed.ReplyChannel != events.ReplySupportMailbox || routed.Request.Customer.Name != "Bäckerei Sonnenhof GmbH" {
		t.Fatalf("routed %+v", routed)
	}
	if m.Headers().Get("ce-type") != "acct.routed.v1" || m.Headers().Get("ce-subject") != "REQ-2R6VB3XH8M" || m.Headers().Get("Nats-Msg-Id") == "" {
		t.Fatalf("headers %v", m.Headers())
	}
	var rejected events.RequestRejected
	_ = json.Unmarshal(brokertest.Messages(t, e.conn, "acct.rejected")[0].Data(), &rejected)
	if len(rejected.Reasons) != 1 || rejected.Reasons[0] != events.ReasonProviderNotEnabled {
		t.Fatalf("rejected %+v", rejected)
	}
	brokertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		rec, err := e.store.Get(context.Background(), "REQ-1001")
		if err != nil || rec.Stage != lifecycle.StageRouted || rec.Region != "us" {
			return fmt.Errorf("record %+v %v", rec, err)
		}
		rec, err = e.store.Get(context.Background(), "REQ-1010")
		if err != nil || rec.Stage != lifecycle.StageRejected {
			return fmt.Errorf("record %+v %v", rec, err)
		}
		return nil
	})
}

func TestPoisonEventsDeadLetteredWhileNextFlows(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))

	invalid := fixture(t, "account-requested-invalid.json")
	publish(t, e.conn, []byte(`not json at all`), "")
	publish(t, e.conn, invalid, "")
	publish(t, e.conn, requestJSON("REQ-OK", "US", true), "")

	brokertest.WaitCount(t, e.conn, "acct.routed.us", 1)
	brokertest.WaitCount(t, e.conn, "dlq.acct.requested", 2)
	for _, m := range brokertest.Messages(t, e.conn, "dlq.acct.requested") {
		h := m.Headers()
		if h.Get(broker.HeaderHandler) != routing.Name || h.Get(broker.HeaderError) == "" || h.Get(broker.HeaderDeliveries) != "1" {
			t.Errorf("dlq headers %v", h)
		}
	}
	// The invalid fixture's errors name the fields. Handlers run deliveries
	// concurrently, so the two may be dead-lettered in either order.
	var reason string
	for _, m := range brokertest.Messages(t, e.conn, "dlq.acct.requested") {
		if bytes.Equal(m.Data(), invalid) {
			reason = m.Headers().Get(broker.HeaderError)
		}
	}
	for _, want := range []string{"/reseller/country", "/reseller/primary_contact/email"} {
		if !strings.Contains(reason, want) {
			t.Errorf("dlq reason %q lacks %s", reason, want)
		}
	}
}

func TestDuplicateRequestRoutedOnce(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.routing(t).Broker(), e.projection(t))
	data := requestJSON("REQ-DUP", "CA", true)
	publish(t, e.conn, data, "upstream-1")
	publish(t, e.conn, data, "upstream-1") // inside the duplicate window
	brokertest.WaitCount(t, e.conn, "acct.routed.ca", 1)
	brokertest.CheckFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if rec, err := e.store.Get(context.Background(), "REQ-DUP"); err != nil || rec.Region != "ca" {
			return fmt.Errorf("not projected yet: %v", err)
		}
		return nil
	})
	// Hours later, with another message id: only the projection can tell.
	publish(t, e.conn, data, "upstream-2")
	brokertest.WaitCount(t, e.conn, "acct.requested", 2)
	brokertest.WaitIdle(t, e.conn, routing.Name)
	if n := brokertest.Count(t, e.conn, "acct.routed.>"); n != 1 {
		t.Fatalf("routed %d times", n)
	}
}

// The first delivery does all the work and then dies before the ack, as a
// process killed at that moment would: the redelivery routes nothing more.
func TestRedeliveryAfterCrashBeforeAckRoutesOnce(t *testing.T) {
	e := setup(t)
	h := e.routing(t)
	var calls atomic.Int32
	brokertest.Run(t, e.conn, brokertest.CrashOnce(h.Broker(), &calls))
	publish(t, e.conn, requestJSON("REQ-CRASH", "BR", true), "")
	brokertest.WaitCalls(t, &calls, 2)
	if n := brokertest.Count(t, e.conn, "acct.routed.latam"); n != 1 {
		t.Fatalf("routed %d times", n)
	}
}

func TestTwoReplicasShareTheConsumer(t *testing.T) {
	e := setup(t)
	const n = 200
	seen := sync.Map{}
	var dup atomic.Int32
	var per [2]atomic.Int32
	for i := range 2 {
		conn := brokertest.Connect(t, e.srv)
		h := &routing.Handler{JS: conn.JS, Table: e.table, Requests: e.store, Logger: brokertest.Logger(t), Now: time.Now}
		b := h.Broker()
		b.Handle = func(ctx context.Context, m broker.Msg) error {
			if _, loaded := seen.LoadOrStore(string(m.Data), i); loaded {
				dup.Add(1)
			}
			per[i].Add(1)
			return h.Handle(ctx, m)
		}
		brokertest.Run(t, conn, b)
	}
	for i := range n {
		publish(t, e.conn, requestJSON(fmt.Sprintf("REQ-R%03d", i), "JP", true), "")
	}
	brokertest.WaitCount(t, e.conn, "acct.routed.apac", n)
	if dup.Load() != 0 {
		t.Fatalf("%d requests handled by both replicas", dup.Load())
	}
	if per[0].Load() == 0 || per[1].Load() == 0 {
		t.Logf("load split %d/%d (one replica idle is allowed but unusual)", per[0].Load(), per[1].Load())
	}
}
