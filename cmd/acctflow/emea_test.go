package main

import (
	"fmt"
	"io"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/lifecycle"
)

// sandboxMail is one email in the sandbox's store, as its recipient reads it.
type sandboxMail struct {
	subject, replyTo, messageID, text string
}

// mailTo reads the sandbox mailbox of address from the data dir.
func mailTo(t *testing.T, dataDir, address string) []sandboxMail {
	t.Helper()
	var out []sandboxMail
	files, _ := filepath.Glob(filepath.Join(dataDir, "mail", "*", "*", "*.eml"))
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		r, err := gomail.CreateReader(f)
		if err != nil {
			f.Close()
			continue
		}
		to, _ := r.Header.AddressList("To")
		if len(to) == 0 || !strings.EqualFold(to[0].Address, address) {
			f.Close()
			continue
		}
		var m sandboxMail
		m.subject, _ = r.Header.Subject()
		m.messageID, _ = r.Header.MessageID()
		if rt, _ := r.Header.AddressList("Reply-To"); len(rt) > 0 {
			m.replyTo = rt[0].Address
		}
		for {
			p, err := r.NextPart()
			if err != nil {
				break
			}
			if h, ok := p.Header.(*gomail.InlineHeader); ok {
				if ct, _, _ := h.ContentType(); ct == "text/plain" && m.text == "" {
					b, _ := io.ReadAll(p.Body)
					m.text = string(b)
				}
			}
		}
		f.Close()
		out = append(out, m)
	}
	return out
}

// waitMail waits for the email to address whose subject contains want.
func waitMail(t *testing.T, dataDir, address, want string) sandboxMail {
	t.Helper()
	var got sandboxMail
	brokertest.CheckFor(t, 20*time.Second, 50*time.Millisecond, func() error {
		for _, m := range mailTo(t, dataDir, address) {
			if strings.Contains(m.subject, want) || strings.Contains(m.text, want) {
				got = m
				return nil
			}
		}
		return fmt.Errorf("no email to %s with %q yet", address, want)
	})
	return got
}

// A German reseller, as EMEA resellers do, works in German with the EMEA
// support mailbox: the confirmation is German and answered in German to the
// regional mailbox, the account is created in the AWS sandbox, and the Role
// ARN sent by replying to the German follow-up is validated.
func TestGermanEMEAResellerEndToEnd(t *testing.T) {
	isolateAWS(t)
	dataDir := t.TempDir()
	smtpAddr := freeAddr(t)
	inst := startServe(t, dataDir, "--dev-smtp", smtpAddr, "--dev-imap", freeAddr(t), "--imap-poll", "200ms", "--dev-aws-delay", "0s")
	if _, err := run(t, string(fixture(t, "account-requested-de.json")), "request", "create", "--file", "-", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	const id, contact = "REQ-2R6VB3XH8M", "jonas.becker@rheinblick-it.example"
	rec := waitStage(t, inst.natsURL, id, lifecycle.StageAwaitingDetails)
	if rec.Region != "emea" {
		t.Fatalf("region %q", rec.Region)
	}
	conf := waitMail(t, dataDir, contact, "["+id+"]")
	if !strings.Contains(conf.text, "Root email (") || !strings.Contains(conf.text, "Sie") || !strings.HasPrefix(conf.replyTo, "cloud-support-emea+") {
		t.Fatalf("not a German confirmation answered to the EMEA mailbox (Reply-To %s):\n%s", conf.replyTo, conf.text)
	}
	reply := fmt.Sprintf("From: Jonas Becker <%s>\r\nTo: %s\r\nSubject: AW: %s\r\nIn-Reply-To: <%s>\r\n"+
		"Content-Type: text/plain; charset=utf-8\r\n\r\nHallo,\r\n\r\nE-Mail-Adresse des Root-Benutzers: aws-root@sonnenhof.example\r\n"+
		"Kontoname: Bäckerei Sonnenhof – Produktion\r\nSupportart: Entwickler\r\n\r\nViele Grüße\r\nJonas Becker\r\n",
		contact, conf.replyTo, conf.subject, conf.messageID)
	if err := smtp.SendMail(smtpAddr, nil, contact, []string{conf.replyTo}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	rec = waitStage(t, inst.natsURL, id, lifecycle.StageDetailsReceived)
	if rec.Details.Nickname != "Bäckerei Sonnenhof – Produktion" || rec.Details.AWSAccountName != "Backerei Sonnenhof - Produktion" || rec.Details.SupportType != "developer" {
		t.Fatalf("details %+v", rec.Details)
	}
	if _, err := run(t, "", "request", "approve", id, "--by", "ops@example.com", "--nats-url", inst.natsURL); err != nil {
		t.Fatal(err)
	}
	rec = waitStage(t, inst.natsURL, id, lifecycle.StageCreated)
	follow := waitMail(t, dataDir, contact, rec.Account.AccountID)
	if !strings.HasPrefix(follow.replyTo, "cloud-support-emea+") || !strings.Contains(strings.Join(strings.Fields(follow.text), " "), "Backerei Sonnenhof - Produktion") {
		t.Fatalf("follow-up (Reply-To %s):\n%s", follow.replyTo, follow.text)
	}
	answer := fmt.Sprintf("From: Jonas Becker <%s>\r\nTo: %s\r\nSubject: AW: %s\r\nIn-Reply-To: <%s>\r\n\r\n"+
		"Die Rolle ist angelegt:\r\nRole ARN: arn:aws:iam::%s:role/AcctflowAccess\r\n", contact, follow.replyTo, follow.subject, follow.messageID, rec.Account.AccountID)
	if err := smtp.SendMail(smtpAddr, nil, contact, []string{follow.replyTo}, []byte(answer)); err != nil {
		t.Fatal(err)
	}
	waitStage(t, inst.natsURL, id, lifecycle.StageRoleValidated)
}
