package mailer

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
)

// allKinds returns one valid Data of every kind, with name in every field a
// customer, reseller or ops person types.
func allKinds(name string, sig Signature) []Data { return allKindsIn(English, name, sig) }

// allKindsIn is allKinds with the customer mail in lang.
func allKindsIn(lang Lang, name string, sig Signature) []Data {
	return []Data{
		ConfirmationData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Lang: lang, Sig: sig},
		RejectionData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Reasons: []string{ReasonOpsRejected}, OpsReason: name, Lang: lang, Sig: sig},
		ClarificationData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, RootEmail: name, Nickname: name, AWSAccountName: name + "!",
			Problems: []string{"root_email_invalid", name}, Lang: lang, Sig: sig},
		AcknowledgementData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, RootEmail: name, Nickname: name, AWSAccountName: name,
			SupportType: "developer", Lang: lang, Sig: sig},
		FollowupData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AccountID: "123456789012", AccountName: name, Nickname: name + "!",
			RootEmail: name, SupportType: "business", DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", Lang: lang, Sig: sig},
		RoleRejectedData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AccountID: "123456789012", RoleARN: name, Reason: name,
			DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", Lang: lang, Sig: sig},
		HeldConfirmData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, From: name, ReceivedAt: name, RootEmail: name,
			Nickname: name, SupportType: "basic", RoleARN: name, Lang: lang, Sig: sig},
		TicketData{ChangeID: name, AccountID: "530274916683", From: "developer", To: "business", ChangedAt: time.Unix(0, 0),
			ReportedBy: Address{name, name}, ResellerName: name, CustomerName: name},
		AlertData{Subject: name, Body: name},
		ReminderData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Number: 1, AskedAt: time.Unix(0, 0), ExpiresAt: time.Unix(0, 0),
			RootEmail: name, Nickname: name, AWSAccountName: name + "!", Problems: []string{"root_email_invalid", name}, Lang: lang, Sig: sig},
		ExpiryData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AskedAt: time.Unix(0, 0), Reminders: 2, Lang: lang, Sig: sig},
		DigestData{Region: "emea", OpsTeam: name, Now: time.Unix(0, 0), Items: []DigestItem{
			{RequestID: "REQ-1001", Customer: name, Reseller: name, Waiting: WaitingFailure, Stage: name, Since: time.Unix(0, 0), Failure: name},
			{RequestID: "REQ-1002", Customer: name, Waiting: name},
		}},
		FailureAlertData{RequestID: "REQ-1001", Effect: "email", What: name, Outcome: OutcomeDeadLettered, Handler: name, Input: name, Error: name, DLQSeq: 7},
		RoleAlertData{RequestID: "REQ-1001", RoleARN: name, AccountID: "123456789012", Reason: name},
	}
}

func renderOK(t *testing.T, d Data) (subject, text, html string) {
	t.Helper()
	subject, text, html, err := Render(d)
	if err != nil {
		t.Fatalf("Render(%s): %v", d.Kind(), err)
	}
	return subject, text, html
}

func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestEveryKindRendersWithoutSeparators(t *testing.T) {
	for _, d := range allKinds("Northwind IT", Signature{Company: testCompany}) {
		t.Run(d.Kind(), func(t *testing.T) {
			subject, text, html := renderOK(t, d)
			if subject == "" || !strings.HasSuffix(text, "\n") || strings.Contains(text, "\n\n\n") {
				t.Errorf("subject %q, text ends %q", subject, text[max(0, len(text)-5):])
			}
			assertNoSeparators(t, text)
			if !strings.HasPrefix(html, "<!DOCTYPE html>") || strings.Contains(html, "<hr") {
				t.Errorf("HTML is not a plain document:\n%s", html)
			}
			for _, l := range textLines(text) {
				if strings.TrimRight(l, " ") != l {
					t.Errorf("trailing space in %q", l)
				}
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	for _, d := range allKinds("Acme", Signature{}) {
		s1, t1, h1 := renderOK(t, d)
		s2, t2, h2 := renderOK(t, d)
		if s1 != s2 || t1 != t2 || h1 != h2 {
			t.Errorf("%s renders differently twice", d.Kind())
		}
	}
}

func TestConfirmationNeedsValidData(t *testing.T) {
	for name, d := range map[string]ConfirmationData{
		"bad request id":          {RequestID: "REQ 1", CustomerName: "Acme"},
		"request id too long":     {RequestID: strings.Repeat("R", 65), CustomerName: "Acme"},
		"no customer":             {RequestID: "REQ-1", CustomerName: " \r\n"},
		"unknown channel":         {RequestID: "REQ-1", CustomerName: "Acme", ReplyChannel: "pigeon"},
		"mailbox channel, no box": {RequestID: "REQ-1", CustomerName: "Acme", ReplyChannel: ChannelSupportMailbox},
	} {
		if _, _, _, err := Render(d); err == nil || !retry.IsPermanent(err) {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}

func TestRejection(t *testing.T) {
	d := RejectionData{
		RequestID: "REQ-1001", ContactName: "Jane Doe", CustomerName: "Acme Corp",
		Reasons: []string{ReasonPricebookMissing, ReasonInvoiceCurrencyMissing, ReasonProviderNotEnabled, ReasonUnknownCountry, ReasonPricebookMissing},
	}
	subject, text, html := renderOK(t, d)
	if want := "Action needed: Amazon Web Services account request for Acme Corp [REQ-1001]"; subject != want {
		t.Errorf("subject = %q", subject)
	}
	f := flat(text)
	for _, want := range []string{
		"1. Add the Amazon Web Services pricebook",
		"2. Select the invoice currency",
		"3. Tick “Enable Provider in the Customer Portal”",
		"4. Correct the country in your reseller profile",
		"you can request the account again. If you have a question, reply to this email.",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(f, "5.") {
		t.Error("a repeated reason was listed twice")
	}
	if !strings.Contains(html, "“Enable Provider in the Customer Portal”") {
		t.Error("HTML lacks the portal checkbox name")
	}

	d.Reasons, d.OpsReason = []string{ReasonOpsRejected}, "Duplicate of REQ-0999 <b>"
	_, text, html = renderOK(t, d)
	if !strings.Contains(flat(text), "Our operations team declined the request: Duplicate of REQ-0999 <b>") {
		t.Errorf("ops reason missing:\n%s", text)
	}
	if !strings.Contains(html, "Duplicate of REQ-0999 &lt;b&gt;") {
		t.Error("ops reason not escaped in HTML")
	}

	for _, reasons := range [][]string{nil, {"moon_in_wrong_phase"}} {
		d.Reasons = reasons
		if _, _, _, err := Render(d); err == nil || !retry.IsPermanent(err) {
			t.Errorf("reasons %v: err = %v, want permanent", reasons, err)
		}
	}
}

func TestClarificationAsksOnlyForWhatIsMissing(t *testing.T) {
	base := ClarificationData{RequestID: "REQ-1001", ContactName: "Dana", CustomerName: "Harborview Dental Group"}
	cases := []struct {
		name      string
		mod       func(*ClarificationData)
		lines     []string
		sentences []string
	}{
		{"support type missing", func(d *ClarificationData) {
			d.RootEmail, d.Nickname = "root@h.example", "Prod"
		}, []string{LabelSupportType}, []string{
			"We already have: - the root email address root@h.example - the account nickname “Prod” Please reply with: 1. The support type. We did not find it in your reply.",
		}},
		{"root email in use", func(d *ClarificationData) {
			d.RootEmail, d.Nickname, d.SupportType, d.Problems = "root@h.example", "Prod", "business", []string{"root_email_in_use"}
		}, []string{LabelRootEmail}, []string{
			"We already have: - the account nickname “Prod” - Business Support as the support type Please reply with:",
			"1. The root email address. The address root@h.example already belongs to another AWS account or account request.",
		}},
		{"root email is the contact", func(d *ClarificationData) {
			d.RootEmail, d.Problems = "dana@fabrikam.example", []string{"root_email_is_contact", "nickname_missing"}
		}, []string{LabelRootEmail, LabelNickname, LabelSupportType}, []string{
			"1. The root email address. The address dana@fabrikam.example is your own contact address.",
			"2. The account nickname. We did not find one in your reply.",
			"3. The support type. We did not find it in your reply.",
		}},
		{"nickname unusable", func(d *ClarificationData) {
			d.RootEmail, d.Nickname, d.SupportType, d.Problems = "root@h.example", "🚀🚀", "developer", []string{"nickname_unusable"}
		}, []string{LabelNickname}, []string{
			"1. The account nickname. AWS account names may contain only unaccented Latin letters, digits, spaces and basic punctuation.",
			"nothing is left of “🚀🚀” once emoji and other symbols are removed",
		}},
		{"everything missing", func(d *ClarificationData) {}, []string{LabelRootEmail, LabelNickname, LabelSupportType},
			[]string{"1. The root email address. We did not find one", "2. The account nickname. We did not find one", "3. The support type. We did not find it"}},
		{"ambiguous root, unknown support", func(d *ClarificationData) {
			d.Nickname, d.Problems = "Prod", []string{"support_type_unrecognised", "root_email_ambiguous"}
		}, []string{LabelRootEmail, LabelSupportType}, []string{"1. The root email address. Your reply contains more than one possible address", "2. The support type. We could not recognise the one in your reply"}},
		{"unknown problem code", func(d *ClarificationData) {
			d.RootEmail, d.Nickname, d.SupportType, d.Problems = "root@h.example", "Prod", "basic", []string{"nickname_too_long"}
		}, []string{LabelNickname}, []string{"1. The account nickname. Please check “Prod”."}},
		{"nickname with its AWS name", func(d *ClarificationData) {
			d.Nickname, d.AWSAccountName, d.SupportType = "Café Étoile", "Cafe Etoile", "basic"
		}, []string{LabelRootEmail}, []string{"- the account nickname “Café Étoile”, which AWS will show as “Cafe Etoile”"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := base
			c.mod(&d)
			subject, text, _ := renderOK(t, d)
			if !strings.HasPrefix(subject, "Re: Customer Account Provision Request Received") {
				t.Errorf("subject = %q", subject)
			}
			var asked []string
			for _, l := range textLines(text) {
				if l == LabelRootEmail || l == LabelNickname || l == LabelSupportType {
					asked = append(asked, l)
				}
			}
			if !slices.Equal(asked, c.lines) {
				t.Errorf("fill-in lines %q, want %q:\n%s", asked, c.lines, text)
			}
			for _, s := range c.sentences {
				if !strings.Contains(flat(text), s) {
					t.Errorf("text lacks %q:\n%s", s, text)
				}
			}
		})
	}
	d := base
	d.RootEmail, d.Nickname, d.SupportType = "root@h.example", "Prod", "business"
	if _, _, _, err := Render(d); err == nil {
		t.Error("a clarification with nothing to clarify rendered")
	}
}
