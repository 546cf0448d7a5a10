package mailer

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			if name == "confirmation_emea" {
				golden(t, filepath.Join("testdata", "golden", string(lang), name+".html"), html)
			}
		}
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
