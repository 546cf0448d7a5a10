package tickets

import (
	"testing"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

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
