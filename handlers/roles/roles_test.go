package roles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/followup"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/handlers/roles"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/sandbox/devaws"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

const (
	contact = handlertest.Contact
	account = "210987654321"
)

type env struct {
	conn  *broker.Conn
	store *lifecycle.Store
	ext   followup.ExternalIDs
	sb    *devmail.Sandbox
	fake  *devaws.Server
	ops   *ops.Ops
	calls atomic.Int32
}

// setup runs the roles handler (crashing once after its first success, as a
// process killed before the ack would) and creates REQ-R1 with account
// 210987654321 by manual provisioning.
func setup(t *testing.T) *env { return setupWith(t, true) }

// setupWith: withAWS false runs the handler with no AWS access configured.
func setupWith(t *testing.T, withAWS bool) *env {
	t.Helper()
	return setupRouted(t, withAWS, handlertest.Routed(handlertest.Request("REQ-R1")))
}

// emeaBox is the EMEA support mailbox, which EMEA resellers answer.
const emeaBox = "cloud-support-emea@acctflow.localhost"

// setupEMEA is setup for a reseller in country, routed to EMEA.
func setupEMEA(t *testing.T, country string) *env {
	t.Helper()
	req := handlertest.Request("REQ-R1")
	req.Reseller.Country = country
	routed := handlertest.Routed(req)
	routed.Region, routed.OpsTeam, routed.ReplyChannel, routed.SupportMailbox = "emea", "emea", events.ReplySupportMailbox, emeaBox
	return setupRouted(t, true, routed)
}

func setupRouted(t *testing.T, withAWS bool, routed events.AccountRouted) *env {
	t.Helper()
	ctx := context.Background()
	srv := brokertest.Server(t)
	e := &env{conn: brokertest.Connect(t, srv)}
	e.store, e.ext = handlertest.Store(t, e.conn), followup.ExternalIDs{KV: brokertest.KV(t, e.conn, broker.BucketAccounts)}
	e.sb = mailtest.Sandbox(t, devmail.Config{})
	sender := mailtest.Sender(t, e.sb.SMTPAddr(), "provisioning@acctflow.localhost")
	e.fake = devaws.NewServer()
	t.Cleanup(e.fake.Close)
	var sts roles.Validator
	if withAWS {
		sts = aws.NewSTS(e.fake.Config())
	}
	h := &roles.Handler{JS: e.conn.JS, Requests: e.store, STS: sts, ExternalIDs: e.ext,
		Outbox: handlertest.Outbox(t, e.conn, sender), Domain: "acctflow.localhost",
		ReplyKey: []byte("test-reply-key-0123456789"), Inbox: "acct-replies@acctflow.localhost",
		DistributorAccountID: devaws.ManagementAccount, Logger: brokertest.Logger(t), Now: time.Now}
	brokertest.Run(t, e.conn, brokertest.CrashOnce(h.Broker(), &e.calls), handlertest.Projection(t, e.store))
	e.ops = &ops.Ops{JS: e.conn.JS, Requests: e.store, Source: "test", Now: time.Now}

	for i, ev := range []events.Event{
		routed,
		handlertest.Confirmed("REQ-R1"),
		handlertest.Details("REQ-R1", "root@acme.example", "Acme", "developer"),
		events.AccountApproved{RequestID: "REQ-R1", ApprovedAt: events.Time(time.Now())},
	} {
		brokertest.Publish(t, e.conn, ev, fmt.Sprintf("seed-%d", i))
	}
	brokertest.CheckFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		_, err := e.ops.RecordAccount(ctx, "REQ-R1", account)
		return err
	})
	e.wait(t, func(r lifecycle.Record) bool { return r.Stage == lifecycle.StageCreated })
	return e
}

func (e *env) wait(t *testing.T, ok func(lifecycle.Record) bool) lifecycle.Record {
	t.Helper()
	return handlertest.WaitRecord(t, e.store, "REQ-R1", ok)
}

// submit publishes a Role ARN as the reseller's reply does (ops.SubmitRole
// refuses what the precheck would reject before publishing).
func (e *env) submit(t *testing.T, arn string) {
	t.Helper()
	brokertest.Publish(t, e.conn, events.RoleSubmitted{RequestID: "REQ-R1", RoleARN: arn, SubmittedBy: "reseller",
		SubmittedAt: events.Time(time.Now())}, "role-"+arn)
}

func (e *env) rejection(t *testing.T) events.RoleRejected {
	t.Helper()
	var n int
	brokertest.CheckFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if n = brokertest.Count(t, e.conn, events.SubjectRoleRejected); n == 0 || e.calls.Load() < 2 {
			return fmt.Errorf("%d rejections, %d deliveries", n, e.calls.Load())
		}
		return nil
	})
	if n != 1 {
		t.Fatalf("%d rejections", n)
	}
	var r events.RoleRejected
	_ = json.Unmarshal(brokertest.Messages(t, e.conn, events.SubjectRoleRejected)[0].Data(), &r)
	return r
}

func TestValidRoleIsValidatedWithTheExternalID(t *testing.T) {
	e := setup(t)
	ext, err := e.ext.For(context.Background(), "REQ-R1")
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::" + account + ":role/AcctflowReadOnly"
	e.fake.AddRole(arn, ext)
	e.submit(t, arn)
	rec := e.wait(t, func(r lifecycle.Record) bool { return r.Stage == lifecycle.StageRoleValidated })
	if rec.Role.ARN != arn || rec.Role.Status != "validated" {
		t.Fatalf("role %+v", rec.Role)
	}
	reqs := e.fake.AssumeRoleRequests()
	if len(reqs) != 1 || reqs[0].ExternalID != ext {
		t.Fatalf("AssumeRole calls %+v", reqs)
	}
	if n := brokertest.Count(t, e.conn, events.SubjectRoleValidated); n != 1 {
		t.Fatalf("%d validations", n)
	}
}

func TestAccessDeniedRejectedWithEmail(t *testing.T) {
	e := setup(t)
	arn := "arn:aws:iam::" + account + ":role/AcctflowReadOnly"
	e.fake.AddRole(arn, "some-other-external-id")
	e.submit(t, arn)
	r := e.rejection(t)
	ext, _ := e.ext.For(context.Background(), "REQ-R1")
	if r.Reason != roles.ReasonAccessDenied || !strings.Contains(r.Explanation, "trust policy") || !strings.Contains(r.Explanation, ext) {
		t.Fatalf("rejection %+v", r)
	}
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(e.sb.Messages(contact)); n != 1 {
			return fmt.Errorf("%d mails", n)
		}
		return nil
	})
	// The reseller answers with the corrected ARN: the email's Reply-To is
	// their region's mailbox with the request's token.
	raw := string(e.sb.Messages(contact)[0])
	want, _ := mailer.ReplyAddress([]byte("test-reply-key-0123456789"), "REQ-R1", "acct-replies@acctflow.localhost")
	if !strings.Contains(raw, "Reply-To: <"+want+">") {
		t.Fatalf("no tokenised Reply-To in:\n%.800s", raw)
	}
	rec := e.wait(t, func(r lifecycle.Record) bool { return r.Role != nil && r.Role.Status == "rejected" })
	if rec.Stage != lifecycle.StageCreated {
		t.Fatalf("stage %s", rec.Stage)
	}
}

// A Dutch reseller routed to EMEA gets the role-rejected email in Dutch,
// with the EMEA mailbox's tokenised Reply-To.
func TestRoleRejectedEmailOfAnEMEAReseller(t *testing.T) {
	e := setupEMEA(t, "NL")
	arn := "arn:aws:iam::" + account + ":role/AcctflowReadOnly"
	e.fake.AddRole(arn, "some-other-external-id")
	e.submit(t, arn)
	e.rejection(t)
	brokertest.CheckFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(e.sb.Messages(contact)); n != 1 {
			return fmt.Errorf("%d mails", n)
		}
		return nil
	})
	raw := e.sb.Messages(contact)[0]
	h, bodies := mailtest.Parts(t, raw)
	want, _ := mailer.ReplyAddress([]byte("test-reply-key-0123456789"), "REQ-R1", emeaBox)
	if replyTo, _ := h.AddressList("Reply-To"); len(replyTo) != 1 || replyTo[0].Address != want {
		t.Errorf("Reply-To %v, want %s", replyTo, want)
	}
	subject, _ := h.Subject()
	text := strings.Join(strings.Fields(bodies["text/plain"]), " ")
	if !strings.HasPrefix(subject, "Actie vereist: IAM-rol") || !strings.HasSuffix(subject, "[REQ-R1]") ||
		!strings.Contains(text, "We konden de IAM-rol "+arn) {
		t.Errorf("role rejection %q:\n%s", subject, bodies["text/plain"])
	}
}

func TestRoleOfAnotherAccountRejectedWithoutAWSCall(t *testing.T) {
	e := setup(t)
	e.submit(t, "arn:aws:iam::999988887777:role/AcctflowReadOnly")
	r := e.rejection(t)
	if r.Reason != roles.ReasonAccountMismatch || !strings.Contains(r.Explanation, account) {
		t.Fatalf("rejection %+v", r)
	}
	if n := e.fake.Calls("AssumeRole"); n != 0 {
		t.Fatalf("%d AssumeRole calls", n)
	}
}

func TestMalformedARNRejectedWithoutAWSCall(t *testing.T) {
	e := setup(t)
	e.submit(t, "arn:aws:iam::"+account+":user/bob")
	r := e.rejection(t)
	if r.Reason != roles.ReasonInvalidFormat || e.fake.Calls("AssumeRole") != 0 {
		t.Fatalf("rejection %+v, %d AssumeRole calls", r, e.fake.Calls("AssumeRole"))
	}
}

func TestPrecheck(t *testing.T) {
	created := lifecycle.Record{Account: &events.AccountCreated{AccountID: account}}
	for _, c := range []struct {
		arn    string
		rec    lifecycle.Record
		reason string
	}{
		{"arn:aws:iam::" + account + ":role/path/Name+=,.@-_", created, ""},
		{"arn:aws:iam::" + account + ":role/", created, roles.ReasonInvalidFormat},
		{"arn:aws:iam::12345:role/x", created, roles.ReasonInvalidFormat},
		{"arn:aws:iam::" + account + ":role/" + strings.Repeat("x", 65), created, roles.ReasonInvalidFormat},
		{"arn:aws:iam::" + account + ":role/x", lifecycle.Record{}, roles.ReasonNoAccount},
		{"arn:aws:iam::111111111111:role/x", created, roles.ReasonAccountMismatch},
	} {
		if _, reason, why := roles.Precheck(c.arn, c.rec); reason != c.reason || (reason != "" && why == "") {
			t.Errorf("%s: %q (%s), want %q", c.arn, reason, why, c.reason)
		}
	}
}

// With no AWS access configured, a well-formed role of the right account is
// unverified at once (ops check it by hand), not retried for minutes; a
// later validation still moves the request on.
func TestRoleUnverifiedWithoutAWSAccess(t *testing.T) {
	e := setupWith(t, false)
	arn := "arn:aws:iam::" + account + ":role/AcctflowReadOnly"
	e.submit(t, arn)
	rec := e.wait(t, func(r lifecycle.Record) bool { return r.Stage == lifecycle.StageRoleUnverified })
	if rec.Role == nil || rec.Role.Status != "unverified" || rec.Role.ARN != arn {
		t.Fatalf("role %+v", rec.Role)
	}
	if n := len(e.fake.AssumeRoleRequests()); n != 0 {
		t.Fatalf("%d AWS calls without AWS access", n)
	}
	brokertest.Publish(t, e.conn, events.RoleValidated{RequestID: "REQ-R1", RoleARN: arn, AccountID: account, ValidatedAt: events.Time(time.Now())}, "by-hand")
	e.wait(t, func(r lifecycle.Record) bool { return r.Stage == lifecycle.StageRoleValidated })
}
