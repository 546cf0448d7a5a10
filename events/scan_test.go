package events_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
)

// A scan reads what is stored, stops when told, and leaves no consumer
// behind either way (they used to linger for minutes, each holding its
// pending messages).
func TestScanLeavesNothingBehind(t *testing.T) {
	conn := brokertest.Connect(t, brokertest.Server(t))
	ctx := context.Background()
	for i := range 5 {
		if _, err := conn.JS.Publish(ctx, "dlq.acct.scan", fmt.Appendf(nil, "%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := jetstream.ConsumerConfig{FilterSubjects: []string{"dlq.acct.scan"}}
	for _, tc := range []struct {
		name        string
		limit, stop int
		want        string
	}{
		{"all", 0, -1, "01234"},
		{"limit", 3, -1, "012"},
		{"stop early", 0, 1, "01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			err := events.Scan(ctx, conn.JS, events.DLQStream, cfg, tc.limit, func(m jetstream.Msg) bool {
				got += string(m.Data())
				return len(got)-1 != tc.stop
			})
			if err != nil || got != tc.want {
				t.Fatalf("read %q (err %v), want %q", got, err, tc.want)
			}
			s, err := conn.JS.Stream(ctx, events.DLQStream)
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.Info(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if info.State.Consumers != 0 {
				t.Fatalf("%d consumers left on %s", info.State.Consumers, events.DLQStream)
			}
		})
	}
}
