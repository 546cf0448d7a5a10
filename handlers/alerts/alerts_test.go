package alerts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/alerts"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

const ops = "cloud-ops@acctflow.localhost"

// lostAfterSend reports an error the first time each key is sent, after
// the email left, as a process killed before its ack would.
type lostAfterSend struct {
	alerts.Outbox
	lost sync.Map
}

func (o *lostAfterSend) Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error) {
	sent, err := o.Outbox.Send(ctx, key, kind, m)
	if _, seen := o.lost.LoadOrStore(key, true); err == nil && !seen {
		return sent, errors.New("lost after the email left")
	}
	return sent, err
}

// One email to ops per failed effect and per unverified role, saying what
// failed, for which request, the server's words and what to do; exactly
// once under two replicas, a crash after the work and every email lost
// once after it left (before the ack); none about a failed alert (it would
// fail again).
func TestOneAlertPerFailure(t *testing.T) {
	srv := brokertest.Server(t)
	conn := brokertest.Connect(t, srv)
	sb := mailtest.Sandbox(t, devmail.Config{})
	ob := &lostAfterSend{Outbox: handlertest.Outbox(t, conn, mailtest.Sender(t, sb.SMTPAddr(), "provisioning@acctflow.localhost"))}
	var calls atomic.Int32
	for range 2 {
		c := brokertest.Connect(t, srv)
		h := &alerts.Handler{Outbox: ob, OpsEmail: ops, DistributorAccountID: "111122223333", Domain: "acctflow.localhost", Logger: brokertest.Logger(t)}
		brokertest.Run(t, c, brokertest.CrashOnce(h.Broker(), &calls))
	}
	now := events.Time(time.Now())
	brokertest.Publish(t, conn, events.EffectFailed{RequestID: "REQ-1.a", Effect: events.EffectEmail, Kind: "confirmation", Outcome: events.OutcomeDeadLettered,
		Handler: "confirmation", Input: "acct.routed.us", Error: "550 5.1.1 <jane@northwind.example>: no such user", DLQSeq: 17, FailedAt: now}, "failed-1")
	brokertest.Publish(t, conn, events.EffectFailed{ChangeID: "CHG-9", Effect: events.EffectTicket, Outcome: events.OutcomeBlocked,
		Handler: "tickets", Input: "acct.support.changed", Error: "401 Unauthorized: invalid API key", FailedAt: now}, "failed-2")
	brokertest.Publish(t, conn, events.RoleUnverified{RequestID: "REQ-2", RoleARN: "arn:aws:iam::123456789012:role/Acctflow", AccountID: "123456789012",
		Reason: "no AWS access is configured, so AssumeRole could not be tried: check the role by hand", UnverifiedAt: now}, "unverified-2")
	brokertest.Publish(t, conn, events.EffectFailed{RequestID: "REQ-3", Effect: events.EffectEmail, Kind: "failure_alert", Outcome: events.OutcomeDeadLettered,
		Handler: alerts.Name, Input: "acct.effect.failed", Error: "550 no such mailbox", FailedAt: now}, "failed-alert")

	want := map[string][]string{
		"[acctflow] confirmation email failed [REQ-1.a]": {"550 5.1.1 <jane@northwind.example>: no such user", "acctflow dlq replay 17",
			"Handler: confirmation, handling acct.routed.us", "acctflow request show REQ-1.a"},
		"[acctflow] support ticket blocked [CHG-9]": {"401 Unauthorized: invalid API key", "resumes by itself"},
		"[acctflow] Role ARN not verified, check it by hand [REQ-2]": {"acctflow role submit REQ-2 --role-arn arn:aws:iam::123456789012:role/Acctflow",
			"no AWS access is configured", "the distributor account 111122223333"},
	}
	check := func() error {
		msgs := sb.Messages(ops)
		if len(msgs) != len(want) {
			return fmt.Errorf("%d alerts, want %d", len(msgs), len(want))
		}
		for _, m := range msgs {
			h, _ := mailtest.Parts(t, m)
			s, _ := h.Subject()
			lines, ok := want[s]
			if !ok {
				return fmt.Errorf("unexpected alert %q", s)
			}
			text := strings.Join(strings.Fields(mailtest.Text(t, m)), " ")
			for _, l := range lines {
				if !strings.Contains(text, l) {
					return fmt.Errorf("alert %q lacks %q:\n%s", s, l, text)
				}
			}
		}
		return nil
	}
	brokertest.CheckFor(t, 15*time.Second, 20*time.Millisecond, check)
	brokertest.WaitCalls(t, &calls, 5)
	brokertest.WaitIdle(t, conn, alerts.Name)
	if err := check(); err != nil {
		t.Fatalf("after every redelivery: %v", err)
	}
}
