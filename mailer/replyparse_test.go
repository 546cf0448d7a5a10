package mailer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
)

// asReply is the reply a reseller's mail client sends: what they typed on
// top, the original quoted below it.
func asReply(subject, typed, original string) []byte {
	var quoted strings.Builder
	for _, l := range strings.Split(strings.TrimRight(original, "\n"), "\n") {
		quoted.WriteString(strings.TrimRight("> "+l, " ") + "\r\n")
	}
	return []byte("From: Dana Whitfield <dana@fabrikam.example>\r\n" +
		"To: acct-replies+REQ-1001.0347d5a24539@meridian.example\r\n" +
		"Subject: Re: " + subject + "\r\n" +
		"Message-ID: <reply-1@fabrikam.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		strings.ReplaceAll(typed, "\n", "\r\n") + "\r\n\r\nOn Tue, 25 Nov 2026, Provisioning wrote:\r\n" + quoted.String())
}

// answerLines are the lines of text that start with an English answer label.
func answerLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, label := range []string{"Root email", "Account nickname", "Support type"} {
			if strings.HasPrefix(l, label) && strings.HasSuffix(l, ":") {
				out = append(out, l)
			}
		}
	}
	return out
}

// TestEveryLanguageAnswerParses: in every language, a reseller who copies
// the answer lines of our mail, fills them in and sends the reply has every
// field read by the reply parser.
func TestEveryLanguageAnswerParses(t *testing.T) {
	values := map[string]string{
		"Root email": "aws-root-harborview@fabrikam.example", "Account nickname": "Harborview Dental Production", "Support type": "Business Support",
	}
	for _, lang := range mailer.Langs() {
		t.Run(string(lang), func(t *testing.T) {
			subject, text, _, err := mailer.Render(mailer.ConfirmationData{RequestID: "REQ-1001", ContactName: "Dana Whitfield",
				CustomerName: "Harborview Dental Group", ReplyChannel: mailer.ChannelSupportMailbox,
				SupportMailbox: "cloud-support-emea@meridian.example", Lang: lang})
			if err != nil {
				t.Fatal(err)
			}
			lines := answerLines(text)
			if len(lines) != 3 {
				t.Fatalf("answer lines %q in\n%s", lines, text)
			}
			var typed []string
			for _, l := range lines {
				for label, v := range values {
					if strings.HasPrefix(l, label) {
						typed = append(typed, l+" "+v)
					}
				}
			}
			r := reply.Parse(asReply(subject, strings.Join(typed, "\n"), text))
			if r.RootEmail == nil || *r.RootEmail != values["Root email"] || r.Nickname == nil || *r.Nickname != values["Account nickname"] ||
				r.SupportType == nil || *r.SupportType != "business" || r.RequestRef == nil || *r.RequestRef != "REQ-1001" {
				t.Errorf("parsed %s from\n%s", show(r), strings.Join(typed, "\n"))
			}
		})
	}
}

// TestClarificationAnswerParses: answering a clarification with only the
// line it asks for gives exactly that field.
func TestClarificationAnswerParses(t *testing.T) {
	for _, lang := range mailer.Langs() {
		subject, text, _, err := mailer.Render(mailer.ClarificationData{RequestID: "REQ-1001", CustomerName: "Harborview Dental Group",
			RootEmail: "aws-root-harborview@fabrikam.example", Nickname: "Harborview Dental Production", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		lines := answerLines(text)
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "Support type") {
			t.Fatalf("%s: answer lines %q", lang, lines)
		}
		r := reply.Parse(asReply(subject, lines[0]+" Developer Support", text))
		if r.SupportType == nil || *r.SupportType != "developer" || r.RootEmail != nil || r.Nickname != nil {
			t.Errorf("%s: parsed %s", lang, show(r))
		}
	}
}

// TestReminderAnswerParses: answering a reminder with the lines it asks
// for gives exactly those fields, in every language.
func TestReminderAnswerParses(t *testing.T) {
	asked := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	for _, lang := range mailer.Langs() {
		subject, text, _, err := mailer.Render(mailer.ReminderData{RequestID: "REQ-1001", CustomerName: "Harborview Dental Group", Number: 1,
			AskedAt: asked, ExpiresAt: asked.Add(14 * 24 * time.Hour), Nickname: "Harborview Dental Production", Lang: lang})
		if err != nil {
			t.Fatal(err)
		}
		lines := answerLines(text)
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "Root email") || !strings.HasPrefix(lines[1], "Support type") {
			t.Fatalf("%s: answer lines %q", lang, lines)
		}
		typed := lines[0] + " aws-root-harborview@fabrikam.example\n" + lines[1] + " Developer Support"
		r := reply.Parse(asReply(subject, typed, text))
		if r.RootEmail == nil || *r.RootEmail != "aws-root-harborview@fabrikam.example" || r.SupportType == nil || *r.SupportType != "developer" ||
			r.Nickname != nil || r.RequestRef == nil || *r.RequestRef != "REQ-1001" {
			t.Errorf("%s: parsed %s", lang, show(r))
		}
	}
}

// TestOurQuestionsAreNoAnswer: a reply that only quotes the confirmation,
// the rejection, a reminder or the expiry (nothing typed, nothing filled in)
// yields no field, in every language: none of our questions reads as an
// answer.
func TestOurQuestionsAreNoAnswer(t *testing.T) {
	for _, lang := range mailer.Langs() {
		for _, d := range []mailer.Data{
			mailer.ConfirmationData{RequestID: "REQ-1001", CustomerName: "Acme", Lang: lang},
			mailer.ConfirmationData{RequestID: "REQ-1001", CustomerName: "Acme", ReplyChannel: mailer.ChannelSupportMailbox,
				SupportMailbox: "cloud-support-emea@meridian.example", Lang: lang},
			mailer.RejectionData{RequestID: "REQ-1001", CustomerName: "Acme", Reasons: []string{mailer.ReasonPricebookMissing}, Lang: lang},
			mailer.ReminderData{RequestID: "REQ-1001", CustomerName: "Acme", Number: 1, AskedAt: time.Unix(0, 0), ExpiresAt: time.Unix(0, 0),
				RootEmail: "known@acme.example", Lang: lang},
			mailer.ExpiryData{RequestID: "REQ-1001", CustomerName: "Acme", AskedAt: time.Unix(0, 0), Reminders: 2, Lang: lang},
		} {
			subject, text, _, err := mailer.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			r := reply.Parse(asReply(subject, "Thanks, will do.", text))
			if r.RootEmail != nil || r.Nickname != nil || r.SupportType != nil {
				t.Errorf("%s %s: quoting our text parses as %s", lang, d.Kind(), show(r))
			}
		}
	}
}

func show(r reply.Reply) string {
	s := func(p *string) string {
		if p == nil {
			return "nil"
		}
		return *p
	}
	return fmt.Sprintf("root=%s nickname=%s support=%s ref=%s problems=%v", s(r.RootEmail), s(r.Nickname), s(r.SupportType), s(r.RequestRef), r.Problems)
}
