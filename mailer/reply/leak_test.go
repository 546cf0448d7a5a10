package reply

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/mailer"
)

// ourEmails renders every email we send a reseller, with the real
// templates, including values that look like answers (the clarification's
// and the reminder's known details, the follow-up's "Account name:"); the
// reminder and the expiry in every language.
func ourEmails(t *testing.T) map[string][3]string {
	t.Helper()
	sig := mailer.Signature{Team: "Account Provisioning", Company: "Meridian Cloud Distribution"}
	emails := map[string][3]string{}
	datas := map[string]mailer.Data{
		"confirmation": mailer.ConfirmationData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme", Sig: sig},
		"confirmation to a support mailbox": mailer.ConfirmationData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			ReplyChannel: mailer.ChannelSupportMailbox, SupportMailbox: "cloud-support-emea@meridian.example", Sig: sig},
		"clarification": mailer.ClarificationData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			RootEmail: "seen@acme.example", Nickname: "Seen Nick", SupportType: "developer",
			Problems: []string{"root_email_in_use", "nickname_unusable", "support_type_ambiguous"}, Sig: sig},
		"clarification, nothing understood": mailer.ClarificationData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			Problems: []string{"root_email_missing", "nickname_missing", "support_type_missing"}, Sig: sig},
		"follow-up": mailer.FollowupData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme", AccountID: "123456789012",
			AccountName: "Acme Prod", RootEmail: "aws-root@acme.example", SupportType: "business", DistributorAccountID: "111122223333",
			ExternalID: "ext-123", RoleName: "MeridianBillingAccess", Sig: sig},
		"rejection": mailer.RejectionData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			Reasons: []string{"pricebook_missing", "ops_rejected"}, OpsReason: "Support type: Enterprise, nickname Acme", Sig: sig},
		"held reply, asking the contact to confirm": mailer.HeldConfirmData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			From: "someone@elsewhere.example", ReceivedAt: "2026-11-26T09:00:00Z", RootEmail: "held@acme.example", Nickname: "Held Nick",
			SupportType: "enterprise", RoleARN: "arn:aws:iam::123456789012:role/Held", Sig: sig},
		"role rejected": mailer.RoleRejectedData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme", AccountID: "123456789012",
			RoleARN: "arn:aws:iam::123456789012:role/X", Reason: "AssumeRole was denied", DistributorAccountID: "111122223333",
			ExternalID: "ext-123", Sig: sig},
	}
	// A long date (30 September, 30 de septiembre) puts the phrase that
	// marks the reminder ours as far right on its line as it gets.
	asked, expires := time.Date(2026, 9, 30, 9, 0, 0, 0, time.UTC), time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	for _, lang := range mailer.Langs() {
		datas["reminder, nothing given ("+string(lang)+")"] = mailer.ReminderData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			Number: 1, AskedAt: asked, ExpiresAt: expires, Lang: lang, Sig: sig}
		datas["last reminder, partly given ("+string(lang)+")"] = mailer.ReminderData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme",
			Number: 2, Last: true, AskedAt: asked, ExpiresAt: expires, RootEmail: "seen@acme.example", Nickname: "Seen – Nick", AWSAccountName: "Seen - Nick",
			Problems: []string{"root_email_in_use"}, ReplyChannel: mailer.ChannelSupportMailbox, SupportMailbox: "cloud-support-emea@meridian.example",
			Lang: lang, Sig: sig}
		datas["reminder, only the support type missing ("+string(lang)+")"] = mailer.ReminderData{RequestID: "REQ-1", ContactName: "Dana",
			CustomerName: "Acme", Number: 1, AskedAt: asked, ExpiresAt: expires, RootEmail: "seen@acme.example", Nickname: "Seen Nick", Lang: lang, Sig: sig}
		datas["expiry ("+string(lang)+")"] = mailer.ExpiryData{RequestID: "REQ-1", ContactName: "Dana", CustomerName: "Acme", AskedAt: asked,
			Reminders: 2, Lang: lang, Sig: sig}
		datas["expiry without reminders ("+string(lang)+")"] = mailer.ExpiryData{RequestID: "REQ-1", CustomerName: "Acme", AskedAt: asked, Lang: lang, Sig: sig}
	}
	for name, d := range datas {
		subject, text, html, err := mailer.Render(d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := regexp.MustCompile(`(?s)<body[^>]*>(.*)</body>`).FindStringSubmatch(html)
		if m == nil {
			t.Fatalf("%s: no body", name)
		}
		emails[name] = [3]string{subject, text, m[1]}
	}
	return emails
}

func quoteAll(text string) string {
	return "> " + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n> ")
}

// replyShapes put one of our emails below a reply the way clients do.
var replyShapes = []struct {
	name, subjectPrefix, contentType string
	build                            func(top, subject, text, html string) string
}{
	{"outlook text", "RE: ", "", func(top, s, text, _ string) string {
		return top + "\n\nFrom: Meridian <provisioning@meridian.example>\nSent: Wednesday, November 25, 2026 10:15 AM\nTo: Dana\nSubject: " + s + "\n\n" + text
	}},
	{"outlook text, plain separator", "RE: ", "", func(top, s, text, _ string) string {
		return top + "\n\n-----Original Message-----\nFrom: Meridian <provisioning@meridian.example>\nSent: Wednesday\nTo: Dana\nSubject: " + s + "\n\n" + text
	}},
	{"quoted with attribution", "Re: ", "", func(top, _, text, _ string) string {
		return top + "\n\nOn Wed, Nov 25, 2026 at 10:15 AM Meridian <provisioning@meridian.example> wrote:\n\n" + quoteAll(text)
	}},
	{"forwarded back", "Fwd: ", "", func(top, s, text, _ string) string {
		return top + "\n\n---------- Forwarded message ---------\nFrom: Meridian <provisioning@meridian.example>\nDate: Wed\nSubject: " + s + "\nTo: Dana\n\n\n" + text
	}},
	{"forwarded back, Outlook", "FW: ", "", func(top, s, text, _ string) string {
		return top + "\n\nFrom: Meridian <provisioning@meridian.example>\nSent: Wednesday\nTo: Dana\nSubject: " + s + "\n\n" + text
	}},
	{"outlook text, display name only", "RE: ", "", func(top, s, text, _ string) string {
		return top + "\n\nFrom: Meridian Account Provisioning\nSent: Wednesday\nTo: Dana\nSubject: " + s + "\n\n" + text
	}},
	{"forwarded back, display name only", "FW: ", "", func(top, s, text, _ string) string {
		return top + "\n\nFrom: Meridian Account Provisioning\nSent: Wednesday\nTo: Dana\nSubject: " + s + "\n\n" + text
	}},
	{"forwarded back with an attribution line", "Fwd: ", "", func(top, _, text, _ string) string {
		return top + "\n\nOn Wed, Nov 25, 2026 at 10:15 AM Meridian Account Provisioning wrote:\n\n" + quoteAll(text)
	}},
	{"gmail html", "Re: ", "text/html; charset=utf-8", func(top, _, _, html string) string {
		return "<div dir=ltr>" + strings.ReplaceAll(top, "\n", "<br>") + `</div><div class="gmail_quote"><div class="gmail_attr">On Wed, Meridian wrote:</div>` +
			`<blockquote class="gmail_quote">` + html + "</blockquote></div>"
	}},
	{"outlook web html", "RE: ", "text/html; charset=utf-8", func(top, s, _, html string) string {
		return "<div>" + strings.ReplaceAll(top, "\n", "<br>") + `</div><hr><div id="divRplyFwdMsg"><b>From:</b> Meridian &lt;provisioning@meridian.example&gt;<br><b>Sent:</b> Wed<br>` +
			`<b>To:</b> Dana<br><b>Subject:</b> ` + s + "</div><div>" + html + "</div>"
	}},
	{"outlook web html forwarded", "FW: ", "text/html; charset=utf-8", func(top, s, _, html string) string {
		return "<div>" + strings.ReplaceAll(top, "\n", "<br>") + `</div><hr><div id="divRplyFwdMsg"><b>From:</b> Meridian &lt;provisioning@meridian.example&gt;<br><b>Sent:</b> Wed<br>` +
			`<b>To:</b> Dana<br><b>Subject:</b> ` + s + "</div><div>" + html + "</div>"
	}},
}

// TestOurEmailsNeverAnswer: none of our own emails, quoted or forwarded
// below a reply in any client's shape, gives an answer or a problem; with
// the reseller's answers on top, exactly those are read.
func TestOurEmailsNeverAnswer(t *testing.T) {
	for name, e := range ourEmails(t) {
		for _, sh := range replyShapes {
			for _, c := range []struct{ top, want string }{
				{"Thanks, we are checking with the customer.\n\nDana", nothing},
				{"Root email: mine@fabrikam.example\nAccount nickname: Mine – Prod\nSupport type: Basic\n\nDana", "mine@fabrikam.example|Mine – Prod|basic|"},
			} {
				raw := msg(sh.subjectPrefix+e[0], sh.contentType, sh.build(c.top, e[0], e[1], e[2]))
				if g := got(Parse(raw)); g != c.want {
					t.Errorf("%s, %s, top %q: got %s, want %s", name, sh.name, c.top[:12], g, c.want)
				}
			}
		}
	}
}

// TestOurEmailsAreRecognised: every email we send, as text and as HTML,
// is known for ours by its content alone (no header block, no address):
// when a template changes or gains a language, this names what to add to
// the language's our_phrases.
func TestOurEmailsAreRecognised(t *testing.T) {
	for name, e := range ourEmails(t) {
		for kind, ls := range map[string][]line{"text": plainLines(e[1]), "html": htmlLines(e[2])} {
			if !isOurs("", ls) {
				t.Errorf("%s (%s) not recognised as ours", name, kind)
			}
		}
	}
	// And a reseller's or customer's answer is not, even with our email
	// below it, unquoted.
	for _, body := range []string{
		"Root email: a@b.example\nAccount nickname: Acme\nSupport type:\n\nThanks\n",
		"We have received your request, thanks. Root email: a@b.example\n",
		"Root email: a@b.example\n\nFrom: Meridian\nSent: Wed\nTo: Dana\nSubject: x\n\nWe have received your request to provision a new account\nRoot email:\nAccount nickname:\nSupport type:\n",
	} {
		if isOurs("RE: x", plainLines(body)) {
			t.Errorf("%q taken for ours", body)
		}
	}
}

// withAnswers types an answer under each of our numbered questions, after
// the question's wrapped lines.
func withAnswers(text string, answers [3]string) string {
	var b strings.Builder
	pending := ""
	for _, l := range strings.Split(text, "\n") {
		if pending != "" && !strings.HasPrefix(l, " ") {
			b.WriteString(pending + "\n")
			pending = ""
		}
		b.WriteString(l + "\n")
		for i := range answers {
			if strings.HasPrefix(l, fmt.Sprintf("%d. ", i+1)) {
				pending = answers[i]
			}
		}
	}
	return b.String()
}

// TestInlineAnswersInOurEmail: answers typed right after our numbered
// questions, inside our quoted email (Outlook, often in colour), are read;
// only there, and only what fits the question.
func TestInlineAnswersInOurEmail(t *testing.T) {
	e := ourEmails(t)["confirmation"]
	// Outlook writes each list item on one line.
	unwrapped := regexp.MustCompile(`\n   `).ReplaceAllString(e[1], " ")
	outlook := func(top, text string) []byte {
		return msg("RE: "+e[0], "", top+"\n\nFrom: Meridian <provisioning@meridian.example>\nSent: Wednesday\nTo: Dana\nSubject: "+e[0]+"\n\n"+text)
	}
	for _, c := range []struct {
		name, top, text string
		want            string
	}{
		{"after each question", "See my answers below in red.", withAnswers(unwrapped, [3]string{"aws@acme.example", "Acme – Prod ✨", "Developer"}),
			"aws@acme.example|Acme – Prod ✨|developer|"},
		{"after wrapped questions", "Answers inline.", withAnswers(e[1], [3]string{"aws@acme.example", "Acme Prod", "Basic/No Support"}),
			"aws@acme.example|Acme Prod|basic|"},
		{"some inline, one on top", "Support type: Business", withAnswers(unwrapped, [3]string{"aws@acme.example", "Acme Prod", ""}),
			"aws@acme.example|Acme Prod|business|"},
		{"a line that is no answer", "Answers inline.", withAnswers(unwrapped, [3]string{"We will tell you tomorrow, sorry for that.", "", ""}),
			nothing},
		{"no answers", "Answers inline.", unwrapped, nothing},
	} {
		if g := got(Parse(outlook(c.top, c.text))); g != c.want {
			t.Errorf("%s: got %s, want %s", c.name, g, c.want)
		}
	}
	// In HTML, inside the list items of Outlook on the web.
	items := strings.SplitN(e[2], "</li>", 3) // answers after the first two questions
	html := items[0] + `<div><span style="color:red">aws@acme.example</span></div></li>` +
		items[1] + `<div><span style="color:red">Acme Prod</span></div></li>` + items[2]
	raw := msg("RE: "+e[0], "text/html; charset=utf-8", `<div>Inline.</div><div id="divRplyFwdMsg"><b>From:</b> Meridian &lt;provisioning@meridian.example&gt;<br><b>Sent:</b> Wed<br>`+
		`<b>To:</b> Dana<br><b>Subject:</b> `+e[0]+"</div><div>"+html+"</div>")
	if g := got(Parse(raw)); g != "aws@acme.example|Acme Prod|-|support_type_missing" {
		t.Errorf("html: got %s", g)
	}
}

// TestOursByEachSign: each sign that a quoted message is ours works on its
// own, for an email in a language whose sentences the tables do not know.
func TestOursByEachSign(t *testing.T) {
	neutral := plainLines("Hej Dana,\n\nTack för din förfrågan.\n")
	for _, c := range []struct {
		name    string
		subject string
		body    string
		want    bool
	}{
		{"our subject", ourSubj, "", true},
		{"a reply to our subject", "RE: " + ourSubj, "", false},
		{"a forward of our subject", "Fwd: " + ourSubj, "", false},
		{"untagged subject", "Customer Account Provision Request Received", "", false},
		{"our three empty lines", "", "Hej,\n\nRoot email:\nAccount nickname:\nSupport type:\n\nHälsningar\n", true},
		{"two empty lines", "", "Hej,\n\nRoot email:\nAccount nickname:\n\nHälsningar\n", false},
		{"three filled lines", "", "Root email: a@b.example\nAccount nickname: A\nSupport type: Basic\n", false},
		{"our support question", "", "3. Supportnivå: Business Support, Developer Support eller Basic/No Support.\n", true},
	} {
		body := neutral
		if c.body != "" {
			body = plainLines(c.body)
		}
		if g := isOurs(c.subject, body); g != c.want {
			t.Errorf("%s: ours = %v", c.name, g)
		}
	}
	block := func(from string) []line {
		return plainLines("Thanks.\n\nFrom: " + from + "\nSent: Wed\nTo: Dana\nSubject: Re: something\n\nHej Dana,\n\nTack.\n")
	}
	for _, c := range []struct {
		from string
		ours []string
		want bool
	}{
		{"Meridian <provisioning@meridian.example>", []string{"meridian.example"}, true},
		{"Meridian <provisioning@mail.meridian.example>", []string{"meridian.example"}, true},
		{"Meridian <provisioning@meridian.example>", []string{"fabrikam.example"}, false},
		{"Meridian Account Provisioning", []string{"meridian.example"}, false},
	} {
		m, ok := nextMessage(block(c.from), c.ours)
		if !ok || m.ours != c.want {
			t.Errorf("From %q, ours %v: found %v, ours = %v", c.from, c.ours, ok, m.ours)
		}
	}
}
