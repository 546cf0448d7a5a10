package replies_test

import (
	"bytes"
	"context"
	"fmt"
	netmail "net/mail"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

func TestCompleteReplySubmitsDetails(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("Acme-AWS-Root@Acme.example", "Acme Production", "Enterprise")}))

	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
	got := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, 0)
	if got.RequestID != "REQ-1001" || got.RootEmail != "acme-aws-root@acme.example" || got.Nickname != "Acme Production" ||
		got.SupportType != "enterprise" || !got.EnterpriseSales || got.From != contact || got.SourceMessageID == "" {
		t.Fatalf("submitted %+v", got)
	}
	rec := e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
	if rec.Details == nil || rec.Details.RootEmail != got.RootEmail {
		t.Fatalf("record details %+v", rec.Details)
	}
	if n := len(e.sb.Messages(contact)); n != 0 {
		t.Fatalf("%d mails to the contact for a complete reply", n)
	}
}

func TestForgedTokenChangesNothing(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	before, _ := e.store.Get(context.Background(), "REQ-1001")
	forged := "acct-replies+REQ-1001.0123456789ab@" + domain
	// The subject tag would match: a failed token must still win.
	e.deliver(t, eml(mail{To: forged, Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme", "Business")}))

	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0)
	if rej.Reason != events.ReplyForgedToken || rej.RequestID != "" {
		t.Fatalf("rejected %+v", rej)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	e.assertUntouched(t, "REQ-1001", before)
}

func TestSpoofedSenderChangesNothing(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	before, _ := e.store.Get(context.Background(), "REQ-1001")
	// A genuine token (copied from a forwarded mail) does not make the
	// sender the contact; and a missing field would otherwise earn a mail.
	e.deliver(t, eml(mail{From: "Mallory <mallory@evil.example>", To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("root@evil.example", "Evil", "")}))

	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0)
	if rej.Reason != events.ReplyUnauthorised || rej.From != "mallory@evil.example" || rej.RequestID != "" {
		t.Fatalf("rejected %+v", rej)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	e.assertUntouched(t, "REQ-1001", before)
	if n := len(e.sb.Messages("mallory@evil.example")); n != 0 {
		t.Fatalf("%d mails to the spoofer", n)
	}
}

func TestAuthorisedSenderAccepted(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-AUTH", "Ops@Northwind.example")
	e.deliver(t, eml(mail{From: "ops@northwind.example", To: token(t, "REQ-AUTH"), Subject: subject("REQ-AUTH"), Body: body("r00t@acme.example", "Acme", "Developer")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
}

func TestAutoReplyGetsNoAnswer(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: "Automatic reply: " + subject("REQ-1001"),
		Headers: map[string]string{"Auto-Submitted": "auto-replied"}, Body: "I am out of the office until Monday.\n"}))

	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0)
	if rej.Reason != events.ReplyAutoReply || rej.RequestID != "REQ-1001" {
		t.Fatalf("rejected %+v", rej)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := len(e.sb.Messages(contact)); n != 0 {
		t.Fatalf("%d mails answered an auto-reply", n)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectDetailsIncomplete); n != 0 {
		t.Fatalf("auto-reply judged as details: %d", n)
	}
}

func (e *env) assertUntouched(t *testing.T, id string, before lifecycle.Record) {
	t.Helper()
	after, err := e.store.Get(context.Background(), id)
	must(t, err)
	if after.Stage != before.Stage || after.StageSeq != before.StageSeq || len(after.History) != len(before.History) || after.Problems != nil {
		t.Fatalf("record changed:\n%+v\n%+v", before, after)
	}
	if n := brokertest.Count(t, e.conn, "acct.details.>"); n != 0 {
		t.Fatalf("%d details events", n)
	}
	if n := len(e.sb.Messages(contact)); n != 0 {
		t.Fatalf("%d mails to the contact", n)
	}
}

// The clarification dialogue: three replies with one field each. Each is
// answered once (even when the handler dies before its ack) by a
// clarification that says what is known and asks only for the rest; the
// answer to a clarification is matched by its In-Reply-To alone (our
// Message-IDs carry the token), and the third completes the details.
func TestClarificationDialogue(t *testing.T) {
	e := setup(t)
	h := e.handler(t, e.conn)
	var calls atomic.Int32
	brokertest.Run(t, e.conn, crashOnReply(h, &calls, nil), e.projection(t))
	e.seed(t, "REQ-1001")
	first := "<first@northwind.example>"
	e.deliver(t, eml(mail{MessageID: first, To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("root@acme.example", "", "")}))

	brokertest.WaitCount(t, e.conn, events.SubjectDetailsIncomplete, 1)
	brokertest.WaitCalls(t, &calls, 2)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	inc := decode[events.DetailsIncomplete](t, e.conn, events.SubjectDetailsIncomplete, 0)
	if !inc.ClarificationSent || !slices.Equal(inc.Problems, []string{"nickname_missing", "support_type_missing"}) ||
		inc.RootEmail == nil || *inc.RootEmail != "root@acme.example" || inc.SupportType != nil {
		t.Fatalf("incomplete %+v", inc)
	}
	mails := e.sb.Messages(contact)
	if len(mails) != 1 {
		t.Fatalf("%d clarifications after a crash before the ack, want 1", len(mails))
	}
	cm, err := netmail.ReadMessage(bytes.NewReader(mails[0]))
	must(t, err)
	if cm.Header.Get("In-Reply-To") != first || cm.Header.Get("Reply-To") != "<"+token(t, "REQ-1001")+">" ||
		!strings.Contains(cm.Header.Get("Subject"), "[REQ-1001]") || !strings.Contains(string(mails[0]), "root@acme.example") {
		t.Fatalf("clarification:\n%s", mails[0])
	}
	e.waitRecord(t, "REQ-1001", func(r lifecycle.Record) bool { return r.Known.RootEmail == "root@acme.example" })

	// Second: only the nickname, sent as an answer to the clarification
	// (In-Reply-To only: no token address, no subject tag).
	e.deliver(t, eml(mail{To: inboxBox, Subject: "Re: your request", InReplyTo: cm.Header.Get("Message-Id"), Body: body("", "Acme Prod", "")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsIncomplete, 2)
	inc = decode[events.DetailsIncomplete](t, e.conn, events.SubjectDetailsIncomplete, 1)
	if !inc.ClarificationSent || !slices.Equal(inc.Problems, []string{"support_type_missing"}) || *inc.RootEmail != "root@acme.example" || *inc.Nickname != "Acme Prod" {
		t.Fatalf("second incomplete %+v", inc)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := len(e.sb.Messages(contact)); n != 2 {
		t.Fatalf("%d clarifications, want 2", n)
	}
	second := string(e.sb.Messages(contact)[1])
	if !strings.Contains(second, "Acme Prod") || !strings.Contains(second, "root@acme.example") {
		t.Fatalf("the second clarification does not say what is known:\n%s", second)
	}
	e.waitRecord(t, "REQ-1001", func(r lifecycle.Record) bool { return r.Known.Nickname == "Acme Prod" })

	// Third: only the missing line, as the clarification asked.
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: "Support type: Business Support\n"}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
	got := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, 0)
	if got.RootEmail != "root@acme.example" || got.Nickname != "Acme Prod" || got.SupportType != "business" || got.AWSAccountName != "Acme Prod" {
		t.Fatalf("submitted %+v", got)
	}
	e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
}

func TestThreadedByConfirmationMessageID(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-THR")
	conf := "<" + mailer.MessageID(key, "REQ-THR", mailer.KindConfirmation, domain) + ">"
	e.deliver(t, eml(mail{To: inboxBox, Subject: "Re: account", InReplyTo: conf, Body: body("new-root@acme.example", "Acme", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
	if got := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, 0); got.RequestID != "REQ-THR" {
		t.Fatalf("matched %+v", got)
	}
	// A well-signed id of a request nobody knows matches nothing.
	unknown := "<" + mailer.MessageID(key, "REQ-NONE", mailer.KindConfirmation, domain) + ">"
	e.deliver(t, eml(mail{To: inboxBox, Subject: "Re: account", InReplyTo: unknown, Body: body("x@acme.example", "Acme", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	if rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0); rej.Reason != events.ReplyUnmatched {
		t.Fatalf("rejected %+v", rej)
	}
	// A Message-ID of our form with a made-up token is a forgery.
	forged := "<" + mailer.MessageID([]byte("not-the-reply-key-at-all"), "REQ-THR", mailer.KindConfirmation, domain) + ">"
	e.deliver(t, eml(mail{To: inboxBox, Subject: subject("REQ-THR"), InReplyTo: forged, Body: body("y@acme.example", "Acme", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 2)
	if rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 1); rej.Reason != events.ReplyForgedToken {
		t.Fatalf("rejected %+v", rej)
	}
}

// Two requests claim one root email at once on two replicas: exactly one
// gets it, the other is asked for another address, naming the reuse.
func TestReusedRootEmailRacedAcrossReplicas(t *testing.T) {
	e := setup(t)
	for range 2 {
		conn := brokertest.Connect(t, e.srv)
		brokertest.Run(t, conn, e.handler(t, conn).Broker())
	}
	brokertest.Run(t, e.conn, e.projection(t))
	const pairs = 6
	for i := range pairs {
		for _, s := range []string{"A", "B"} {
			e.seed(t, fmt.Sprintf("REQ-%d%s", i, s))
		}
	}
	for i := range pairs {
		root := fmt.Sprintf("shared-%d@acme.example", i)
		for _, s := range []string{"A", "B"} {
			id := fmt.Sprintf("REQ-%d%s", i, s)
			e.deliver(t, eml(mail{To: token(t, id), Subject: subject(id), Body: body(root, "Acme "+s, "Business")}))
		}
	}
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, pairs)
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsIncomplete, pairs)
	won := map[string]string{}
	for i := range pairs {
		d := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, i)
		if prev, dup := won[d.RootEmail]; dup {
			t.Fatalf("%s given to %s and %s", d.RootEmail, prev, d.RequestID)
		}
		won[d.RootEmail] = d.RequestID
	}
	for i := range pairs {
		inc := decode[events.DetailsIncomplete](t, e.conn, events.SubjectDetailsIncomplete, i)
		if len(inc.Problems) != 1 || inc.Problems[0] != "root_email_in_use" || !inc.ClarificationSent || inc.RootEmail != nil {
			t.Fatalf("loser %+v", inc)
		}
		for root, winner := range won {
			if winner == inc.RequestID {
				t.Fatalf("%s both won %s and lost", inc.RequestID, root)
			}
		}
	}
	if n := len(e.sb.Messages(contact)); n != pairs {
		t.Fatalf("%d clarifications, want %d", n, pairs)
	}
	if !strings.Contains(string(e.sb.Messages(contact)[0]), "shared-") {
		t.Fatalf("clarification does not name the reused address")
	}
}
