package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// The request page lists the emails the sandbox holds about the request
// and shows each one's text; only the request's own, to its own contact.
func TestEmailTextFromTheSandbox(t *testing.T) {
	sb := mailtest.Sandbox(t, devmail.Config{})
	e := newEnv(t, func(_ *env, c *console.Config) { c.Mail = console.SandboxMail{Box: sb} })
	e.request("REQ-MAIL", "US", "")
	conf := handlertest.Confirmed("REQ-MAIL")
	raw := "From: Account Provisioning <provisioning@acctflow.localhost>\r\nTo: " + handlertest.Contact +
		"\r\nSubject: =?utf-8?q?Customer_Account_Provision_Request_Received=E2=80=94Amazon?= [REQ-MAIL]\r\nMessage-ID: <" + conf.MessageID +
		">\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nRoot email:=20\r\nAccount nickname:\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n"
	if err := sb.Deliver(context.Background(), "provisioning@acctflow.localhost", []string{handlertest.Contact}, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	other := strings.ReplaceAll(raw, "REQ-MAIL", "REQ-OTHER")
	other = strings.ReplaceAll(other, conf.MessageID, "REQ-OTHER.abc.confirmation@acctflow.localhost")
	if err := sb.Deliver(context.Background(), "provisioning@acctflow.localhost", []string{handlertest.Contact}, []byte(other)); err != nil {
		t.Fatal(err)
	}
	brokertest.Publish(t, e.conn, conf, "confirmed-REQ-MAIL")
	handlertest.WaitStage(t, e.store, "REQ-MAIL", lifecycle.StageAwaitingDetails)
	c := e.client()
	p := c.get("/ui/requests/REQ-MAIL")
	link := "/ui/requests/REQ-MAIL/mail?to=" + url.QueryEscape(handlertest.Contact) + "&mid=" + url.QueryEscape(conf.MessageID)
	if !strings.Contains(p.body, strings.ReplaceAll(link, "&", "&amp;")) || !strings.Contains(p.body, "Received—Amazon") {
		t.Fatalf("no link to the email's text:\n%.3000s", p.body)
	}
	if strings.Contains(p.body, "REQ-OTHER") {
		t.Error("another request's email listed")
	}
	m := c.get(link)
	if m.status != http.StatusOK || !strings.Contains(m.body, "Root email: \nAccount nickname:") {
		t.Fatalf("email page %d:\n%.2000s", m.status, m.body)
	}
	for name, bad := range map[string]string{
		"another recipient": "/ui/requests/REQ-MAIL/mail?to=someone%40else.example&mid=" + url.QueryEscape(conf.MessageID),
		"another request's": "/ui/requests/REQ-MAIL/mail?to=" + url.QueryEscape(handlertest.Contact) + "&mid=REQ-OTHER.abc.confirmation%40acctflow.localhost",
	} {
		if r := c.get(bad); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", name, r.status)
		}
	}
}

// A reply's text comes from mail-raw, with what acctflow read from it.
func TestReplyTextFromMailRaw(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(e *env, c *console.Config) {
		raw, err := e.conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
		if err != nil {
			t.Fatal(err)
		}
		c.Replies = console.RawReplies{JS: e.conn.JS, Objects: raw}
	})
	store, err := e.conn.JS.ObjectStore(ctx, broker.ObjectMailRaw)
	if err != nil {
		t.Fatal(err)
	}
	e.request("REQ-REPLY", "US", "")
	e.confirm("REQ-REPLY")
	raw := "From: Jane Doe <" + handlertest.Contact + ">\r\nTo: acct-replies@acctflow.localhost\r\nSubject: Re: [REQ-REPLY]\r\nMessage-ID: <reply-1@northwind.example>\r\n\r\n" +
		"Root email: aws-root-acme@northwind.example\r\nAccount nickname: Acme Prod\r\nSupport type: Business Support\r\n"
	if _, err := store.PutBytes(ctx, "sha256-feed", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	brokertest.Publish(t, e.conn, events.ReplyReceived{ReplyID: "0123456789abcdef", Mailbox: "INBOX", Object: "sha256-feed", Size: int64(len(raw)),
		MessageID: "reply-1@northwind.example", ReceivedAt: events.Time(time.Now())}, "received-1")
	d := handlertest.Details("REQ-REPLY", "aws-root-acme@northwind.example", "Acme Prod", events.SupportBusiness)
	d.SourceMessageID = "reply-1@northwind.example"
	brokertest.Publish(t, e.conn, d, "details-REQ-REPLY")
	handlertest.WaitStage(t, e.store, "REQ-REPLY", lifecycle.StageDetailsReceived)
	c := e.client()
	p := c.get("/ui/requests/REQ-REPLY")
	if !strings.Contains(p.body, `href="/ui/requests/REQ-REPLY/reply/reply-1@northwind.example"`) {
		t.Fatalf("no link to the reply:\n%.4000s", p.body)
	}
	r := c.get("/ui/requests/REQ-REPLY/reply/reply-1@northwind.example")
	if r.status != http.StatusOK || !strings.Contains(r.body, "Account nickname: Acme Prod") || !strings.Contains(r.body, "What acctflow read from it") ||
		!strings.Contains(r.body, "<dd>business</dd>") {
		t.Fatalf("reply page %d:\n%.3000s", r.status, r.body)
	}
	if r := c.get("/ui/requests/REQ-REPLY/reply/someone-elses@x.example"); r.status != http.StatusNotFound {
		t.Fatalf("a reply the request never mentions: %d", r.status)
	}
}
