package replies

import (
	"slices"
	"testing"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/reply"
)

func ptr(s string) *string { return &s }

func TestDecide(t *testing.T) {
	req := &events.AccountRequested{Reseller: events.Reseller{
		PrimaryContact:    events.Party{Email: "jane@northwind.example"},
		AuthorisedSenders: []string{"Ops@Northwind.example"},
	}}
	at := func(stage string) lifecycle.Record { return lifecycle.Record{Stage: stage, Request: req} }
	full := func(from, root, support string) reply.Reply {
		r := reply.Reply{Header: reply.Header{From: from}}
		r.RootEmail, r.Nickname, r.SupportType, r.Complete = ptr(root), ptr("Acme"), ptr(support), true
		return r
	}
	missing := full("jane@northwind.example", "root@acme.example", "business")
	missing.SupportType, missing.Complete, missing.Problems = nil, false, []string{reply.ProblemSupportMissing}
	auto := reply.Reply{Header: reply.Header{From: "jane@northwind.example"}}
	auto.AutoReply = true
	bounce := auto
	bounce.Bounce = true
	role := reply.Reply{Header: reply.Header{From: "jane@northwind.example"}, RoleARN: "arn:aws:iam::123456789012:role/X"}

	for _, c := range []struct {
		name     string
		r        reply.Reply
		rec      lifecycle.Record
		verdict  Verdict
		reason   string
		problems []string
	}{
		{"complete", full("jane@northwind.example", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Submit, "", nil},
		{"contact case-insensitive, routed", full("JANE@Northwind.Example", "root@acme.example", "basic"), at(lifecycle.StageRouted), Submit, "", nil},
		{"authorised sender", full("ops@northwind.example", "root@acme.example", "developer"), at(lifecycle.StageAwaitingDetails), Submit, "", nil},
		{"stranger", full("mallory@evil.example", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Reject, events.ReplyUnauthorised, nil},
		{"no sender", full("", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Reject, events.ReplyUnauthorised, nil},
		{"auto-reply from contact", auto, at(lifecycle.StageAwaitingDetails), Reject, events.ReplyAutoReply, nil},
		{"bounce", bounce, at(lifecycle.StageAwaitingDetails), Reject, events.ReplyBounce, nil},
		{"missing support", missing, at(lifecycle.StageAwaitingDetails), Incomplete, "", []string{reply.ProblemSupportMissing}},
		{"root is the contact", full("jane@northwind.example", "Jane@northwind.example", "business"), at(lifecycle.StageAwaitingDetails), Incomplete, "", []string{ProblemRootIsContact}},
		{"root breaks AWS rules", full("jane@northwind.example", "a@b.c", "business"), at(lifecycle.StageAwaitingDetails), Incomplete, "", []string{reply.ProblemRootInvalid}},
		{"after approval", full("jane@northwind.example", "root@acme.example", "business"), at(lifecycle.StageApproved), Reject, events.ReplyWrongStage, nil},
		{"details already in", full("jane@northwind.example", "root@acme.example", "business"), at(lifecycle.StageDetailsReceived), Reject, events.ReplyWrongStage, nil},
		{"role ARN after creation", role, at(lifecycle.StageCreated), Role, "", nil},
		{"role ARN too early", role, at(lifecycle.StageApproved), Reject, events.ReplyWrongStage, nil},
		{"no request", full("jane@northwind.example", "root@acme.example", "business"), lifecycle.Record{Stage: lifecycle.StageAwaitingDetails}, Reject, events.ReplyUnauthorised, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.r, c.rec)
			if d.Verdict != c.verdict || d.Reason != c.reason || !slices.Equal(d.Problems, c.problems) {
				t.Fatalf("got %+v, want verdict %d reason %q problems %v", d, c.verdict, c.reason, c.problems)
			}
			if d.Verdict == Submit && d.Root != "root@acme.example" {
				t.Fatalf("root %q", d.Root)
			}
		})
	}
}
