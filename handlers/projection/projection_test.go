package projection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/projection"
	"github.com/acctflow/acctflow/lifecycle"
)

// The index of a region's open requests follows each request through its
// stages, says what it waits for, and forgets it when it ends.
func TestIndexFollowsTheLifecycle(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	store := handlertest.Store(t, conn)
	index := store.Index(brokertest.KV(t, conn, broker.BucketOpen))
	brokertest.Run(t, conn, (&projection.Handler{Store: store, Index: index, Logger: brokertest.Logger(t)}).Broker())
	ctx := context.Background()
	waiting := func(region string, want map[string]lifecycle.Waiting) {
		t.Helper()
		brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
			open, err := index.Open(ctx, region)
			if err != nil {
				return err
			}
			got := map[string]lifecycle.Waiting{}
			for _, s := range open {
				got[s.RequestID] = s.Waiting
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				return fmt.Errorf("%s: %v, want %v", region, got, want)
			}
			return nil
		})
	}
	for _, id := range []string{"REQ-A", "REQ-B.1"} {
		brokertest.Publish(t, conn, handlertest.Routed(handlertest.Request(id)), "routed-"+id)
	}
	waiting("us", map[string]lifecycle.Waiting{"REQ-A": lifecycle.WaitingDetails, "REQ-B.1": lifecycle.WaitingDetails})
	now := events.Time(time.Now())
	for i, ev := range []events.Event{
		handlertest.Confirmed("REQ-A"),
		handlertest.Details("REQ-A", "root@acme.example", "Acme", events.SupportBusiness),
	} {
		brokertest.Publish(t, conn, ev, fmt.Sprint("a-", i))
	}
	waiting("us", map[string]lifecycle.Waiting{"REQ-A": lifecycle.WaitingApproval, "REQ-B.1": lifecycle.WaitingDetails})
	brokertest.Publish(t, conn, events.EffectFailed{RequestID: "REQ-B.1", Effect: events.EffectEmail, Kind: "confirmation", Outcome: events.OutcomeDeadLettered,
		Handler: "confirmation", Input: "acct.routed.us", Error: "550 5.1.1 no such user", FailedAt: now}, "failed-b")
	waiting("us", map[string]lifecycle.Waiting{"REQ-A": lifecycle.WaitingApproval, "REQ-B.1": lifecycle.WaitingFailure})
	brokertest.Publish(t, conn, events.RequestRejected{RequestID: "REQ-A", Reasons: []string{events.ReasonOpsRejected}, Detail: "no", RejectedBy: "ops", RejectedAt: now}, "rej-a")
	waiting("us", map[string]lifecycle.Waiting{"REQ-B.1": lifecycle.WaitingFailure})
	waiting("emea", map[string]lifecycle.Waiting{})
}
