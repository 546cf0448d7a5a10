package tickets_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/lifecycle"
)

func TestOpensOneTicketAndRecordsIt(t *testing.T) {
	e := setup(t)
	// The account sits in the business-support group; going to developer
	// makes that wrong.
	_, err := e.store.Update(context.Background(), "REQ-1001", func(r *lifecycle.Record) error {
		r.Region = "us"
		r.Request = &events.AccountRequested{RequestID: "REQ-1001", Customer: events.Customer{ID: "C-1", Name: "Acme <Corp>"}}
		r.SupportGroup = &lifecycle.SupportGroup{Group: events.GroupBusinessSupport}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	m := tickets.NewMetrics(e.reg)
	brokertest.Run(t, e.conn, e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), m).Broker())
	publish(t, e.conn, changeJSON("CHG-8M2K5W9QXD", "123456789012", "business", "developer", "REQ-1001"), "")

	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	tc := ticketCreated(t, e.conn)
	all := e.desk.Tickets()
	if len(all) != 1 || tc.TicketID != fmt.Sprint(all[0].ID) || tc.System != events.TicketFreshdesk ||
		tc.ChangeID != "CHG-8M2K5W9QXD" || tc.AccountID != "123456789012" || tc.RequestID != "REQ-1001" ||
		!strings.HasSuffix(tc.TicketURL, "/a/tickets/1") {
		t.Fatalf("ticket-created %+v, tickets %+v", tc, all)
	}
	got := all[0]
	if got.Subject != "AWS support type change: account 123456789012 Business \u2192 Developer (Northwind IT)" {
		t.Errorf("subject %q", got.Subject)
	}
	for _, want := range []string{"123456789012", "Developer Support", "Passthrough", "Acme &lt;Corp&gt;"} {
		if !strings.Contains(got.Description, want) {
			t.Errorf("description lacks %q:\n%s", want, got.Description)
		}
	}
	if strings.Contains(got.Description, "10%") { // the new type's billing note, and Developer Support has none
		t.Errorf("a change to Developer Support quotes the Business Support price:\n%s", got.Description)
	}
	if got.Email != "jane@northwind.example" || got.Priority != helpdesk.PriorityMedium || got.Status != helpdesk.StatusOpen ||
		e.desk.CountWithTag(helpdesk.ChangeTag("CHG-8M2K5W9QXD")) != 1 {
		t.Errorf("ticket %+v", got)
	}
	a := account(t, e.accounts, "123456789012")
	if a.SupportType != "developer" || len(a.Changes) != 1 || a.Changes[0].TicketID != tc.TicketID || a.Changes[0].System != "freshdesk" {
		t.Errorf("account %+v", a)
	}
	brokertest.WaitCount(t, e.conn, events.SubjectSupportGroupMissing, 1)
	var miss events.SupportGroupMissing
	_ = events.Unmarshal("support-group-missing", brokertest.Messages(t, e.conn, events.SubjectSupportGroupMissing)[0].Data(), &miss)
	if miss.Cause != "support_changed" || miss.ExpectedGroup != events.GroupPassthrough || miss.Region != "us" || miss.AccountID != "123456789012" {
		t.Errorf("missing %+v", miss)
	}
	if n := counter(t, e.reg, "acctflow_tickets_opened_total", "freshdesk"); n != 1 {
		t.Errorf("opened counter %v", n)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	e := setup(t)
	e.desk.FailNext(1, 429, time.Second)
	api := &timedAPI{Freshdesk: e.client(t, freshdesktest.APIKey, 5*time.Second)}
	brokertest.Run(t, e.conn, e.handler(t, e.conn, api, nil).Broker())
	publish(t, e.conn, changeJSON("CHG-429", "123456789012", "developer", "business", ""), "")

	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	calls := api.times()
	if len(calls) != 2 || e.desk.Creates() != 2 || len(e.desk.Tickets()) != 1 {
		t.Fatalf("%d calls, %d creates, %d tickets", len(calls), e.desk.Creates(), len(e.desk.Tickets()))
	}
	if gap := calls[1].Sub(calls[0]); gap < time.Second {
		t.Fatalf("second create %v after the 429, Retry-After was 1s", gap)
	}
	// A 429 opens nothing, so no search was needed.
	if e.desk.Searches() != 0 {
		t.Errorf("%d searches after a 429", e.desk.Searches())
	}
}

// A Retry-After longer than the handler may wait is handed to redelivery, and
// an early redelivery does not call the help desk.
func TestLongRetryAfterWaitsAcrossDeliveries(t *testing.T) {
	e := setup(t)
	e.desk.FailNext(1, 429, 2*time.Minute)
	h := e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), nil)
	msg := broker.Msg{Subject: events.SubjectSupportChanged, Data: changeJSON("CHG-SLOW", "123456789012", "basic", "business", ""), Deliveries: 1}
	for i := range 2 {
		err := h.Handle(context.Background(), msg)
		d, ok := retryAfter(err)
		if err == nil || isPermanent(err) || !ok || d < time.Minute || d > 2*time.Minute {
			t.Fatalf("delivery %d: %v (hint %v %v), want a temporary error asking for ~2m", i+1, err, d, ok)
		}
	}
	if e.desk.Creates() != 1 {
		t.Fatalf("%d creates: the early redelivery called the help desk", e.desk.Creates())
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	e := setup(t)
	e.desk.FailNext(1, 503, 0)
	m := tickets.NewMetrics(e.reg)
	brokertest.Run(t, e.conn, e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), m).Broker())
	publish(t, e.conn, changeJSON("CHG-503", "123456789012", "developer", "enterprise", ""), "")

	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	if len(e.desk.Tickets()) != 1 || e.desk.Creates() != 2 {
		t.Fatalf("%d tickets after %d creates", len(e.desk.Tickets()), e.desk.Creates())
	}
	// A 5xx may hide a stored ticket: the retry searched first.
	if e.desk.Searches() == 0 {
		t.Error("no search before creating again after a 5xx")
	}
	if n := counter(t, e.reg, "acctflow_tickets_failed_total", "unknown", "freshdesk"); n != 1 {
		t.Errorf("failed{unknown} = %v", n)
	}
}

func TestTimeoutWithTicketCreatedIsFoundNotDuplicated(t *testing.T) {
	e := setup(t)
	e.desk.DelayNext(1, 3*time.Second) // the ticket is stored, the answer late
	e.desk.SearchLag(400 * time.Millisecond)
	h := e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 300*time.Millisecond), nil)
	h.Settle = 1500 * time.Millisecond // longer than the search lag
	brokertest.Run(t, e.conn, h.Broker())
	publish(t, e.conn, changeJSON("CHG-TIMEOUT", "123456789012", "business", "basic", ""), "")

	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	if n := len(e.desk.Tickets()); n != 1 || e.desk.Creates() != 1 {
		t.Fatalf("%d tickets after %d creates, want exactly one create", n, e.desk.Creates())
	}
	if tc := ticketCreated(t, e.conn); tc.TicketID != "1" {
		t.Fatalf("ticket-created %+v", tc)
	}
}

// A wrong API key is a configuration error, not the change's: the change
// waits (deferred, never dead-lettered) however often it is tried.
func TestUnauthorizedWaitsAndIsNeverDeadLettered(t *testing.T) {
	e := setup(t)
	m := tickets.NewMetrics(e.reg)
	brokertest.Run(t, e.conn, e.handler(t, e.conn, e.client(t, "wrong-key", 5*time.Second), m).Broker())
	publish(t, e.conn, changeJSON("CHG-401", "123456789012", "developer", "business", ""), "")

	const tries = 12 // twice the broker's failure budget in brokertest
	brokertest.CheckFor(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := e.desk.Creates(); n < tries {
			return fmt.Errorf("%d creates", n)
		}
		return nil
	})
	if n := brokertest.Count(t, e.conn, "dlq.>"); n != 0 {
		t.Fatalf("%d dead letters for a wrong API key", n)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectTicketCreated); n != 0 {
		t.Fatalf("%d tickets created with a wrong key", n)
	}
}

func TestRedeliveredChangeOpensOneTicket(t *testing.T) {
	e := setup(t)
	h := e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), nil)
	var calls atomic.Int32
	brokertest.Run(t, e.conn, brokertest.CrashOnce(h.Broker(), &calls))
	data := changeJSON("CHG-REDELIVER", "123456789012", "basic", "developer", "")
	publish(t, e.conn, data, "")
	brokertest.WaitCalls(t, &calls, 2)
	// The same change again, long after the duplicate window (another id).
	publish(t, e.conn, data, "upstream-again")
	brokertest.WaitCalls(t, &calls, 3)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	if e.desk.Creates() != 1 || len(e.desk.Tickets()) != 1 {
		t.Fatalf("%d creates", e.desk.Creates())
	}
	ticketCreated(t, e.conn) // exactly one, thanks to its deterministic id
	if a := account(t, e.accounts, "123456789012"); len(a.Changes) != 1 {
		t.Fatalf("account %+v", a)
	}
}

func TestInvalidChangesOpenNoTicket(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), nil).Broker())
	publish(t, e.conn, changeJSON("CHG-BAD1", "12345", "developer", "business", ""), "")
	publish(t, e.conn, changeJSON("CHG-BAD2", "123456789012", "business", "business", ""), "")
	publish(t, e.conn, changeJSON("CHG-BAD3", "123456789012", "business", "premium", ""), "")
	publish(t, e.conn, []byte(`{"change_id":`), "")
	publish(t, e.conn, changeJSON("CHG-GOOD", "123456789012", "business", "basic", ""), "")
	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 1)
	brokertest.WaitCount(t, e.conn, "dlq."+events.SubjectSupportChanged, 4)
	var reasons []string
	for _, m := range brokertest.Messages(t, e.conn, "dlq."+events.SubjectSupportChanged) {
		reasons = append(reasons, m.Headers().Get(broker.HeaderError))
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"/account_id: '12345'", "/to: same support type as from (business)", "/to: value must be one of", "not valid JSON"} {
		if !strings.Contains(all, want) {
			t.Errorf("dlq reasons lack %q:\n%s", want, all)
		}
	}
	if e.desk.Creates() != 1 {
		t.Fatalf("%d creates, want only the good change's", e.desk.Creates())
	}
}

// The ticket's retries are the ledger's: a help desk that keeps answering
// 429 without Retry-After gets Budget creates for the change, and then the
// change is dead-lettered.
func TestTicketGivesUpAfterItsBudget(t *testing.T) {
	e := setup(t)
	e.desk.FailNext(50, 429, 0)
	h := e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), nil)
	h.Budget = 3
	brokertest.Run(t, e.conn, h.Broker())
	publish(t, e.conn, changeJSON("CHG-BUDGET", "123456789012", "developer", "business", ""), "")
	brokertest.WaitCount(t, e.conn, "dlq."+events.SubjectSupportChanged, 1)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	if e.desk.Creates() != 3 || len(e.desk.Tickets()) != 0 {
		t.Fatalf("%d creates, want the budget of 3", e.desk.Creates())
	}
	reason := brokertest.Messages(t, e.conn, "dlq."+events.SubjectSupportChanged)[0].Headers().Get(broker.HeaderError)
	if !strings.Contains(reason, "gave up after 3 attempts") || !strings.Contains(reason, "HTTP 429") {
		t.Fatalf("dlq reason %q", reason)
	}
}

// Request and change ids with dots (valid per the contract) open one ticket
// each, keyed apart.
func TestDottedIDsOpenOneTicketEach(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn, e.client(t, freshdesktest.APIKey, 5*time.Second), tickets.NewMetrics(e.reg)).Broker())
	for i, id := range []string{"REQ..1", ".REQ2", "REQ3."} {
		change := "CHG." + string(rune('A'+i))
		publish(t, e.conn, changeJSON(change, fmt.Sprintf("12345678901%d", i), "business", "developer", id), change)
		publish(t, e.conn, changeJSON(change, fmt.Sprintf("12345678901%d", i), "business", "developer", id), change+"-again")
	}
	brokertest.WaitCount(t, e.conn, events.SubjectTicketCreated, 3)
	brokertest.WaitIdle(t, e.conn, tickets.Name)
	if n := len(e.desk.Tickets()); n != 3 {
		t.Fatalf("%d tickets for three changes", n)
	}
}
