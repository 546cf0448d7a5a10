package replies_test

import (
	"bytes"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
)

// emeaToken is the tokenised address of the EMEA support mailbox.
func emeaToken(t *testing.T, id string) string {
	a, err := mailer.ReplyAddress(key, id, emeaBox)
	must(t, err)
	return a
}

// A German reseller's clarification is German, names the EMEA mailbox their
// answer goes to, with its token in the Reply-To, and says how AWS will show
// the nickname already given.
func TestClarificationInTheResellersLanguage(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seedEMEA(t, "REQ-DE", "DE")
	e.deliver(t, eml(mail{To: emeaToken(t, "REQ-DE"), Subject: subject("REQ-DE"), Body: body("", "Bäckerei Müller – Produktion", "")}))
	brokertest.WaitCount(t, e.conn, events.SubjectDetailsIncomplete, 1)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	mails := e.sb.Messages(contact)
	if len(mails) != 1 {
		t.Fatalf("%d emails to the contact, want the clarification", len(mails))
	}
	m, err := netmail.ReadMessage(bytes.NewReader(mails[0]))
	must(t, err)
	h, _ := mailtest.Parts(t, mails[0])
	subj, _ := h.Subject()
	text := strings.Join(strings.Fields(mailtest.Text(t, mails[0])), " ")
	if subj != "Re: Anfrage für ein neues Kundenkonto erhalten – Amazon Web Services (Acme Corp) [REQ-DE]" {
		t.Errorf("subject %q", subj)
	}
	if m.Header.Get("Reply-To") != "<"+emeaToken(t, "REQ-DE")+">" {
		t.Errorf("Reply-To %q, want the EMEA mailbox's token", m.Header.Get("Reply-To"))
	}
	for _, want := range []string{"vielen Dank für Ihre Antwort", "der Kontoname „Bäckerei Müller – Produktion“, den AWS als „Backerei Muller - Produktion“ anzeigen wird",
		"Ihre Antwort geht an unser regionales Support-Team unter " + emeaBox, "Root email (E-Mail-Adresse des Root-Benutzers):"} {
		if !strings.Contains(text, want) {
			t.Errorf("clarification lacks %q:\n%s", want, mailtest.Text(t, mails[0]))
		}
	}
}

// A German reseller is asked in German to confirm a held reply, with the
// EMEA mailbox's token in the Reply-To.
func TestHeldConfirmationInTheResellersLanguage(t *testing.T) {
	e := setup(t)
	brokertest.Run(t, e.conn, e.handler(t, e.conn).Broker(), e.projection(t))
	e.seedEMEA(t, "REQ-DE", "DE")
	e.deliver(t, spoofed("REQ-DE", nil))
	brokertest.WaitCount(t, e.conn, events.SubjectReplyHeld, 1)
	brokertest.WaitIdle(t, e.conn, replies.Name)
	e.waitRecord(t, "REQ-DE", func(r lifecycle.Record) bool { return len(r.Held) == 1 })
	mails := e.sb.Messages(contact)
	if len(mails) != 1 {
		t.Fatalf("%d emails to the contact, want the confirmation request", len(mails))
	}
	m, err := netmail.ReadMessage(bytes.NewReader(mails[0]))
	must(t, err)
	h, _ := mailtest.Parts(t, mails[0])
	subj, _ := h.Subject()
	text := strings.Join(strings.Fields(mailtest.Text(t, mails[0])), " ")
	if subj != "Bitte bestätigen: Antwort zu Amazon Web Services (Acme Corp) [REQ-DE]" || !strings.Contains(text, "Wenn Sie sie gesendet haben") ||
		!strings.Contains(text, "Root email (E-Mail-Adresse des Root-Benutzers): attacker-root@evil.example") {
		t.Errorf("confirmation request %q:\n%s", subj, mailtest.Text(t, mails[0]))
	}
	if m.Header.Get("Reply-To") != "<"+emeaToken(t, "REQ-DE")+">" {
		t.Errorf("Reply-To %q, want the EMEA mailbox's token", m.Header.Get("Reply-To"))
	}
}
