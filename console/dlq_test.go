package console_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
)

// newDLQ stores a dead letter as the broker does (original payload, its
// headers plus the reason) and returns its sequence.
func newDLQ(t testing.TB, e *env, subject, requestID, handler, reason string) string {
	t.Helper()
	h := nats.Header{}
	h.Set(events.HeaderSubject, requestID)
	h.Set(broker.HeaderError, reason)
	h.Set(broker.HeaderHandler, handler)
	h.Set(broker.HeaderDeliveries, "5")
	ack, err := e.conn.JS.PublishMsg(context.Background(), &nats.Msg{Subject: "dlq." + subject, Header: h, Data: []byte(`{"request_id":"` + requestID + `"}`)})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatUint(ack.Sequence, 10)
}
