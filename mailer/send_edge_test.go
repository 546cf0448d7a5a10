package mailer

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/acctflow/acctflow/retry"
)

func TestSendInvalidMessagesArePermanentAndNeverConnect(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newTestSender(t, ts, nil)
	good := confirmationMessage(t, harborview(), testInbox)
	cases := map[string]func(*Message){
		"recipient not an address": func(m *Message) { m.To.Email = "not an address" },
		"recipient with CRLF":      func(m *Message) { m.To.Email = "dana@x.example\r\nRCPT TO:<evil@x.example>" },
		"recipient with name":      func(m *Message) { m.To.Email = "Dana <dana@x.example>" },
		"two recipients":           func(m *Message) { m.To.Email = "a@x.example,b@x.example" },
		"no message id":            func(m *Message) { m.MessageID = "" },
		"message id with CRLF":     func(m *Message) { m.MessageID = "a@b\r\nBcc: evil@x.example" },
		"reply-to with CRLF":       func(m *Message) { m.ReplyTo = "a@x.example\r\nBcc: evil@x.example" },
		"empty text":               func(m *Message) { m.Text = " \n" },
		"empty subject":            func(m *Message) { m.Subject = "\r\n" },
		"huge body":                func(m *Message) { m.HTML = strings.Repeat("x", maxBodyBytes+1) },
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			m := good
			mod(&m)
			err := s.Send(context.Background(), m)
			if err == nil || !retry.IsPermanent(err) {
				t.Fatalf("err = %v, want permanent", err)
			}
			if strings.Contains(err.Error(), "dana@") {
				t.Errorf("error leaks the local part: %v", err)
			}
		})
	}
	if n := ts.sessionCount(); n != 0 {
		t.Errorf("%d SMTP sessions opened for invalid messages", n)
	}
}

func TestSendConcurrent(t *testing.T) {
	ts := startServer(t, serverOpts{})
	s := newTestSender(t, ts, nil)
	base := confirmationMessage(t, harborview(), testInbox)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			m := base
			m.MessageID = MessageID(nil, fmt.Sprintf("REQ-%d", i), KindConfirmation, testIDHost)
			errs <- s.Send(context.Background(), m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	ids := map[string]bool{}
	for _, m := range ts.messages() {
		p := parseMIME(t, m.Data)
		id, _ := p.Header.MessageID()
		ids[id] = true
	}
	if len(ids) != n {
		t.Errorf("received %d distinct messages, want %d", len(ids), n)
	}
}

func TestSendTextOnly(t *testing.T) {
	ts := startServer(t, serverOpts{})
	subject, text, _, err := Render(AlertData{Subject: "Support plan group missing", Body: "Account 123456789012 has no support plan group.", RequestID: "REQ-1001"})
	if err != nil {
		t.Fatal(err)
	}
	p := sendOne(t, ts, Message{
		MessageID: MessageID(nil, "REQ-1001", KindAlert, testIDHost), To: Address{Email: "ops@meridian-distribution.example"},
		Subject: subject, Text: text,
	})
	if p.ContentType != "text/plain" || p.HTML != "" || !strings.Contains(p.Text, "no support plan group") {
		t.Errorf("content type %q, text %q, html %q", p.ContentType, p.Text, p.HTML)
	}
	if p.Header.Has("Reply-To") {
		t.Error("Reply-To set without being asked for")
	}
	if got := p.Header.Get("Auto-Submitted"); got != "auto-generated" {
		t.Errorf("Auto-Submitted = %q", got)
	}
}
