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
func allKinds(name string, sig Signature) []Data {
	return []Data{
		ConfirmationData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Sig: sig},
		RejectionData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, Reasons: []string{ReasonOpsRejected}, OpsReason: name, Sig: sig},
		ClarificationData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, RootEmail: name, Nickname: name, Problems: []string{"root_email_invalid", name}, Sig: sig},
		FollowupData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AccountID: "123456789012", AccountName: name, RootEmail: name,
			SupportType: "business", DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", Sig: sig},
		RoleRejectedData{RequestID: "REQ-1001", ContactName: name, CustomerName: name, AccountID: "123456789012", RoleARN: name, Reason: name,
			DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", Sig: sig},
		TicketData{ChangeID: name, AccountID: "530274916683", From: "developer", To: "business", ChangedAt: time.Unix(0, 0),
			ReportedBy: Address{name, name}, ResellerName: name, CustomerName: name},
		AlertData{Subject: name, Body: name},
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
		`3. Tick "Enable Provider in the Customer Portal"`,
		"4. Correct the country in your reseller profile",
		"you can then request the account again",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(f, "5.") {
		t.Error("a repeated reason was listed twice")
	}
	if !strings.Contains(html, "&ldquo;Enable Provider in the Customer Portal&rdquo;") {
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
		}, []string{LabelSupportType}, []string{"We did not find the support type", "The root email address, as we read it: root@h.example", "The support type, as we read it: missing"}},
		{"root email in use", func(d *ClarificationData) {
			d.RootEmail, d.Nickname, d.SupportType, d.Problems = "root@h.example", "Prod", "business", []string{"root_email_in_use"}
		}, []string{LabelRootEmail}, []string{"The root email address root@h.example is already used by another request", "choose a different, new address", "The support type, as we read it: Business Support"}},
		{"everything missing", func(d *ClarificationData) {}, []string{LabelRootEmail, LabelNickname, LabelSupportType},
			[]string{"We did not find a root email address", "We did not find the AWS account nickname", "We did not find the support type"}},
		{"ambiguous root, unknown support", func(d *ClarificationData) {
			d.Nickname, d.Problems = "Prod", []string{"support_type_unrecognised", "root_email_ambiguous"}
		}, []string{LabelRootEmail, LabelSupportType}, []string{"1. Your reply contains more than one possible root email address", "2. We did not recognise the support type"}},
		{"unknown problem code", func(d *ClarificationData) {
			d.RootEmail, d.Nickname, d.SupportType, d.Problems = "root@h.example", "Prod", "basic", []string{"nickname_too_long"}
		}, []string{LabelNickname}, []string{`Please check the account nickname "Prod"`}},
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
