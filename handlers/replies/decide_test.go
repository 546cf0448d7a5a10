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
	at := func(stage lifecycle.Stage) lifecycle.Record { return lifecycle.Record{Stage: stage, Request: req} }
	knowing := func(stage lifecycle.Stage, k lifecycle.Known) lifecycle.Record {
		r := at(stage)
		r.Known = k
		if stage == lifecycle.StageDetailsReceived {
			r.Details = &events.DetailsSubmitted{RootEmail: k.RootEmail, Nickname: k.Nickname, SupportType: k.SupportType}
		}
		return r
	}
	full := func(from, root, support string) Answer {
		return Answer{From: from, RootEmail: ptr(root), Nickname: ptr("Acme"), SupportType: ptr(support)}
	}
	jane := "jane@northwind.example"
	only := func(root, nick, support *string, problems ...string) Answer {
		return Answer{From: jane, RootEmail: root, Nickname: nick, SupportType: support, Problems: problems}
	}
	missingSupport := only(ptr("root@acme.example"), ptr("Acme"), nil, reply.ProblemSupportMissing)
	all := lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme", SupportType: "business"}
	role := Answer{From: jane, RoleARN: "arn:aws:iam::123456789012:role/X"}

	for _, c := range []struct {
		name     string
		a        Answer
		rec      lifecycle.Record
		verdict  Verdict
		reason   string
		problems []string
		known    lifecycle.Known
	}{
		{"complete", full(jane, "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Submit, "", nil, all},
		{"contact case-insensitive, routed", full("JANE@Northwind.Example", "Root@Acme.example", "business"), at(lifecycle.StageRouted), Submit, "", nil, all},
		{"authorised sender", full("ops@northwind.example", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Submit, "", nil, all},
		{"stranger", full("mallory@evil.example", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Reject, events.ReplyUnauthorised, nil, lifecycle.Known{}},
		{"no sender", full("", "root@acme.example", "business"), at(lifecycle.StageAwaitingDetails), Reject, events.ReplyUnauthorised, nil, lifecycle.Known{}},
		{"auto-reply from contact", Answer{From: jane, AutoReply: true}, at(lifecycle.StageAwaitingDetails), Reject, events.ReplyAutoReply, nil, lifecycle.Known{}},
		{"bounce", Answer{From: jane, Bounce: true}, at(lifecycle.StageAwaitingDetails), Reject, events.ReplyBounce, nil, lifecycle.Known{}},
		{"missing support", missingSupport, at(lifecycle.StageAwaitingDetails), Incomplete, "", []string{reply.ProblemSupportMissing},
			lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}},
		// Details accumulate: a reply with only the missing line completes them.
		{"only the missing line", only(nil, nil, ptr("business"), reply.ProblemRootMissing, reply.ProblemNicknameMissing),
			knowing(lifecycle.StageAwaitingDetails, lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}), Submit, "", nil, all},
		{"one field of three", only(nil, ptr("Acme"), nil, reply.ProblemRootMissing, reply.ProblemSupportMissing),
			at(lifecycle.StageAwaitingDetails), Incomplete, "", []string{reply.ProblemRootMissing, reply.ProblemSupportMissing}, lifecycle.Known{Nickname: "Acme"}},
		{"a later reply corrects a field", only(nil, ptr("Acme Prod"), nil),
			knowing(lifecycle.StageAwaitingDetails, lifecycle.Known{RootEmail: "root@acme.example", SupportType: "business"}), Submit, "", nil,
			lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme Prod", SupportType: "business"}},
		{"an invalid correction changes nothing", only(ptr("a@b.c"), nil, nil),
			knowing(lifecycle.StageAwaitingDetails, lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}), Incomplete, "",
			[]string{reply.ProblemRootInvalid, reply.ProblemSupportMissing}, lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}},
		{"root is the contact", full(jane, "Jane@northwind.example", "business"), at(lifecycle.StageAwaitingDetails), Incomplete, "",
			[]string{ProblemRootIsContact}, lifecycle.Known{Nickname: "Acme", SupportType: "business"}},
		{"root breaks AWS rules", full(jane, "a@b.c", "business"), at(lifecycle.StageAwaitingDetails), Incomplete, "",
			[]string{reply.ProblemRootInvalid}, lifecycle.Known{Nickname: "Acme", SupportType: "business"}},
		{"nickname as typed", only(ptr("root@acme.example"), ptr("Café Étoile – Québec"), ptr("business")), at(lifecycle.StageAwaitingDetails), Submit, "", nil,
			lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Café Étoile – Québec", SupportType: "business"}},
		{"nickname with nothing usable for AWS", only(ptr("root@acme.example"), ptr("🚀🚀"), ptr("business")), at(lifecycle.StageAwaitingDetails), Incomplete, "",
			[]string{ProblemNicknameUnusable}, lifecycle.Known{RootEmail: "root@acme.example", SupportType: "business"}},
		{"ambiguous support stands", only(nil, nil, nil, reply.ProblemSupportAmbiguous),
			knowing(lifecycle.StageAwaitingDetails, lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}), Incomplete, "",
			[]string{reply.ProblemSupportAmbiguous}, lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme"}},
		{"after approval", full(jane, "root@acme.example", "business"), at(lifecycle.StageApproved), Reject, events.ReplyWrongStage, nil, lifecycle.Known{}},
		{"same details again", full(jane, "root@acme.example", "business"), knowing(lifecycle.StageDetailsReceived, all), Unchanged, "", nil, all},
		{"a correction after the details", only(nil, nil, ptr("developer")), knowing(lifecycle.StageDetailsReceived, all), Submit, "", nil,
			lifecycle.Known{RootEmail: "root@acme.example", Nickname: "Acme", SupportType: "developer"}},
		{"thanks after the details", Answer{From: jane}, knowing(lifecycle.StageDetailsReceived, all), Reject, events.ReplyWrongStage, nil, lifecycle.Known{}},
		{"role ARN after creation", role, at(lifecycle.StageCreated), Role, "", nil, lifecycle.Known{}},
		{"role ARN when unverified", role, at(lifecycle.StageRoleUnverified), Role, "", nil, lifecycle.Known{}},
		{"role ARN too early", role, at(lifecycle.StageApproved), Reject, events.ReplyWrongStage, nil, lifecycle.Known{}},
		{"expired", full(jane, "root@acme.example", "business"), at(lifecycle.StageExpired), Reject, events.ReplyWrongStage, nil, lifecycle.Known{}},
		{"no request", full(jane, "root@acme.example", "business"), lifecycle.Record{Stage: lifecycle.StageAwaitingDetails}, Reject, events.ReplyUnauthorised, nil, lifecycle.Known{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Decide(c.a, c.rec)
			if d.Verdict != c.verdict || d.Reason != c.reason || !slices.Equal(d.Problems, c.problems) || d.Known != c.known {
				t.Fatalf("got %+v\nwant verdict %d reason %q problems %v known %+v", d, c.verdict, c.reason, c.problems, c.known)
			}
		})
	}
}
