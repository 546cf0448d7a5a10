package devmail

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/wneessen/go-mail"
)

// acctflow's own path: go-mail over plain SMTP with AUTH PLAIN, To, Cc and
// Bcc, then every recipient reads its copy over IMAP.
func TestGoMailToIMAPEveryRecipient(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		host, port, _ := net.SplitHostPort(sb.SMTPAddr())
		p, _ := strconv.Atoi(port)

		m := mail.NewMsg()
		if err := m.From("acctflow@acctflow.localhost"); err != nil {
			t.Fatal(err)
		}
		m.To("jane@northwind.example")
		m.Cc("Ops.US@Distributor.Example")
		m.Bcc("audit@distributor.example")
		m.Subject("Customer Account Provision Request Received—Amazon Web Services (Acme Corp) [REQ-1001]")
		m.SetBodyString(mail.TypeTextPlain, "Root email:\r\nAccount nickname:\r\nSupport type:\r\n")
		c, err := mail.NewClient(host, mail.WithPort(p), mail.WithTLSPolicy(mail.NoTLS),
			mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername("acctflow"), mail.WithPassword("anything"))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.DialAndSendWithContext(t.Context(), m); err != nil {
			t.Fatalf("sending with go-mail: %v", err)
		}

		for _, rcpt := range []string{"jane@northwind.example", "ops.us@distributor.example", "audit@distributor.example"} {
			ic, sel := loginSelect(t, sb, rcpt)
			if sel.NumMessages != 1 {
				t.Fatalf("%s: SELECT says %d messages, want 1", rcpt, sel.NumMessages)
			}
			msgs := fetchAll(t, ic)
			raw := body(msgs[0])
			if msgs[0].UID != 1 || !bytes.Contains(raw, []byte("[REQ-1001]")) && !bytes.Contains(raw, []byte("REQ-1001")) {
				t.Errorf("%s: got UID %d, message:\n%s", rcpt, msgs[0].UID, raw)
			}
			if !bytes.HasPrefix(raw, []byte("Return-Path: <acctflow@acctflow.localhost>\r\nDelivered-To: "+rcpt+"\r\n")) {
				t.Errorf("%s: trace headers missing:\n%.200s", rcpt, raw)
			}
			if bytes.Contains(raw, []byte("\r\nBcc:")) {
				t.Errorf("%s: Bcc header leaked into the message", rcpt)
			}
		}
	})
}

// A reseller replying to the plus address lands in the workflow INBOX,
// whatever the case of the address.
func TestPlusAddressAndCaseFolding(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		c := dialSMTP(t, sb)
		msg := testMessage("Re: REQ-1")
		if err := sendRaw(c, "Jane@Northwind.Example", []string{"Acct-Replies+REQ-1.abc@AcctFlow.Localhost"}, msg); err != nil {
			t.Fatalf("sending: %v", err)
		}
		got := sb.Messages("acct-replies@acctflow.localhost")
		if len(got) != 1 {
			t.Fatalf("workflow INBOX has %d messages, want 1", len(got))
		}
		if !bytes.Contains(got[0], []byte("Delivered-To: acct-replies+req-1.abc@acctflow.localhost\r\n")) ||
			!bytes.HasSuffix(got[0], msg) {
			t.Errorf("stored message:\n%s", got[0])
		}
		if n := len(sb.Messages("ACCT-REPLIES+other@acctflow.localhost")); n != 1 {
			t.Errorf("Messages with another tag and case sees %d messages, want 1", n)
		}
		ic, sel := loginSelect(t, sb, "ACCT-REPLIES@acctflow.localhost")
		if sel.NumMessages != 1 {
			t.Fatalf("IMAP INBOX has %d messages, want 1", sel.NumMessages)
		}
		if !bytes.HasSuffix(body(fetchAll(t, ic)[0]), msg) {
			t.Error("IMAP body differs from the message sent")
		}
	})
}

// One transaction to two tags of one mailbox yields two copies, each with
// its Delivered-To, like Postfix; the same address twice yields one.
func TestRecipientsDeduplicatedByAddress(t *testing.T) {
	eachStore(t, Config{}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		c := dialSMTP(t, sb)
		to := []string{"inbox+a@d.example", "INBOX+A@d.example", "inbox+b@d.example", "other@d.example"}
		if err := sendRaw(c, "", to, testMessage("dup")); err != nil {
			t.Fatal(err)
		}
		got := sb.Messages("inbox@d.example")
		if len(got) != 2 {
			t.Fatalf("inbox has %d copies, want 2", len(got))
		}
		if !bytes.HasPrefix(got[0], []byte("Return-Path: <>\r\nDelivered-To: inbox+a@d.example")) ||
			!bytes.Contains(got[1], []byte("Delivered-To: inbox+b@d.example")) {
			t.Errorf("trace headers: %.80q / %.80q", got[0], got[1])
		}
		if len(sb.Messages("other@d.example")) != 1 {
			t.Error("second mailbox did not get its copy")
		}
	})
}

func TestMessageTooLargeKeepsSession(t *testing.T) {
	eachStore(t, Config{MaxMessageBytes: 1024}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		c := dialSMTP(t, sb)
		big := append(testMessage("big"), bytes.Repeat([]byte("0123456789abcdef\r\n"), 100)...)
		err := sendRaw(c, "x@y.example", []string{"a@b.example"}, big)
		if smtpCode(err) != 552 {
			t.Fatalf("oversized message: got %v, want 552", err)
		}
		if err := sendRaw(c, "x@y.example", []string{"a@b.example"}, testMessage("small")); err != nil {
			t.Fatalf("same session after 552: %v", err)
		}
		if got := sb.Messages("a@b.example"); len(got) != 1 || !bytes.Contains(got[0], []byte("Subject: small")) {
			t.Fatalf("want only the small message, got %d", len(got))
		}
	})
}

// A full INBOX fails only its own recipient at RCPT time (452, temporary);
// the others in the transaction still get the message.
func TestFullMailboxRefusesOnlyItsRecipient(t *testing.T) {
	eachStore(t, Config{MaxMailboxMessages: 2}, func(t *testing.T, cfg Config) {
		sb := startSandbox(t, cfg)
		c := dialSMTP(t, sb)
		for i := range 2 {
			if err := sendRaw(c, "x@y.example", []string{"full@b.example"}, testMessage("fill "+strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Mail("x@y.example", nil); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt("full+tag@b.example", nil); smtpCode(err) != 452 || !strings.Contains(err.Error(), "full") {
			t.Fatalf("RCPT to a full mailbox: got %v, want 452 mailbox full", err)
		}
		if err := c.Rcpt("free@b.example", nil); err != nil {
			t.Fatalf("RCPT to a free mailbox: %v", err)
		}
		w, err := c.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write(testMessage("third"))
		if err := w.Close(); err != nil {
			t.Fatalf("DATA: %v", err)
		}
		if len(sb.Messages("full@b.example")) != 2 || len(sb.Messages("free@b.example")) != 1 {
			t.Errorf("full has %d (want 2), free has %d (want 1)",
				len(sb.Messages("full@b.example")), len(sb.Messages("free@b.example")))
		}
	})
}

func TestPasswordRequiredWhenSet(t *testing.T) {
	sb := startSandbox(t, Config{Password: "s3cret"})

	ic := dialIMAP(t, sb, nil)
	if err := ic.Login("jane@northwind.example", "wrong").Wait(); err == nil {
		t.Error("IMAP LOGIN with a wrong password succeeded")
	}
	if err := ic.Login("jane@northwind.example", "s3cret").Wait(); err != nil {
		t.Errorf("IMAP LOGIN with the password: %v", err)
	}

	c := dialSMTP(t, sb)
	if err := c.Auth(sasl.NewPlainClient("", "acctflow", "wrong")); smtpCode(err) != 535 {
		t.Errorf("SMTP AUTH with a wrong password: got %v, want 535", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "acctflow", "s3cret")); err != nil {
		t.Errorf("SMTP AUTH with the password: %v", err)
	}
	// Replies from resellers come without AUTH and must still land.
	anon := dialSMTP(t, sb)
	if err := sendRaw(anon, "jane@northwind.example", []string{"acct-replies@acctflow.localhost"}, testMessage("hi")); err != nil {
		t.Errorf("unauthenticated submission: %v", err)
	}
}

func TestNonAddressLoginRefused(t *testing.T) {
	sb := startSandbox(t, Config{})
	ic := dialIMAP(t, sb, nil)
	if err := ic.Login("jane", "x").Wait(); err == nil || !strings.Contains(err.Error(), "email address") {
		t.Errorf("LOGIN jane: got %v, want a refusal asking for an email address", err)
	}
}

func TestBadAddressesRefused(t *testing.T) {
	sb := startSandbox(t, Config{})
	c := dialSMTP(t, sb)
	if err := c.Mail("x@y.example", nil); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"nobody", "@d.example", "a@", strings.Repeat("a", 250) + "@d.example"} {
		if err := c.Rcpt(rcpt, nil); smtpCode(err)/100 != 5 {
			t.Errorf("RCPT TO:<%s>: got %v, want a 5xx refusal", rcpt, err)
		}
	}
}
