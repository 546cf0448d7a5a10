package tickets_test

import (
	"context"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
)

func TestTwoReplicasRacingOnOneChangeOpenOneTicket(t *testing.T) {
	e := setup(t)
	e.desk.DelayNext(1, 300*time.Millisecond) // keep the winner's call open
	for range 2 {
		conn := brokertest.Connect(t, e.srv)
		brokertest.Run(t, conn, e.handler(t, conn, e.client(t, freshdesktest.APIKey, 5*time.Second), nil).Broker())
	}
	data := changeJSON("CHG-RACE", "123456789012", "developer", "business", "")
	publish(t, e.conn, data, "copy-1") // upstream sent it twice
	publish(t, e.conn, data, "copy-2")
	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	if e.desk.Creates() != 1 || e.desk.CountWithTag(helpdesk.ChangeTag("CHG-RACE")) != 1 {
		t.Fatalf("%d creates", e.desk.Creates())
	}
	if n := brokertest.Count(t, e.conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters", n)
	}
}

// A worker died between its create and recording the ticket: once its lease
// is over, the next one finds the ticket by tag instead of opening another.
func TestStaleClaimOfADeadWorkerIsResolvedBySearch(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	api := e.client(t, freshdesktest.APIKey, 5*time.Second)
	tag := helpdesk.ChangeTag("CHG-DEAD")
	if _, err := api.Create(ctx, helpdesk.Ticket{Subject: "s", DescriptionHTML: "d", Email: "a@b.example", Tags: []string{tag}}); err != nil {
		t.Fatal(err)
	}
	dead := effect.NewLedger(e.tickets, "dead-worker", nil)
	if _, err := dead.Put(ctx, effect.Key(tickets.EffectKind, "CHG-DEAD"), effect.Record{State: effect.Pending, Owner: "dead-worker"}, 0); err != nil {
		t.Fatal(err)
	}
	h := e.handler(t, e.conn, api, nil)
	h.Settle, h.Lease = time.Millisecond, 500*time.Millisecond
	brokertest.Run(t, e.conn, h.Broker())
	publish(t, e.conn, changeJSON("CHG-DEAD", "123456789012", "developer", "business", ""), "")
	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	if e.desk.Creates() != 1 || ticketCreated(t, e.conn).TicketID != "1" {
		t.Fatalf("%d creates", e.desk.Creates())
	}
}
