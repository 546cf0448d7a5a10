package provisioning_test

import (
	"testing"
	"time"

	"github.com/acctflow/acctflow/handlers/provisioning"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	fresh, stale := now.Add(-time.Second), now.Add(-time.Hour)
	for _, c := range []struct {
		name string
		c    provisioning.Creation
		want provisioning.Action
	}{
		{"queued", provisioning.Creation{State: provisioning.StateQueued}, provisioning.Start},
		{"queued, throttled", provisioning.Creation{State: provisioning.StateQueued, NotBefore: now.Add(time.Second)}, provisioning.Skip},
		{"polling, mine", provisioning.Creation{State: provisioning.StatePolling, Owner: "me", Heartbeat: fresh}, provisioning.Poll},
		{"polling, live other", provisioning.Creation{State: provisioning.StatePolling, Owner: "other", Heartbeat: fresh}, provisioning.Skip},
		{"polling, dead other", provisioning.Creation{State: provisioning.StatePolling, Owner: "other", Heartbeat: stale}, provisioning.Poll},
		{"creating, live other", provisioning.Creation{State: provisioning.StateCreating, Owner: "other", Heartbeat: fresh}, provisioning.Skip},
		{"creating, dead other", provisioning.Creation{State: provisioning.StateCreating, Owner: "other", Heartbeat: stale}, provisioning.MarkUnknown},
		{"creating, left by us", provisioning.Creation{State: provisioning.StateCreating, Owner: "me", Heartbeat: fresh}, provisioning.MarkUnknown},
		{"succeeded", provisioning.Creation{State: provisioning.StateSucceeded, Owner: "me"}, provisioning.Skip},
		{"unknown", provisioning.Creation{State: provisioning.StateUnknown, Heartbeat: stale}, provisioning.Skip},
	} {
		if got := provisioning.Decide(c.c, "me", now, time.Minute); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
