package provisioning

import (
	"testing"

	"github.com/acctflow/acctflow/effect"
)

func TestPlan(t *testing.T) {
	job := func(approval string, seq uint64, retry int, email string) Job {
		return Job{RequestID: "REQ-1", ApprovalID: approval, ApprovalSeq: seq, Retry: retry, Email: email}
	}
	rec := func(s effect.State, round int, c Creation) (effect.Entry, Creation) {
		return effect.Entry{Record: effect.Record{State: s, Round: round}, Revision: 7}, c
	}
	a := job("A", 10, 0, "root@x.example")
	of := func(j Job, status string, newEmail bool) Creation {
		return Creation{Job: j, Status: status, NewEmailNeeded: newEmail}
	}
	for _, c := range []struct {
		name string
		e    effect.Entry
		c    Creation
		j    Job
		want Action
	}{
		{"first approval", effect.Entry{}, Creation{}, a, Start},
		{"same approval, claim or hold under way", first(rec(effect.Pending, 0, of(a, "", false))), of(a, "", false), a, Start},
		{"same approval, throttled", first(rec(effect.Failed, 0, of(a, "", false))), of(a, "", false), a, Start},
		{"created, not final", first(rec(effect.Done, 0, of(a, "", false))), of(a, "", false), a, Poll},
		{"created and final", first(rec(effect.Done, 0, of(a, StatusSucceeded, false))), of(a, StatusSucceeded, false), a, Absorb},
		{"refused, failure not yet published", first(rec(effect.Dead, 0, of(a, "", false))), of(a, "", false), a, Finish},
		{"refused and published", first(rec(effect.Dead, 0, of(a, StatusFailed, false))), of(a, StatusFailed, false), a, Absorb},
		{"unknown: ops must be told", first(rec(effect.Unknown, 0, of(a, "", false))), of(a, "", false), a, Alert},
		{"a second approval while under way", first(rec(effect.Done, 0, of(a, "", false))), of(a, "", false), job("B", 11, 0, "root@x.example"), Absorb},
		{"an older approval seen again", first(rec(effect.Dead, 1, of(job("B", 11, 0, "new@x.example"), StatusFailed, true))), of(job("B", 11, 0, "new@x.example"), StatusFailed, true), job("A", 10, 0, "old@x.example"), Absorb},
		{"new approval after AWS refused the email", first(rec(effect.Done, 0, of(a, StatusFailed, true))), of(a, StatusFailed, true), job("B", 11, 0, "new@x.example"), Reopen},
		{"new approval with the refused email again", first(rec(effect.Done, 0, of(a, StatusFailed, true))), of(a, StatusFailed, true), job("B", 11, 0, "root@x.example"), Refuse},
		{"new approval after a failure on our side", first(rec(effect.Done, 0, of(a, StatusFailed, false))), of(a, StatusFailed, false), job("B", 11, 0, "new@x.example"), Absorb},
		{"ops retry of an unknown outcome", first(rec(effect.Unknown, 0, of(a, "", false))), of(a, "", false), job("R1", 12, 1, "root@x.example"), Reopen},
		{"ops retry numbered for another round", first(rec(effect.Unknown, 1, of(a, "", false))), of(a, "", false), job("R1", 12, 1, "root@x.example"), Absorb},
		{"ops retry of a creation under way", first(rec(effect.Done, 0, of(a, "", false))), of(a, "", false), job("R1", 12, 1, "root@x.example"), Absorb},
		{"ops retry of a created account", first(rec(effect.Done, 0, of(a, StatusSucceeded, false))), of(a, StatusSucceeded, false), job("R1", 12, 1, "root@x.example"), Absorb},
		{"ops retry after a failure on our side", first(rec(effect.Done, 0, of(a, StatusFailed, false))), of(a, StatusFailed, false), job("R1", 12, 1, "root@x.example"), Reopen},
		{"ops retry after a refused CreateAccount", first(rec(effect.Dead, 0, of(a, StatusFailed, false))), of(a, StatusFailed, false), job("R1", 12, 1, "root@x.example"), Reopen},
		{"ops retry after AWS refused the email", first(rec(effect.Done, 0, of(a, StatusFailed, true))), of(a, StatusFailed, true), job("R1", 12, 1, "root@x.example"), Absorb},
		{"ops retry of a failure, numbered for another round", first(rec(effect.Done, 1, of(a, StatusFailed, false))), of(a, StatusFailed, false), job("R1", 12, 1, "root@x.example"), Absorb},
		{"the retry's own round goes on", first(rec(effect.Pending, 1, of(job("R1", 12, 1, "root@x.example"), "", false))), of(job("R1", 12, 1, "root@x.example"), "", false), job("R1", 12, 1, "root@x.example"), Start},
	} {
		if got := Plan(c.e, c.c, c.j); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func first(e effect.Entry, _ Creation) effect.Entry { return e }

func TestRejectionBeforeAWS(t *testing.T) {
	for _, c := range []struct {
		j    Job
		want string
	}{
		{Job{Email: "root@acme.example", AccountName: "Acme"}, ""},
		{Job{Email: "not an email", AccountName: "Acme"}, "INVALID_EMAIL"},
		{Job{Email: "root@acme.example", AccountName: "Café"}, "INVALID_ACCOUNT_NAME"},
		{Job{Email: "root@acme.example"}, "INVALID_ACCOUNT_NAME"},
	} {
		if got, text := rejection(c.j); got != c.want || (got != "") != (text != "") {
			t.Errorf("%+v: %q %q, want %q", c.j, got, text, c.want)
		}
	}
}
