package mailer

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var fixtureKey = []byte("acctflow-fixtures")

const (
	testFrom    = "Account Provisioning <provisioning@mail.meridian-distribution.example>"
	testInbox   = "acct-replies@meridian-distribution.example"
	testIDHost  = "mail.meridian-distribution.example"
	testCompany = "Meridian Cloud Distribution"
)

func newTestSender(t testing.TB, ts *testServer, mod func(*Config)) *Sender {
	t.Helper()
	cfg := Config{Host: ts.Host, Port: ts.Port, TLSPolicy: TLSNone, From: testFrom, Timeout: 10 * time.Second, HELO: "test.example"}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

// confirmationMessage renders the confirmation for the REQ-1001 fixture.
func confirmationMessage(t testing.TB, d ConfirmationData, mailbox string) Message {
	t.Helper()
	subject, text, html, err := Render(d)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	replyTo, err := ReplyAddress(fixtureKey, d.RequestID, mailbox)
	if err != nil {
		t.Fatalf("ReplyAddress: %v", err)
	}
	return Message{
		MessageID: MessageID(nil, d.RequestID, KindConfirmation, testIDHost),
		To:        Address{Name: d.ContactName, Email: "dana.whitfield@fabrikam.example"},
		ReplyTo:   replyTo, Subject: subject, Text: text, HTML: html,
	}
}

func harborview() ConfirmationData {
	return ConfirmationData{
		RequestID: "REQ-1001", ContactName: "Dana Whitfield", CustomerName: "Harborview Dental Group",
		ReplyChannel: ChannelWorkflowReply, Sig: Signature{Company: testCompany},
	}
}

func sendOne(t *testing.T, ts *testServer, m Message) parsed {
	t.Helper()
	if err := newTestSender(t, ts, nil).Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	msgs := ts.messages()
	if len(msgs) != 1 {
		t.Fatalf("server received %d messages, want 1", len(msgs))
	}
	return parseMIME(t, msgs[0].Data)
}

var separatorLine = regexp.MustCompile(`^\s*([-_=*~]\s*){2,}$`)

// assertNoSeparators fails on any line a mail client or parser would take
// for a signature or quote separator.
func assertNoSeparators(t *testing.T, text string) {
	t.Helper()
	for i, l := range textLines(text) {
		if separatorLine.MatchString(l) || l == "-- " || l == "--" {
			t.Errorf("line %d is a separator: %q", i+1, l)
		}
	}
}

func TestSendConfirmation(t *testing.T) {
	ts := startServer(t, serverOpts{})
	m := confirmationMessage(t, harborview(), testInbox)
	p := sendOne(t, ts, m)

	env := ts.messages()[0]
	if env.From != "provisioning@mail.meridian-distribution.example" || !slices.Equal(env.To, []string{"dana.whitfield@fabrikam.example"}) {
		t.Errorf("envelope = %s -> %v", env.From, env.To)
	}
	if got, want := p.subject(t), "Customer Account Provision Request Received\u2014Amazon Web Services (Harborview Dental Group) [REQ-1001]"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	id, err := p.Header.MessageID()
	if err != nil || id != MessageID(nil, "REQ-1001", KindConfirmation, testIDHost) {
		t.Errorf("Message-ID = %q, %v", id, err)
	}
	if got := p.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
	if got := p.Header.Get("X-Auto-Response-Suppress"); got != "All" {
		t.Errorf("X-Auto-Response-Suppress = %q", got)
	}
	if got := p.addresses(t, "Reply-To"); !slices.Equal(got, []string{"acct-replies+REQ-1001.0347d5a24539@meridian-distribution.example"}) {
		t.Errorf("Reply-To = %v", got)
	}
	if got := p.addresses(t, "To"); !slices.Equal(got, []string{"dana.whitfield@fabrikam.example"}) {
		t.Errorf("To = %v", got)
	}
	if p.ContentType != "multipart/alternative" || p.Text == "" || p.HTML == "" {
		t.Fatalf("content type %q, text %d bytes, html %d bytes", p.ContentType, len(p.Text), len(p.HTML))
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if p.Header.Get("User-Agent") != "" || p.Header.Get("X-Mailer") != "" {
		t.Errorf("library advertised itself: %q %q", p.Header.Get("User-Agent"), p.Header.Get("X-Mailer"))
	}

	lines := textLines(p.Text)
	if !slices.Contains(lines, "Hello Dana Whitfield,") {
		t.Errorf("no greeting in\n%s", p.Text)
	}
	// The three fill-in lines, then only the short sign-off.
	i := slices.Index(lines, LabelRootEmail)
	if i < 0 || !slices.Equal(lines[i:i+3], []string{LabelRootEmail, LabelNickname, LabelSupportType}) {
		t.Fatalf("fill-in lines missing or split in\n%s", p.Text)
	}
	if tail := lines[i+3:]; !slices.Equal(tail, []string{"", "Kind regards,", "Account Provisioning", testCompany}) {
		t.Errorf("after the fill-in lines: %q", tail)
	}
	flat := strings.Join(strings.Fields(p.Text), " ")
	for _, want := range []string{
		"provision a new Amazon Web Services account for Harborview Dental Group",
		"1. A new root email address. It must be unique, must never have been used with Amazon or AWS before, and must be a live mailbox that receives password-reset mail.",
		"2. The AWS account nickname, in any language you like.",
		"3. The support type you want: Business Support, Developer Support, or Basic/No Support.",
		"Enterprise Support goes through your Amazon Web Services sales representative.",
		"Please reply to this email",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	assertNoSeparators(t, p.Text)
	for _, want := range []string{"<ol>", "Harborview Dental Group", "Enterprise Support goes through", "Root email:<br>"} {
		if !strings.Contains(p.HTML, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(p.HTML, "<hr") {
		t.Error("HTML has a rule, a visual separator")
	}
}

func TestSendConfirmationSupportMailbox(t *testing.T) {
	ts := startServer(t, serverOpts{})
	d := harborview()
	d.ReplyChannel, d.SupportMailbox = ChannelSupportMailbox, "emea-support@meridian-distribution.example"
	p := sendOne(t, ts, confirmationMessage(t, d, d.SupportMailbox))

	want := "emea-support+REQ-1001.0347d5a24539@meridian-distribution.example"
	if got := p.addresses(t, "Reply-To"); !slices.Equal(got, []string{want}) {
		t.Errorf("Reply-To = %v, want %s", got, want)
	}
	flat := strings.Join(strings.Fields(p.Text), " ")
	if !strings.Contains(flat, "Please reply to this email and complete the lines below. Your reply goes to our regional support team at emea-support@meridian-distribution.example.") {
		t.Errorf("text does not name the support mailbox:\n%s", p.Text)
	}
	if !strings.Contains(p.HTML, `href="mailto:emea-support@meridian-distribution.example"`) {
		t.Errorf("HTML lacks the mailbox link")
	}
	lines := textLines(p.Text)
	if i := slices.Index(lines, LabelRootEmail); i < 0 || lines[i+2] != LabelSupportType {
		t.Errorf("fill-in lines missing:\n%s", p.Text)
	}
	assertNoSeparators(t, p.Text)
}

func TestSendClarificationThreads(t *testing.T) {
	ts := startServer(t, serverOpts{})
	d := ClarificationData{
		RequestID: "REQ-1001", ContactName: "Dana Whitfield", CustomerName: "Harborview Dental Group",
		RootEmail: "aws-root-harborview@fabrikam.example", Problems: []string{"support_type_unrecognised"},
		Nickname: "Harborview Dental - Production",
	}
	subject, text, html, err := Render(d)
	if err != nil {
		t.Fatal(err)
	}
	reply := "20261125183107.GA4412@ws-dana.fabrikam.example"
	p := sendOne(t, ts, Message{
		MessageID: MessageID(nil, "REQ-1001", KindClarification+".r1", testIDHost),
		To:        Address{"Dana Whitfield", "dana.whitfield@fabrikam.example"},
		Subject:   subject, Text: text, HTML: html,
		InReplyTo:  "<" + reply + ">",
		References: []string{MessageID(nil, "REQ-1001", KindConfirmation, testIDHost), reply, "bad id with spaces", "x\r\nBcc: evil@x.example"},
	})
	if got, want := p.subject(t), "Re: Customer Account Provision Request Received\u2014Amazon Web Services (Harborview Dental Group) [REQ-1001]"; got != want {
		t.Errorf("subject = %q", got)
	}
	irt, err := p.Header.MsgIDList("In-Reply-To")
	if err != nil || !slices.Equal(irt, []string{reply}) {
		t.Errorf("In-Reply-To = %v, %v", irt, err)
	}
	refs, err := p.Header.MsgIDList("References")
	if err != nil || !slices.Equal(refs, []string{MessageID(nil, "REQ-1001", KindConfirmation, testIDHost), reply}) {
		t.Errorf("References = %v, %v", refs, err)
	}
	if p.Header.Has("Bcc") {
		t.Error("a reference smuggled a Bcc header")
	}
	lines := textLines(p.Text)
	if slices.Contains(lines, LabelRootEmail) || slices.Contains(lines, LabelNickname) || !slices.Contains(lines, LabelSupportType) {
		t.Errorf("clarification must ask only for the support type:\n%s", p.Text)
	}
}
