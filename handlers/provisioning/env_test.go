package provisioning_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/provisioning"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/sandbox/devaws"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

const (
	opsEmail = "cloud-ops@acctflow.localhost"
	contact  = handlertest.Contact
)

var replyKey = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	srv      *server.Server
	conn     *broker.Conn
	store    *lifecycle.Store
	accounts jetstream.KeyValue
	ledger   *effect.Ledger
	outbox   *effect.Email
	sb       *devmail.Sandbox
	fake     *devaws.Server
	ops      *ops.Ops
}

func setup(t *testing.T) *env {
	t.Helper()
	e := &env{srv: brokertest.Server(t)}
	e.conn = brokertest.Connect(t, e.srv)
	e.store = handlertest.Store(t, e.conn)
	e.accounts = brokertest.KV(t, e.conn, broker.BucketAccounts)
	e.ledger = effect.NewLedger(e.accounts, "", brokertest.Logger(t))
	e.sb = mailtest.Sandbox(t, devmail.Config{})
	e.outbox = handlertest.Outbox(t, e.conn, mailtest.Sender(t, e.sb.SMTPAddr(), "Provisioning <provisioning@acctflow.localhost>"))
	e.fake = devaws.NewServer()
	t.Cleanup(e.fake.Close)
	e.ops = &ops.Ops{JS: e.conn.JS, Requests: e.store, Source: "acctflow/test", Now: time.Now}
	brokertest.Run(t, e.conn, handlertest.Projection(t, e.store))
	return e
}

func (e *env) handler(t *testing.T) broker.Handler {
	h := &provisioning.Handler{JS: e.conn.JS, Ledger: e.ledger, Requests: e.store, Logger: brokertest.Logger(t)}
	return h.Broker()
}

// driver is a driver with its own ledger, as another process would have.
func (e *env) driver(t *testing.T) *provisioning.Driver {
	return &provisioning.Driver{
		JS: e.conn.JS, Ledger: effect.NewLedger(e.accounts, "", brokertest.Logger(t)), Requests: e.store,
		Orgs: aws.NewOrganizations(e.fake.Config()), Outbox: e.outbox, Domain: "acctflow.localhost",
		ReplyKey: replyKey, Inbox: "acct-replies@acctflow.localhost",
		OpsEmail: opsEmail, RoleName: "OrganizationAccountAccessRole",
		PollPolicy: retry.Policy{Initial: 2 * time.Millisecond, Max: 10 * time.Millisecond},
		Throttle:   retry.Policy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond},
		Lease:      time.Minute, Logger: brokertest.Logger(t),
	}
}

// seed takes a request to details_received through real events and the
// projection.
func (e *env) seed(t *testing.T, id, rootEmail, nickname string) {
	t.Helper()
	e.seedRouted(t, handlertest.Routed(handlertest.Request(id)), rootEmail, nickname)
}

// emeaBox is the EMEA support mailbox, which EMEA resellers answer.
const emeaBox = "cloud-support-emea@acctflow.localhost"

// seedEMEA is seed for a reseller in country, routed to EMEA.
func (e *env) seedEMEA(t *testing.T, id, country, rootEmail, nickname string) {
	t.Helper()
	req := handlertest.Request(id)
	req.Reseller.Country = country
	routed := handlertest.Routed(req)
	routed.Region, routed.OpsTeam, routed.ReplyChannel, routed.SupportMailbox = "emea", "emea", events.ReplySupportMailbox, emeaBox
	e.seedRouted(t, routed, rootEmail, nickname)
}

func (e *env) seedRouted(t *testing.T, routed events.AccountRouted, rootEmail, nickname string) {
	t.Helper()
	id := routed.RequestID
	for i, ev := range []events.Event{
		routed,
		handlertest.Confirmed(id),
		handlertest.Details(id, rootEmail, nickname, events.SupportBusiness),
	} {
		brokertest.Publish(t, e.conn, ev, fmt.Sprintf("seed-%s-%d-%s", id, i, rootEmail))
	}
	e.waitStage(t, id, lifecycle.StageDetailsReceived)
}

func (e *env) waitStage(t *testing.T, id string, stage lifecycle.Stage) lifecycle.Record {
	t.Helper()
	return handlertest.WaitStage(t, e.store, id, stage)
}

// mails returns the subject and text part of each mail address received.
func (e *env) mails(t *testing.T, address string) []string {
	t.Helper()
	var out []string
	for _, raw := range e.sb.Messages(address) {
		h, bodies := mailtest.Parts(t, raw)
		subject, _ := h.Subject()
		out = append(out, "Subject: "+subject+"\n"+bodies["text/plain"])
	}
	return out
}
