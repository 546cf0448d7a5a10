package tickets_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/lifecycle"
)

type env struct {
	srv      *server.Server
	conn     *broker.Conn
	store    *lifecycle.Store
	tickets  jetstream.KeyValue
	accounts jetstream.KeyValue
	desk     *freshdesktest.Server
	reg      *prometheus.Registry
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	return &env{
		srv: srv, conn: conn, store: handlertest.Store(t, conn),
		tickets: brokertest.KV(t, conn, broker.BucketTickets), accounts: brokertest.KV(t, conn, broker.BucketAccounts),
		desk: freshdesktest.New(t), reg: prometheus.NewRegistry(),
	}
}

// client is the real Freshdesk client pointed at the fake.
func (e *env) client(t *testing.T, key string, timeout time.Duration) *helpdesk.Freshdesk {
	t.Helper()
	c, err := helpdesk.NewFreshdesk(e.desk.URL, key, &http.Client{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// handler builds a tickets handler on conn (each replica its own) over the
// given desk API.
func (e *env) handler(t *testing.T, conn *broker.Conn, api tickets.FreshdeskAPI, metrics *tickets.Metrics) *tickets.Handler {
	return &tickets.Handler{
		JS: conn.JS, Ledger: effect.NewLedger(e.tickets, "", brokertest.Logger(t)), Accounts: e.accounts, Requests: e.store,
		Desk:    &tickets.Freshdesk{API: api, Priority: helpdesk.PriorityMedium},
		Metrics: metrics, Logger: brokertest.Logger(t), Now: time.Now,
		Settle: 50 * time.Millisecond, Backoff: handlertest.FastBackoff,
	}
}

func changeJSON(changeID, account, from, to, requestID string) []byte {
	req := ""
	if requestID != "" {
		req = fmt.Sprintf(`"request_id":%q,`, requestID)
	}
	return []byte(fmt.Sprintf(`{"change_id":%q,"account_id":%q,%s"from":%q,"to":%q,
	 "changed_at":"2026-12-03T15:42:10Z","reported_by":{"name":"Jane Doe","email":"jane@northwind.example"},
	 "reseller":{"id":"R-100","name":"Northwind IT"}}`, changeID, account, req, from, to))
}

func publish(t *testing.T, conn *broker.Conn, data []byte, msgID string) {
	t.Helper()
	brokertest.PublishRaw(t, conn, events.SubjectSupportChanged, data, msgID)
}

func ticketCreated(t *testing.T, conn *broker.Conn) events.TicketCreated {
	t.Helper()
	msgs := brokertest.Messages(t, conn, events.SubjectTicketCreated)
	if len(msgs) != 1 {
		t.Fatalf("%d ticket-created events, want 1", len(msgs))
	}
	var tc events.TicketCreated
	if err := events.Unmarshal("ticket-created", msgs[0].Data(), &tc); err != nil {
		t.Fatal(err)
	}
	return tc
}

func account(t *testing.T, kv jetstream.KeyValue, id string) tickets.Account {
	t.Helper()
	e, err := kv.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("account %s: %v", id, err)
	}
	var a tickets.Account
	if err := json.Unmarshal(e.Value(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// timedAPI is the real client, recording when each create was sent.
type timedAPI struct {
	*helpdesk.Freshdesk
	mu    sync.Mutex
	calls []time.Time
}

func (a *timedAPI) Create(ctx context.Context, t helpdesk.Ticket) (helpdesk.Created, error) {
	a.mu.Lock()
	a.calls = append(a.calls, time.Now())
	a.mu.Unlock()
	return a.Freshdesk.Create(ctx, t)
}

func (a *timedAPI) times() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.calls...)
}
