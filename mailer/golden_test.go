package mailer

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// goldenCases are the customer mails of one language as a reseller reads
// them: each kind, with the variants that change the text.
func goldenCases(lang Lang) map[string]Data {
	sig := Signature{Company: "Meridian Cloud Distribution"}
	const (
		req, contact, customer = "REQ-1001", "Dana Whitfield", "Harborview Dental Group"
		emea                   = "cloud-support-emea@meridian.example"
	)
	return map[string]Data{
		"confirmation": ConfirmationData{RequestID: req, ContactName: contact, CustomerName: customer, Lang: lang, Sig: sig},
		"confirmation_emea": ConfirmationData{RequestID: req, ContactName: contact, CustomerName: customer,
			ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"clarification": ClarificationData{RequestID: req, ContactName: contact, CustomerName: customer,
			RootEmail: "aws-root@harborview.example", Nickname: "Café Étoile – Production", AWSAccountName: "Cafe Etoile - Production",
			Problems: []string{"root_email_in_use", "support_type_unrecognised"}, ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"clarification_unusable": ClarificationData{RequestID: req, CustomerName: customer, Nickname: "\U0001F680\U0001F680", SupportType: "business",
			Problems: []string{"nickname_unusable", "root_email_missing"}, Lang: lang},
		"rejection": RejectionData{RequestID: req, ContactName: contact, CustomerName: customer,
			Reasons: []string{ReasonPricebookMissing, ReasonInvoiceCurrencyMissing, ReasonProviderNotEnabled, ReasonUnknownCountry}, Lang: lang, Sig: sig},
		"rejection_ops": RejectionData{RequestID: req, ContactName: contact, CustomerName: customer, Reasons: []string{ReasonOpsRejected},
			ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"acknowledgement": AcknowledgementData{RequestID: req, ContactName: contact, CustomerName: customer, RootEmail: "aws-root@harborview.example",
			Nickname: "Café Étoile – Production", AWSAccountName: "Cafe Etoile - Production", SupportType: "business",
			ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"followup": FollowupData{RequestID: req, ContactName: contact, CustomerName: customer, AccountID: "123456789012",
			AccountName: "Cafe Etoile - Production", Nickname: "Café Étoile – Production", RootEmail: "aws-root@harborview.example",
			SupportType: "business", DistributorAccountID: "210987654321", ExternalID: "acctflow-5f0c2a9e71d84b36a0e4c1d2b3a49587",
			ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"followup_enterprise": FollowupData{RequestID: req, ContactName: contact, CustomerName: customer, AccountID: "123456789012",
			AccountName: "Harborview Dental", RootEmail: "aws-root@harborview.example", SupportType: "enterprise",
			DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", RoleName: "MeridianReadOnly", Lang: lang},
		"held": HeldConfirmData{RequestID: req, ContactName: contact, CustomerName: customer, From: "dana.whitfield@fabrikam-mail.example",
			ReceivedAt: "2026-11-25T18:31:07Z", RootEmail: "aws-root@harborview.example", SupportType: "developer", Lang: lang, Sig: sig},
		"role_rejected": RoleRejectedData{RequestID: req, ContactName: contact, CustomerName: customer, AccountID: "123456789012",
			RoleARN: "arn:aws:iam::123456789012:role/MeridianReadOnly", Reason: "AssumeRole was denied.",
			DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", Lang: lang, Sig: sig},
		"reminder": ReminderData{RequestID: req, ContactName: contact, CustomerName: customer, Number: 1,
			AskedAt: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 12, 16, 9, 30, 0, 0, time.UTC), Lang: lang, Sig: sig},
		"reminder_last": ReminderData{RequestID: req, ContactName: contact, CustomerName: customer, Number: 2, Last: true,
			AskedAt: time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 12, 15, 16, 0, 0, 0, time.UTC),
			RootEmail: "aws-root@harborview.example", Nickname: "Café Étoile – Production", AWSAccountName: "Cafe Etoile - Production",
			Problems: []string{"root_email_in_use"}, ReplyChannel: ChannelSupportMailbox, SupportMailbox: emea, Lang: lang, Sig: sig},
		"expiry": ExpiryData{RequestID: req, ContactName: contact, CustomerName: customer,
			AskedAt: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC), Reminders: 2, Lang: lang, Sig: sig},
		"expiry_once": ExpiryData{RequestID: req, CustomerName: customer, AskedAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), Reminders: 1, Lang: lang},
	}
}

// opsGoldenCases are the mails to ops, which are English only: the region's
// daily digest and the alerts about one request.
func opsGoldenCases() map[string]Data {
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	return map[string]Data{
		"digest": DigestData{Region: "emea", OpsTeam: "Cloud Support Ops EMEA", Now: now, Items: []DigestItem{
			{RequestID: "REQ-1001", Customer: "Harborview Dental Group", Reseller: "Fabrikam", Waiting: WaitingDetails, Stage: "awaiting_details",
				Since: now.Add(-3 * 24 * time.Hour), Reminders: 1},
			{RequestID: "REQ-1002", Customer: "Café Étoile", Reseller: "Contoso", Waiting: WaitingFailure, Stage: "routed", Since: now.Add(-5 * time.Hour),
				Failure: "550 5.1.1 <dana@fabrikam.example>: Recipient address rejected: User unknown in virtual mailbox table"},
			{RequestID: "REQ-1003", Customer: "Bäckerei Sonnenhof", Waiting: WaitingHeld, Stage: "awaiting_details", Held: 2},
		}},
		"digest_empty": DigestData{Region: "latam", Now: now},
		"failure_alert": FailureAlertData{RequestID: "REQ-1001", Effect: "email", What: "confirmation", Outcome: OutcomeDeadLettered,
			Handler: "confirmation", Input: "acct.routed.emea", Error: "550 5.1.1 <dana@fabrikam.example>: Recipient address rejected", DLQSeq: 42, FailedAt: now},
		"failure_alert_blocked": FailureAlertData{ChangeID: "CHG-7", Effect: "ticket", Outcome: OutcomeBlocked, Handler: "tickets",
			Input: "acct.support.changed", Error: "401 Unauthorized"},
		"role_alert": RoleAlertData{RequestID: "REQ-1001", RoleARN: "arn:aws:iam::123456789012:role/MeridianReadOnly", AccountID: "123456789012",
			DistributorAccountID: "210987654321", Reason: "no AWS access is configured", At: now},
	}
}

// TestGolden compares every customer mail in every language with the text
// a reseller reads (subject and text part) and, for the confirmation, the
// HTML part. go test ./mailer -run TestGolden -update rewrites them; read
// the diff as a reseller would.
func TestGolden(t *testing.T) {
	for _, lang := range Langs() {
		for name, d := range goldenCases(lang) {
			subject, text, html := renderOK(t, d)
			golden(t, filepath.Join("testdata", "golden", string(lang), name+".txt"), "Subject: "+subject+"\n\n"+text)
			if name == "confirmation_emea" || name == "reminder_last" {
				golden(t, filepath.Join("testdata", "golden", string(lang), name+".html"), html)
			}
		}
	}
	for name, d := range opsGoldenCases() {
		subject, text, _ := renderOK(t, d)
		golden(t, filepath.Join("testdata", "golden", string(English), name+".txt"), "Subject: "+subject+"\n\n"+text)
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what was rendered (run with -update and read the diff):\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, wl, gl)
		}
	}
	return ""
}
