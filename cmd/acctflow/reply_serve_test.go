package main

import (
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/lifecycle"
)

// The loop a person drives by hand: serve with the dev sandbox; the
// confirmation goes out; the contact answers over SMTP to the Reply-To;
// the IMAP reader picks the answer up and the request gets its details.
// A reply to a forged token changes nothing; one missing the support type
// is recorded as such.
func TestServeRepliesThroughSandbox(t *testing.T) {
	smtpAddr, imapAddr := freeAddr(t), freeAddr(t)
	inst := startServe(t, t.TempDir(), "--handlers", "routing,projection,confirmation,replies",
		"--dev-smtp", smtpAddr, "--dev-imap", imapAddr, "--imap-poll", "200ms")
	if _, err := run(t, string(fixture(t, "account-requested-us.json")), "request", "create", "--file", "-", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	rec := waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageAwaitingDetails)
	replyTo := rec.Confirmation.ReplyTo
	contact := "dana.whitfield@fabrikam.example"

	send := func(from, to, subject, body string) {
		t.Helper()
		msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%d@fabrikam.example>\r\n\r\n%s",
			from, to, subject, time.Now().UnixNano(), strings.ReplaceAll(body, "\n", "\r\n"))
		if err := smtp.SendMail(smtpAddr, nil, from, []string{to}, []byte(msg)); err != nil {
			t.Fatalf("sending reply: %v", err)
		}
	}
	at := strings.LastIndex(replyTo, "@")
	forged := replyTo[:at-1] + flip(replyTo[at-1]) + replyTo[at:]
	send(contact, forged, "Re: [REQ-1001]", "Root email: evil-root@fabrikam.example\nAccount nickname: Evil\nSupport type: Business\n")
	send(contact, replyTo, "Re: [REQ-1001]", "Root email: harbor-root@fabrikam.example\nAccount nickname: Harborview\nSupport type: Developer\n")

	rec = waitStage(t, inst.natsURL, "REQ-1001", lifecycle.StageDetailsReceived)
	if d := rec.Details; d == nil || d.RootEmail != "harbor-root@fabrikam.example" || d.Nickname != "Harborview" || d.SupportType != "developer" {
		t.Fatalf("details %+v", rec.Details)
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}
