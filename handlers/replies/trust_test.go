package replies_test

import (
	"bytes"
	"context"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
)

// spoofed is what an attacker sends: the contact's address in From, the
// request's subject tag, no token, to the plain workflow inbox.
func spoofed(id string, headers map[string]string) string {
	return eml(mail{From: "Jane Doe <" + contact + ">", To: inboxBox, Subject: subject(id), Headers: headers,
		Body: body("attacker-root@evil.example", "Pwned", "Business")})
}

// heldOnly checks that a reply was held and changed nothing, and returns
// the one confirm-by-reply email the real contact got.
// spoofedHeld has the projection and the handler run, and a reply about id
// that proves nothing held; it returns the confirm-by-reply email.
func (e *env) spoofedHeld(t *testing.T, id string) *netmail.Message {
	t.Helper()
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, id)
	before, _ := e.store.Get(context.Background(), id)
	e.deliver(t, spoofed(id, nil))
	return e.heldOnly(t, id, before, events.MatchedSubject)
}

// answerTo is the contact's answer to the confirm-by-reply email ask.
func answerTo(t *testing.T, ask *netmail.Message, id, body string) string {
	return eml(mail{To: token(t, id), Subject: "Re: " + ask.Header.Get("Subject"), InReplyTo: ask.Header.Get("Message-Id"), Body: body})
}

func (e *env) heldOnly(t *testing.T, id string, before lifecycle.Record, by string) *netmail.Message {
	t.Helper()
	brokertest.WaitCount(t, e.conn, events.SubjectReplyHeld, 1)
	held := decode[events.ReplyHeld](t, e.conn, events.SubjectReplyHeld, 0)
	if held.RequestID != id || held.MatchedBy != by || held.Reason != events.HoldUnverifiedSender || !held.ConfirmationRequested ||
		held.RootEmail == nil || *held.RootEmail != "attacker-root@evil.example" {
		t.Fatalf("held %+v", held)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := brokertest.Count(t, e.conn, "acct.details.>"); n != 0 {
		t.Fatalf("%d details events from an unproven reply", n)
	}
	rec := e.waitRecord(t, id, func(r lifecycle.Record) bool { return len(r.Held) == 1 })
	if rec.Stage != before.Stage || rec.Known != before.Known || rec.Held[0].Status != lifecycle.HeldWaiting {
		t.Fatalf("record changed: %+v", rec)
	}
	mails := e.sb.Messages(contact)
	if len(mails) != 1 {
		t.Fatalf("%d emails to the contact, want exactly one confirmation request", len(mails))
	}
	m, err := netmail.ReadMessage(bytes.NewReader(mails[0]))
	must(t, err)
	if m.Header.Get("Reply-To") != "<"+token(t, id)+">" || !strings.Contains(string(mails[0]), "attacker-root@evil.example") {
		t.Fatalf("confirmation request:\n%s", mails[0])
	}
	return m
}

// A forged From with the subject tag changes nothing: the reply is held and
// the real contact is asked, once, to confirm it by replying.
func TestSpoofedSubjectTagIsHeld(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	before, _ := e.store.Get(context.Background(), "REQ-1001")
	e.deliver(t, spoofed("REQ-1001", nil))
	e.heldOnly(t, "REQ-1001", before, events.MatchedSubject)
}

// Our Message-IDs used to be a digest anyone can compute: quoting one, with
// the subject tag, proves nothing either.
func TestOldSchemeInReplyToIsHeld(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	before, _ := e.store.Get(context.Background(), "REQ-1001")
	old := "<" + mailer.LegacyMessageID("REQ-1001", mailer.KindConfirmation, domain) + ">"
	e.deliver(t, spoofed("REQ-1001", map[string]string{"In-Reply-To": old}))
	e.heldOnly(t, "REQ-1001", before, events.MatchedLegacy)
}

// Authentication-Results from a receiving server we trust, showing DMARC
// or aligned DKIM, proves the From: such a reply applies. Anyone else's
// header, or one below a failing result of the trusted server, does not.
func TestAuthenticationResults(t *testing.T) {
	const trusted = "mx.meridian.example"
	for _, c := range []struct {
		name    string
		headers []string
		applies bool
	}{
		{"dmarc pass", []string{trusted + "; spf=pass smtp.mailfrom=northwind.example; dmarc=pass header.from=northwind.example"}, true},
		{"aligned dkim", []string{trusted + "; dkim=pass header.d=mail.northwind.example"}, true},
		{"unaligned dkim", []string{trusted + "; dkim=pass header.d=evil.example"}, false},
		{"untrusted server", []string{"mx.evil.example; dmarc=pass header.from=northwind.example"}, false},
		{"dmarc for another domain", []string{trusted + "; dmarc=pass header.from=evil.example"}, false},
		{"forged pass below a failing one", []string{trusted + "; dmarc=fail header.from=northwind.example", trusted + "; dmarc=pass header.from=northwind.example"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t)
			e.trusted = []string{trusted}
			brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
			e.seed(t, "REQ-1001")
			var raw strings.Builder
			for _, h := range c.headers {
				raw.WriteString("Authentication-Results: " + h + "\r\n")
			}
			raw.WriteString(spoofed("REQ-1001", nil))
			e.deliver(t, raw.String())
			if c.applies {
				brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
				e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
				return
			}
			brokertest.WaitCount(t, e.conn, events.SubjectReplyHeld, 1)
			brokertest.WaitIdle(t, e.conn, replies.Name)
			if n := brokertest.Count(t, e.conn, events.SubjectDetailsSubmitted); n != 0 {
				t.Fatal("applied")
			}
		})
	}
}

// The contact answers the confirm-by-reply email: the held details apply,
// with whatever the answer itself corrects; `request show` has the held
// reply and its release.
func TestHeldReplyConfirmedByTheContact(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	before, _ := e.store.Get(context.Background(), "REQ-1001")
	e.deliver(t, eml(mail{To: inboxBox, Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme Prod", "")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyHeld, 1)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	e.waitRecord(t, "REQ-1001", func(r lifecycle.Record) bool { return len(r.Held) == 1 })
	if rec, _ := e.store.Get(context.Background(), "REQ-1001"); rec.Stage != before.Stage {
		t.Fatalf("stage %s", rec.Stage)
	}
	ask, err := netmail.ReadMessage(bytes.NewReader(e.sb.Messages(contact)[0]))
	must(t, err)

	// "Yes, that was me — and it is Business Support."
	e.deliver(t, answerTo(t, ask, "REQ-1001", "Yes, that was me.\nSupport type: Business Support\n"))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReleased, 1)
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
	rel := decode[events.ReplyReleased](t, e.conn, events.SubjectReplyReleased, 0)
	got := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, 0)
	if rel.By != events.ReleasedByContact || got.RootEmail != "root@acme.example" || got.Nickname != "Acme Prod" || got.SupportType != "business" {
		t.Fatalf("released %+v, submitted %+v", rel, got)
	}
	rec := e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
	if h := rec.Held[0]; h.Status != lifecycle.HeldReleased || h.By != events.ReleasedByContact {
		t.Fatalf("held reply %+v", h)
	}
}

// Ops release a held reply: it applies as if it had been verified.
func TestHeldReplyReleasedByOps(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: inboxBox, Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme Prod", "developer")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyHeld, 1)
	held := decode[events.ReplyHeld](t, e.conn, events.SubjectReplyHeld, 0)
	rel := events.ReplyReleased{ReplyID: held.ReplyID, RequestID: "REQ-1001", By: events.ReleasedByOps, Operator: "ops@meridian.example",
		ReleasedAt: events.Time(time.Now())}
	brokertest.Publish(t, e.conn, rel, "release-1")
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)
	if got := decode[events.DetailsSubmitted](t, e.conn, events.SubjectDetailsSubmitted, 0); got.RootEmail != "root@acme.example" || got.SupportType != "developer" {
		t.Fatalf("submitted %+v", got)
	}
	e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
}

// Tokens in either case verify; a wrong one in upper case is a forgery and
// does not fall back to the subject tag.
func TestTokenCase(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-1")
	e.seed(t, "REQ-2")
	good := token(t, "REQ-1")
	at := strings.LastIndexByte(good, '@')
	upper := good[:at-12] + strings.ToUpper(good[at-12:at]) + good[at:]
	e.deliver(t, eml(mail{To: upper, Subject: subject("REQ-1"), Body: body("root1@acme.example", "One", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsSubmitted, 1)

	e.deliver(t, eml(mail{To: "acct-replies+REQ-2.AAAAAAAAAAAA@" + domain, Subject: subject("REQ-2"), Body: body("root2@acme.example", "Two", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyRejected, 1)
	if rej := decode[events.ReplyRejected](t, e.conn, events.SubjectReplyRejected, 0); rej.Reason != events.ReplyForgedToken {
		t.Fatalf("rejected %+v", rej)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := brokertest.Count(t, e.conn, events.SubjectReplyHeld); n != 0 {
		t.Fatal("a forged token fell back to the subject tag")
	}
}

// Ids the contract allows but that are awkward as keys and addresses.
func TestDottedRequestIDs(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	for i, id := range []string{"REQ..1", ".REQ2", "REQ3."} {
		e.seed(t, id)
		e.deliver(t, eml(mail{To: token(t, id), Subject: subject(id), Body: body("root"+string(rune('a'+i))+"@acme.example", "Acme", "basic")}))
		e.waitStage(t, id, lifecycle.StageDetailsReceived)
	}
}

// After a key rotation, replies to mail signed with the previous key still
// apply.
func TestPreviousKeyStillVerifies(t *testing.T) {
	e := setup(t)
	h := e.handler(t, e.conn)
	h.Keys = mailer.Keys{Current: []byte("the-new-reply-key-0123456789"), Previous: [][]byte{key}}
	brokertest.Run(t, e.conn, h.Broker(), e.projection(t))
	e.seed(t, "REQ-1001")
	e.deliver(t, eml(mail{To: token(t, "REQ-1001"), Subject: subject("REQ-1001"), Body: body("root@acme.example", "Acme", "basic")}))
	e.waitStage(t, "REQ-1001", lifecycle.StageDetailsReceived)
}

// A rejected request gives its root email up: another request may claim it.
func TestReleasedRootEmailCanBeClaimedAgain(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seed(t, "REQ-A")
	e.seed(t, "REQ-B")
	e.deliver(t, eml(mail{To: token(t, "REQ-A"), Subject: subject("REQ-A"), Body: body("shared@acme.example", "A", "basic")}))
	e.waitStage(t, "REQ-A", lifecycle.StageDetailsReceived)
	e.deliver(t, eml(mail{To: token(t, "REQ-B"), Subject: subject("REQ-B"), Body: body("shared@acme.example", "B", "basic")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsIncomplete, 1)
	if inc := decode[events.DetailsIncomplete](t, e.conn, events.SubjectDetailsIncomplete, 0); inc.Problems[0] != replies.ProblemRootInUse {
		t.Fatalf("incomplete %+v", inc)
	}
	rej := events.RequestRejected{RequestID: "REQ-A", Reasons: []string{events.ReasonOpsRejected}, Detail: "duplicate", RejectedBy: "ops", RejectedAt: events.Time(time.Now())}
	brokertest.Publish(t, e.conn, rej, "reject-a")
	e.waitStage(t, "REQ-A", lifecycle.StageRejected)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	e.deliver(t, eml(mail{To: token(t, "REQ-B"), Subject: subject("REQ-B"), Body: body("shared@acme.example", "B", "basic")}))
	e.waitStage(t, "REQ-B", lifecycle.StageDetailsReceived)
}

// The contact answers the confirm-by-reply email with a no: the held reply
// is discarded and nothing applies.
func TestHeldReplyDeclinedByTheContact(t *testing.T) {
	e := setup(t)
	ask := e.spoofedHeld(t, "REQ-1001")
	e.deliver(t, answerTo(t, ask, "REQ-1001", "No! I did not send that, please ignore it.\n"))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyDiscarded, 1)
	rec := e.waitRecord(t, "REQ-1001", func(r lifecycle.Record) bool { return r.Held[0].Status == lifecycle.HeldDiscarded })
	if rec.Held[0].By != "contact" {
		t.Fatalf("a held reply the contact declined shows as discarded by %q", rec.Held[0].By)
	}
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := brokertest.Count(t, e.conn, "acct.details.>") + brokertest.Count(t, e.conn, events.SubjectReplyReleased); n != 0 || rec.Stage != lifecycle.StageAwaitingDetails {
		t.Fatalf("a refusal applied something: %d events, stage %s", n, rec.Stage)
	}
}

// Only a yes to the confirm-by-reply email applies a held reply: "I never
// sent this" in other words, a question, an empty answer or an
// out-of-office leaves it held for ops, applies nothing and asks nothing.
// A yes afterwards still confirms it.
func TestHeldReplyNeedsAYes(t *testing.T) {
	e := setup(t)
	ask := e.spoofedHeld(t, "REQ-1001")
	mailsBefore := len(e.sb.Messages(contact))
	answer := func(body string, auto bool) {
		t.Helper()
		raw := answerTo(t, ask, "REQ-1001", body)
		if auto {
			raw = "Auto-Submitted: auto-replied\r\n" + raw
		}
		e.deliver(t, raw)
	}
	for _, body := range []string{"Yo no envié esto.\n", "Who sent this? I don't recognise it.\n", "\n"} {
		answer(body, false)
	}
	answer("I am out of the office until Monday.\n", true)
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReceived, 5)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	if n := brokertest.Count(t, e.conn, "acct.details.>") + brokertest.Count(t, e.conn, events.SubjectReplyReleased) +
		brokertest.Count(t, e.conn, events.SubjectReplyDiscarded); n != 0 {
		t.Fatalf("an answer that says neither yes nor no changed something: %d events", n)
	}
	if n := len(e.sb.Messages(contact)); n != mailsBefore {
		t.Fatalf("%d more emails to the contact", n-mailsBefore)
	}
	if rec, _ := e.store.Get(context.Background(), "REQ-1001"); rec.Stage != lifecycle.StageAwaitingDetails || rec.Held[0].Status != lifecycle.HeldWaiting {
		t.Fatalf("stage %s, held %+v", rec.Stage, rec.Held)
	}
	answer("Yes, that was me.\n", false)
	brokertest.WaitCount(t, e.conn, events.SubjectReplyReleased, 1)
}
