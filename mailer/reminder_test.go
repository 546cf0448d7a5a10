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

func TestReminderAsksOnlyForWhatIsMissing(t *testing.T) {
	base := ReminderData{RequestID: "REQ-1001", ContactName: "Jane Doe", CustomerName: "Acme Corp", Number: 1,
		AskedAt: askedAt, ExpiresAt: expiresAt, Sig: Signature{Company: testCompany}}

	subject, text, _ := renderOK(t, base)
	if subject != "Reminder: "+ConfirmationSubject("Acme Corp", "REQ-1001") {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"On 2 December 2026 we asked", "not received them yet",
		"1. The root email address. It must be a new address", "2. The account nickname. Any name", "3. The support type. Please choose",
		"\nRoot email:\nAccount nickname:\nSupport type:\n", "by 16 December 2026, we will close the request", "Please reply to this email"} {
		if !strings.Contains(text, want) && !strings.Contains(flat(text), want) {
			t.Errorf("first reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "last reminder") || strings.Contains(text, "already have") || strings.Contains(text, "in your reply") {
		t.Errorf("first reminder of a silent reseller:\n%s", text)
	}

	partial := base
	partial.Number, partial.Last = 2, true
	partial.RootEmail, partial.Nickname, partial.AWSAccountName = "root@acme.example", "Acme – Prod", "Acme - Prod"
	partial.ReplyChannel, partial.SupportMailbox = ChannelSupportMailbox, "cloud-support-emea@acctflow.localhost"
	_, text, _ = renderOK(t, partial)
	for _, want := range []string{"not received all of them yet", "We already have:", "- the root email address root@acme.example",
		"- the account nickname “Acme – Prod”, which AWS will show as “Acme - Prod”", "1. The support type.",
		"cloud-support-emea@acctflow.localhost", "This is our last reminder: if we do not receive the details by 16 December 2026"} {
		if !strings.Contains(flat(text), want) {
			t.Errorf("partial reminder lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Root email:\n") || strings.Contains(text, "Account nickname:\n") || !strings.Contains(text, "\nSupport type:\n") {
		t.Errorf("partial reminder asks for what was given:\n%s", text)
	}

	refused := base
	refused.RootEmail, refused.Nickname, refused.SupportType = "taken@acme.example", "Acme Prod", "business"
	refused.Problems = []string{"root_email_in_use", "unreadable"}
	_, text, _ = renderOK(t, refused)
	if !strings.Contains(flat(text), "The address taken@acme.example already belongs to another AWS account") || strings.Contains(text, "could not be read") ||
		!strings.Contains(text, "\nRoot email:\n") || strings.Contains(text, "Support type:\n") || strings.Contains(text, "Account nickname:\n") {
		t.Errorf("reminder after a refused root email:\n%s", text)
	}

	// The first of the month is an ordinal where the language wants one.
	first := base
	first.AskedAt, first.Lang = time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC), FrenchCA
	if _, text, _ = renderOK(t, first); !strings.Contains(flat(text), "Le 1er décembre 2026, nous vous avons demandé") {
		t.Errorf("French reminder asked on the 1st:\n%s", text)
	}
}

// A German reseller's reminder and expiry are German, dates and all, with
// the English answer labels first.
func TestReminderAndExpirySpeakTheResellersLanguage(t *testing.T) {
	d := ReminderData{RequestID: "REQ-1001", ContactName: "Jana Becker", CustomerName: "Bäckerei Sonnenhof GmbH", Number: 1,
		AskedAt: askedAt, ExpiresAt: expiresAt, Nickname: "Sonnenhof Produktion", Lang: German}
	subject, text, html := renderOK(t, d)
	if !strings.HasPrefix(subject, "Erinnerung: Anfrage für ein neues Kundenkonto erhalten") || !strings.HasSuffix(subject, " [REQ-1001]") {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Guten Tag Jana Becker,", "am 2. Dezember 2026 haben wir Sie um die Angaben gebeten", "bis zum 16. Dezember 2026",
		"der Kontoname „Sonnenhof Produktion“", "\nRoot email (E-Mail-Adresse des Root-Benutzers):\nSupport type (Supportart):\n"} {
		if !strings.Contains(text, want) && !strings.Contains(flat(text), want) {
			t.Errorf("German reminder lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(html, `<html lang="de">`) {
		t.Errorf("HTML not marked German:\n%s", html)
	}
	subject, text, _ = renderOK(t, ExpiryData{RequestID: "REQ-1001", CustomerName: "Bäckerei Sonnenhof GmbH", AskedAt: askedAt, Reminders: 2, Lang: German})
	if subject != "Anfrage geschlossen: Amazon Web Services (Bäckerei Sonnenhof GmbH) [REQ-1001]" ||
		!strings.Contains(flat(text), "Am 2. Dezember 2026 haben wir Sie um die benötigten Angaben gebeten und 2-mal daran erinnert") {
		t.Errorf("German expiry %q:\n%s", subject, text)
	}
}

func TestExpiryAndAlerts(t *testing.T) {
	subject, text, _ := renderOK(t, ExpiryData{RequestID: "REQ-1001", ContactName: "Jane Doe", CustomerName: "Acme Corp", AskedAt: askedAt, Reminders: 2})
	if subject != "Request closed: Amazon Web Services (Acme Corp) [REQ-1001]" || !strings.Contains(flat(text), "on 2 December 2026 and sent you 2 reminders") ||
		!strings.Contains(flat(text), "We have therefore closed request REQ-1001") {
		t.Errorf("%s\n%s", subject, text)
	}
	if _, text, _ = renderOK(t, ExpiryData{RequestID: "REQ-1001", CustomerName: "Acme Corp", AskedAt: askedAt, Reminders: 1}); !strings.Contains(flat(text), "and sent you a reminder,") {
		t.Errorf("expiry after one reminder:\n%s", text)
	}
	_, text, _ = renderOK(t, ExpiryData{RequestID: "REQ-1001", CustomerName: "Acme Corp", AskedAt: askedAt})
	if strings.Contains(text, "reminder") || !strings.HasPrefix(text, "Hello,") {
		t.Errorf("expiry without reminders:\n%s", text)
	}

	dead := FailureAlertData{RequestID: "REQ-1001", Effect: "email", What: "confirmation", Outcome: OutcomeDeadLettered, Handler: "confirmation",
		Input: "acct.routed.us", Error: "550 5.1.1 <jane@northwind.example>: no such user", DLQSeq: 42, FailedAt: askedAt}
	subject, text, _ = renderOK(t, dead)
	for _, want := range []string{"550 5.1.1", "\n    acctflow dlq replay 42\n", "Handler: confirmation, handling acct.routed.us", "acctflow request show REQ-1001"} {
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
		!strings.Contains(flat(text), "resumes by itself") {
		t.Errorf("blocked alert %q:\n%s", subject, text)
	}

	_, text, _ = renderOK(t, RoleAlertData{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/Acctflow", AccountID: "123456789012",
		DistributorAccountID: "111122223333", Reason: "no AWS access is configured"})
	// The command stays on one line, to be copied.
	for _, want := range []string{"\n    acctflow role submit REQ-1001 --role-arn arn:aws:iam::123456789012:role/Acctflow\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("role alert lacks %q:\n%s", want, text)
		}
	}
	for _, want := range []string{"no AWS access is configured", "account 123456789012", "the distributor account 111122223333"} {
		if !strings.Contains(flat(text), want) {
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
	at, ft := 0, flat(text)
	for _, want := range order {
		i := strings.Index(ft[at:], want)
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
