package tickets

import (
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

func TestNextStep(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) string { return stamp(now.Add(-d)) }
	for _, c := range []struct {
		name string
		cl   Claim
		rev  uint64
		want step
		wait time.Duration
	}{
		{"new", Claim{}, 0, stepOpen, 0},
		{"done", Claim{State: StateDone}, 3, stepPublish, 0},
		{"fresh claim of another worker", Claim{State: StateCreating, Since: ago(10 * time.Second)}, 1, stepBusy, 50 * time.Second},
		{"stale claim: worker died mid-call", Claim{State: StateCreating, Since: ago(2 * time.Minute)}, 1, stepSearch, 0},
		{"unknown outcome", Claim{State: StateUnknown, Since: ago(time.Second)}, 2, stepSearch, 0},
		{"failed, Retry-After pending", Claim{State: StateFailed, NotBefore: stamp(now.Add(20 * time.Second))}, 2, stepWait, 20 * time.Second},
		{"failed, Retry-After over", Claim{State: StateFailed, NotBefore: ago(time.Second)}, 2, stepOpen, 0},
		{"failed after an unknown outcome", Claim{State: StateFailed, UnknownSince: ago(time.Minute)}, 2, stepSearch, 0},
	} {
		got, wait := nextStep(c.cl, c.rev, now, time.Minute)
		if got != c.want || wait != c.wait {
			t.Errorf("%s: step %d wait %v, want %d %v", c.name, got, wait, c.want, c.wait)
		}
	}
	if left := settleLeft(Claim{UnknownSince: stamp(now.Add(-10 * time.Second))}, now, 30*time.Second); left != 20*time.Second {
		t.Errorf("settle left %v", left)
	}
	if left := settleLeft(Claim{}, now, 30*time.Second); left != 0 {
		t.Errorf("settle left without doubt %v", left)
	}
}

func TestGroupMissing(t *testing.T) {
	now := time.Now()
	ev := events.SupportChanged{ChangeID: "CHG-1", AccountID: "123456789012", RequestID: "REQ-1", From: "developer", To: "business"}
	rec := func(group string, changes ...string) *lifecycle.Record {
		r := &lifecycle.Record{Region: "emea"}
		if group != "" {
			r.SupportGroup = &lifecycle.SupportGroup{Group: group}
		}
		for _, to := range changes {
			r.SupportChanges = append(r.SupportChanges, lifecycle.SupportChange{To: to})
		}
		return r
	}
	for _, c := range []struct {
		name string
		rec  *lifecycle.Record
		want string
	}{
		{"no request", nil, ""},
		{"group unassigned: provisioning chases", rec(""), ""},
		{"group already right", rec(events.GroupBusinessSupport), ""},
		{"group now wrong", rec(events.GroupPassthrough, "business"), events.GroupBusinessSupport},
		{"superseded by a later change", rec(events.GroupPassthrough, "business", "basic"), ""},
	} {
		got := groupMissing(ev, c.rec, now)
		if (got == nil) != (c.want == "") || got != nil && (got.ExpectedGroup != c.want || got.Cause != "support_changed" || got.Region != "emea") {
			t.Errorf("%s: %+v, want group %q", c.name, got, c.want)
		}
	}
}

func TestAccountRecordIsIdempotentAndOrdered(t *testing.T) {
	var a Account
	a.record(AccountChange{ChangeID: "B", From: "developer", To: "business", At: "2026-12-02T00:00:00Z"})
	a.record(AccountChange{ChangeID: "A", From: "basic", To: "developer", At: "2026-12-01T00:00:00Z"})
	a.record(AccountChange{ChangeID: "B", From: "developer", To: "business", At: "2026-12-02T00:00:00Z", TicketID: "7"})
	if len(a.Changes) != 2 || a.SupportType != "business" || a.Changes[1].TicketID != "7" || a.Changes[0].ChangeID != "A" {
		t.Fatalf("account %+v", a)
	}
}

func TestClaimKeyIsAlwaysAValidKVKey(t *testing.T) {
	for id, want := range map[string]string{"CHG-8M2K5W9QXD": "CHG-8M2K5W9QXD", "a.b": "a.b"} {
		if got := claimKey(id); got != want {
			t.Errorf("%q → %q", id, got)
		}
	}
	for _, id := range []string{".x", "x.", "a..b"} {
		if got := claimKey(id); got[:2] != "h-" {
			t.Errorf("%q → %q", id, got)
		}
	}
}
