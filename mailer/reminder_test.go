package mailer

import (
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
)

var (
	askedAt   = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	expiresAt = askedAt.Add(14 * 24 * time.Hour)
)

// reminderKinds is one valid Data of each kind of this file's mails, with
// name in every field someone typed.
func reminderKinds(name string) []Data {
	return []Data{
		ReminderData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Number: 1, AskedAt: askedAt, ExpiresAt: expiresAt,
			RootEmail: name, Problems: []string{name}},
		ExpiryData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AskedAt: askedAt, Reminders: 2},
		DigestData{Region: "emea", OpsTeam: name, Now: askedAt, Items: []DigestItem{
			{RequestID: "REQ-1001", Customer: name, Reseller: name, Waiting: WaitingFailure, Stage: name, Since: askedAt, Failure: name},
			{RequestID: "REQ-1002", Customer: name, Waiting: name},
		}},
		FailureAlertData{RequestID: "REQ-1001", Effect: "email", What: name, Outcome: OutcomeDeadLettered, Handler: name, Input: name, Error: name, DLQSeq: 7},
		RoleAlertData{RequestID: "REQ-1001", RoleARN: name, AccountID: "123456789012", Reason: name},
	}
}

func TestReminderKindsRender(t *testing.T) {
	for _, d := range reminderKinds("Northwind IT") {
		t.Run(d.Kind(), func(t *testing.T) {
			subject, text, html := renderOK(t, d)
			if subject == "" || !strings.HasSuffix(text, "\n") || strings.Contains(text, "\n\n\n") || strings.Contains(text, "<no value>") {
				t.Errorf("subject %q, text:\n%s", subject, text)
			}
			assertNoSeparators(t, text)
			if !strings.HasPrefix(html, "<!DOCTYPE html>") {
				t.Errorf("HTML is not a document:\n%s", html)
			}
			s2, t2, h2 := renderOK(t, d)
			if s2 != subject || t2 != text || h2 != html {
				t.Error("renders differently twice")
			}
		})
	}
}

// Typed-in values never reach a header with a line break, nor the HTML
// unescaped.
func TestReminderKindsEscape(t *testing.T) {
	const evil = "Eve\r\nBcc: victim@example.com <script>alert(1)</script>"
	for _, d := range reminderKinds(evil) {
		subject, _, html, err := Render(d)
		if err != nil {
			t.Fatalf("%s: %v", d.Kind(), err)
		}
		if strings.ContainsAny(subject, "\r\n") {
			t.Errorf("%s subject %q", d.Kind(), subject)
		}
		if strings.Contains(html, "<script>") {
			t.Errorf("%s HTML carries the script:\n%s", d.Kind(), html)
		}
	}
}

func TestReminderAsksOnlyForWhatIsMissing(t *testing.T) {
	base := ReminderData{RequestID: "REQ-1001", ContactName: "Jane Doe", CustomerName: "Acme Corp", Number: 1,
		AskedAt: askedAt, ExpiresAt: expiresAt, Sig: Signature{Company: testCompany}}

	subject, text, _ := renderOK(t, base)
	if subject != "Reminder: "+ConfirmationSubject("Acme Corp", "REQ-1001") {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"On 2 December 2026 we asked", "not received them yet", "We did not find a root email address",
		"We did not find the AWS account nickname", "We did not find the support type", "\nRoot email:\nAccount nickname:\nSupport type:\n",
		"by 16 December 2026, we will close the request", "Please reply to this email"} {
		if !strings.Contains(text, want) && !strings.Contains(flat(text), want) {
			t.Errorf("first reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "last reminder") || strings.Contains(text, "so far") {
		t.Errorf("first reminder of a silent reseller:\n%s", text)
	}

	partial := base
	partial.Number, partial.Last = 2, true
	partial.RootEmail, partial.Nickname = "root@acme.example", "Acme Prod"
	partial.ReplyChannel, partial.SupportMailbox = ChannelSupportMailbox, "cloud-support-emea@acctflow.localhost"
	_, text, _ = renderOK(t, partial)
	for _, want := range []string{"not received all of them yet", "The root email address, as we read it: root@acme.example",
		"The account nickname, as we read it: Acme Prod", "The support type, as we read it: missing", "1. We did not find the support type", "cloud-support-emea@acctflow.localhost", "This is our last reminder."} {
		if !strings.Contains(flat(text), want) {
			t.Errorf("partial reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Root email:\n") || strings.Contains(text, "Account nickname:\n") || !strings.Contains(text, "\nSupport type:\n") {
		t.Errorf("partial reminder asks for what was given:\n%s", text)
	}

	refused := base
	refused.RootEmail, refused.Nickname, refused.SupportType = "", "Acme Prod", "business"
	refused.Problems = []string{"root_email_in_use", "unreadable"}
	_, text, _ = renderOK(t, refused)
	if !strings.Contains(text, "already used by another") || strings.Contains(text, "could not be read") ||
		!strings.Contains(text, "\nRoot email:\n") || strings.Contains(text, "Support type:\n") {
		t.Errorf("reminder after a refused root email:\n%s", text)
	}
}

func TestExpiryAndAlerts(t *testing.T) {
	subject, text, _ := renderOK(t, ExpiryData{RequestID: "REQ-1001", ContactName: "Jane Doe", CustomerName: "Acme Corp", AskedAt: askedAt, Reminders: 2})
	if subject != "Request closed: Amazon Web Services (Acme Corp) [REQ-1001]" || !strings.Contains(flat(text), "reminded you 2 times") ||
		!strings.Contains(flat(text), "We have closed request REQ-1001") {
		t.Errorf("%s\n%s", subject, text)
	}
	_, text, _ = renderOK(t, ExpiryData{RequestID: "REQ-1001", CustomerName: "Acme Corp", AskedAt: askedAt})
	if strings.Contains(text, "reminded") || !strings.HasPrefix(text, "Hello,") {
		t.Errorf("expiry without reminders:\n%s", text)
	}

	dead := FailureAlertData{RequestID: "REQ-1001", Effect: "email", What: "confirmation", Outcome: OutcomeDeadLettered, Handler: "confirmation",
		Input: "acct.routed.us", Error: "550 5.1.1 <jane@northwind.example>: no such user", DLQSeq: 42, FailedAt: askedAt}
	subject, text, _ = renderOK(t, dead)
	for _, want := range []string{"550 5.1.1", "acctflow dlq replay 42", "Handler: confirmation, handling acct.routed.us", "acctflow request show REQ-1001"} {
		if !strings.Contains(text, want) {
			t.Errorf("dead-letter alert lacks %q:\n%s", want, text)
		}
	}
	if subject != "[acctflow] confirmation email failed [REQ-1001]" {
		t.Errorf("subject %q", subject)
	}
	noSeq := dead
	noSeq.DLQSeq = 0
	if _, text, _ = renderOK(t, noSeq); !strings.Contains(text, "acctflow dlq list --subject acct.routed.us") {
		t.Errorf("alert without a sequence:\n%s", text)
	}
	blocked := FailureAlertData{ChangeID: "CHG-7", Effect: "ticket", Outcome: OutcomeBlocked, Handler: "tickets", Input: "acct.support.changed", Error: "401 Unauthorized"}
	subject, text, _ = renderOK(t, blocked)
	if subject != "[acctflow] support ticket blocked [CHG-7]" || strings.Contains(text, "dlq replay") || strings.Contains(text, "request show") ||
		!strings.Contains(text, "resumes by itself") {
		t.Errorf("blocked alert %q:\n%s", subject, text)
	}

	_, text, _ = renderOK(t, RoleAlertData{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/Acctflow", AccountID: "123456789012",
		DistributorAccountID: "111122223333", Reason: "no AWS access is configured"})
	for _, want := range []string{"no AWS access is configured", "acctflow role submit REQ-1001 --role-arn arn:aws:iam::123456789012:role/Acctflow",
		"account 123456789012", "the distributor account 111122223333"} {
		if !strings.Contains(text, want) {
			t.Errorf("role alert lacks %q:\n%s", want, text)
		}
	}
}

func TestDigestGroupsByWhom(t *testing.T) {
	now := askedAt.Add(3*24*time.Hour + time.Hour)
	d := DigestData{Region: "us", OpsTeam: "Cloud Support Ops — United States", Now: now, Items: []DigestItem{
		{RequestID: "REQ-D", Customer: "Dunder", Waiting: WaitingDetails, Stage: "awaiting_details", Since: askedAt, Reminders: 1},
		{RequestID: "REQ-A", Customer: "Acme", Reseller: "Northwind IT", Waiting: WaitingApproval, Stage: "details_received", Since: now.Add(-5 * time.Hour)},
		{RequestID: "REQ-F", Customer: "Fabrikam", Waiting: WaitingFailure, Stage: "routed", Since: now.Add(-time.Minute), Failure: "550 no such user"},
		{RequestID: "REQ-G", Customer: "Globex", Waiting: WaitingGroup, Stage: "role_validated"},
		{RequestID: "REQ-E", Customer: "Eagle", Waiting: WaitingDetails, Stage: "routed"},
	}}
	subject, text, _ := renderOK(t, d)
	if subject != "[acctflow] Daily digest, us: 5 requests waiting (5 December 2026)" {
		t.Errorf("subject %q", subject)
	}
	order := []string{"An effect failed (1), waiting on ops", "REQ-F: Fabrikam", "failed: 550 no such user",
		"Details received, waiting for approval (1), waiting on ops", "REQ-A: Acme (Northwind IT)", "(5 hours)",
		"Waiting for the reseller's details (2), waiting on the reseller", "REQ-D: Dunder", "since 2 December 2026 09:30 (3 days)", "1 reminder sent",
		"REQ-E: Eagle", "no reminder sent yet",
		"Waiting for the support plan group (1)", "REQ-G: Globex", "acctflow account support-group"}
	at := 0
	for _, want := range order {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("digest lacks %q after position %d:\n%s", want, at, text)
		}
		at += i
	}
	if strings.Contains(text, "Waiting for the Role ARN") || strings.Contains(text, "held") {
		t.Errorf("empty sections shown:\n%s", text)
	}
	subject, text, _ = renderOK(t, DigestData{Region: "latam", Now: now})
	if !strings.Contains(subject, "latam: nothing waiting") || !strings.Contains(text, "Nothing is waiting") {
		t.Errorf("empty digest %q:\n%s", subject, text)
	}
	many := DigestData{Region: "us", Now: now}
	for range maxDigestLines + 3 {
		many.Items = append(many.Items, DigestItem{RequestID: "REQ-X", Customer: "X", Waiting: WaitingApproval})
	}
	if _, text, _ = renderOK(t, many); !strings.Contains(text, "and 3 more") || !strings.Contains(text, "(203)") {
		t.Errorf("bounded digest: %d lines, no count of the rest", strings.Count(text, "REQ-X"))
	}
}

func TestReminderKindsNeedValidData(t *testing.T) {
	good := ReminderData{RequestID: "REQ-1", CustomerName: "Acme", Number: 1, AskedAt: askedAt, ExpiresAt: expiresAt}
	noNumber, noAsked, nothingMissing, badBox := good, good, good, good
	noNumber.Number = 0
	noAsked.AskedAt = time.Time{}
	nothingMissing.RootEmail, nothingMissing.Nickname, nothingMissing.SupportType = "r@acme.example", "Acme", "basic"
	badBox.ReplyChannel = ChannelSupportMailbox
	for name, d := range map[string]Data{
		"reminder number 0":       noNumber,
		"reminder without asked":  noAsked,
		"reminder, nothing to do": nothingMissing,
		"reminder, no mailbox":    badBox,
		"expiry without asked":    ExpiryData{RequestID: "REQ-1", CustomerName: "Acme"},
		"digest, bad region":      DigestData{Region: "US East", Now: askedAt},
		"digest without time":     DigestData{Region: "us"},
		"alert, unknown effect":   FailureAlertData{RequestID: "REQ-1", Effect: "fax", Outcome: OutcomeBlocked},
		"alert, unknown outcome":  FailureAlertData{RequestID: "REQ-1", Effect: "email", Outcome: "lost"},
		"alert about nothing":     FailureAlertData{Effect: "email", Outcome: OutcomeBlocked},
		"role alert, bad account": RoleAlertData{RequestID: "REQ-1", RoleARN: "arn", AccountID: "12"},
		"role alert without ARN":  RoleAlertData{RequestID: "REQ-1"},
	} {
		if _, _, _, err := Render(d); err == nil || !retry.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}
