package mailer

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	externalIDLine = regexp.MustCompile(`(?m)^External ID: (\S+)$`)
	roleARNLine    = regexp.MustCompile(`(?m)^Role ARN: arn:aws:iam::(\d{12}):role/(\S+)$`)
)

func TestFollowup(t *testing.T) {
	d := FollowupData{
		RequestID: "REQ-1001", ContactName: "Dana", CustomerName: "Harborview Dental Group",
		AccountID: "123456789012", AccountName: "Harborview Dental - Production", RootEmail: "aws-root@h.example",
		SupportType: "business", DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01", RoleName: "MeridianReadOnly",
		Sig: Signature{Company: testCompany},
	}
	subject, text, html := renderOK(t, d)
	if !strings.Contains(subject, "Harborview Dental Group") || !strings.HasSuffix(subject, "[REQ-1001]") {
		t.Errorf("subject = %q", subject)
	}
	if m := externalIDLine.FindStringSubmatch(text); m == nil || m[1] != "acctflow-ext-01" {
		t.Errorf("no External ID line:\n%s", text)
	}
	if m := roleARNLine.FindStringSubmatch(text); m == nil || m[1] != "123456789012" || m[2] != "MeridianReadOnly" {
		t.Errorf("no Role ARN line:\n%s", text)
	}
	f := flat(text)
	for _, want := range []string{
		"Account ID: 123456789012", "AWS will show the account as “Harborview Dental - Production”.",
		"https://console.aws.amazon.com", "“Forgot password”", "aws-root@h.example",
		"trusts the AWS account 210987654321", "ReadOnlyAccess", "reply to this email",
		"Support Center, choose Change Plan and select Business Support",
		"Business Support is charged at 10% of the account's AWS usage",
		"$100 monthly minimum and upfront charges do not apply in Meridian Cloud Distribution's payer accounts",
		"Enterprise Support goes through your Amazon Web Services sales representative",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if !strings.Contains(html, "External ID: acctflow-ext-01") || !strings.Contains(html, "Role ARN: arn:aws:iam::123456789012:role/MeridianReadOnly") {
		t.Error("HTML lacks the External ID or Role ARN line")
	}

	d.SupportType, d.RoleName = "basic", ""
	_, text, _ = renderOK(t, d)
	if strings.Contains(flat(text), "You chose") || !strings.Contains(text, "Role ARN: arn:aws:iam::123456789012:role/<role name>") {
		t.Errorf("basic-support variant:\n%s", text)
	}
	for name, mod := range map[string]func(*FollowupData){
		"short account id":   func(d *FollowupData) { d.AccountID = "12345" },
		"bad distributor":    func(d *FollowupData) { d.DistributorAccountID = "x" },
		"external id spaces": func(d *FollowupData) { d.ExternalID = "a b" },
		"bad role name":      func(d *FollowupData) { d.RoleName = "a/b" },
		"unknown support":    func(d *FollowupData) { d.SupportType = "gold" },
	} {
		bad := d
		mod(&bad)
		if _, _, _, err := Render(bad); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

func TestRoleRejected(t *testing.T) {
	d := RoleRejectedData{
		RequestID: "REQ-1001", ContactName: "Dana", CustomerName: "Harborview Dental Group", AccountID: "123456789012",
		RoleARN: "arn:aws:iam::999999999999:role/X", Reason: "The role is in account 999999999999, not 123456789012.",
		DistributorAccountID: "210987654321", ExternalID: "acctflow-ext-01",
	}
	subject, text, _ := renderOK(t, d)
	if want := "Action needed: IAM role for Amazon Web Services account 123456789012 (Harborview Dental Group) [REQ-1001]"; subject != want {
		t.Errorf("subject = %q", subject)
	}
	f := flat(text)
	for _, want := range []string{
		"arn:aws:iam::999999999999:role/X", "Reason: The role is in account 999999999999, not 123456789012.",
		"names the AWS account 210987654321 as the principal", "sts:ExternalId", "corrected ARN",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if m := externalIDLine.FindStringSubmatch(text); m == nil || m[1] != "acctflow-ext-01" {
		t.Error("no External ID line")
	}
	if !slices.Contains(textLines(text), "Role ARN:") {
		t.Error("no Role ARN line to fill")
	}
}

func TestTicket(t *testing.T) {
	d := TicketData{
		ChangeID: "CHG-8M2K5W9QXD", AccountID: "123456789012", RequestID: "REQ-7K3M9Q2X4T",
		From: "developer", To: "business", ChangedAt: time.Date(2026, 12, 3, 15, 42, 10, 0, time.FixedZone("", 3600)),
		ReportedBy: Address{"Priya Raman", "priya.raman@litware.example"}, ResellerName: "Northwind IT",
	}
	subject, text, html := renderOK(t, d)
	if want := "AWS support type change: account 123456789012 Developer \u2192 Business (Northwind IT)"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	f := flat(text)
	for _, want := range []string{
		"from Developer Support to Business Support", "When: 2026-12-03 14:42:10 UTC",
		"Reported by: Priya Raman <priya.raman@litware.example>", `support plan group "Business Support"`,
		"Billing: Business Support is charged at 10% of the account's AWS usage", "$100 monthly minimum",
		"Change reference: CHG-8M2K5W9QXD",
	} {
		if !strings.Contains(f, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	dsubject, fragment, err := TicketDescription(d)
	if err != nil || dsubject != subject {
		t.Fatalf("TicketDescription: %q, %v", dsubject, err)
	}
	if strings.Contains(fragment, "<html") || !strings.Contains(html, fragment) {
		t.Errorf("description is not the mail's HTML body:\n%s", fragment)
	}
	if !strings.Contains(fragment, "Priya Raman &lt;priya.raman@litware.example&gt;") {
		t.Error("reporter not escaped in the description")
	}

	// Each change quotes the billing note of the new type, or none.
	for _, c := range []struct{ from, to, note string }{
		{"business", "basic", ""},
		{"business", "developer", ""},
		{"developer", "enterprise", "Billing: Enterprise Support is contracted through the AWS sales representative"},
	} {
		d.From, d.To = c.from, c.to
		_, text, html = renderOK(t, d)
		if !strings.Contains(text, `support plan group "Passthrough"`) {
			t.Errorf("%s → %s must move the account to Passthrough:\n%s", c.from, c.to, text)
		}
		if strings.Contains(text, "Business Support is charged") || strings.Contains(html, "Business Support is charged") {
			t.Errorf("%s → %s quotes the Business Support price:\n%s", c.from, c.to, text)
		}
		if c.note != "" && !strings.Contains(flat(text), c.note) || c.note == "" && strings.Contains(text, "Billing:") {
			t.Errorf("%s → %s: billing note wrong:\n%s", c.from, c.to, text)
		}
	}
	d.To = d.From
	if _, _, _, err := Render(d); err == nil {
		t.Error("a change to the same type rendered")
	}
}

func TestAlert(t *testing.T) {
	subject, text, html := renderOK(t, AlertData{
		Subject: "Account creation still in progress", Body: "CreateAccount started 2h ago.\nCheck AWS Organizations.", RequestID: "REQ-1001",
	})
	if want := "[acctflow] Account creation still in progress [REQ-1001]"; subject != want {
		t.Errorf("subject = %q", subject)
	}
	if want := "CreateAccount started 2h ago.\nCheck AWS Organizations.\n\nRequest: REQ-1001\n"; text != want {
		t.Errorf("text = %q", text)
	}
	if !strings.Contains(html, "CreateAccount started 2h ago.<br>\nCheck AWS Organizations.") {
		t.Errorf("html = %s", html)
	}
	if _, _, _, err := Render(AlertData{Body: "x"}); err == nil {
		t.Error("alert without subject rendered")
	}
}
