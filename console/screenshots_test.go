package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/console"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/handlertest"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer/mailtest"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// TestScreenshots writes the README's screenshots of a region page and a
// request page into the directory ACCTFLOW_SCREENSHOTS names:
//
//	ACCTFLOW_SCREENSHOTS=$PWD/docs go test ./console -run Screenshots
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("ACCTFLOW_SCREENSHOTS")
	if dir == "" {
		t.Skip("set ACCTFLOW_SCREENSHOTS to a directory to write the console's screenshots")
	}
	b := browser(t)
	sb := mailtest.Sandbox(t, devmail.Config{})
	e := newEnv(t, func(_ *env, c *console.Config) { c.Mail = console.SandboxMail{Box: sb} })
	now := time.Now()
	ago := func(d time.Duration) string { return events.Time(now.Add(-d)) }
	type seed struct {
		id, customer, reseller, contact string
		stage                           lifecycle.Stage
	}
	seeds := []seed{
		{"REQ-1001", "Harborview Dental Group", "Fabrikam Cloud Services", "dana.whitfield@fabrikam.example", lifecycle.StageDetailsReceived},
		{"REQ-1002", "Tailspin Toys", "Northwind IT", "jane.doe@northwind.example", lifecycle.StageAwaitingDetails},
		{"REQ-1003", "Contoso Pharmaceuticals", "Litware Systems", "priya.raman@litware.example", lifecycle.StageApproved},
		{"REQ-1004", "Blue Yonder Airlines", "Fabrikam Cloud Services", "dana.whitfield@fabrikam.example", lifecycle.StageCreated},
		{"REQ-1005", "Wide World Importers", "Adventure Works Cloud", "li.wei@adventure-works.example", lifecycle.StageAwaitingDetails},
		{"REQ-1006", "Alpine Ski House", "Northwind IT", "jane.doe@northwind.example", lifecycle.StageAwaitingDetails},
		{"REQ-1007", "Proseware Inc.", "Litware Systems", "priya.raman@litware.example", lifecycle.StageRouted},
		{"REQ-1008", "Lucerne Publishing", "Adventure Works Cloud", "li.wei@adventure-works.example", lifecycle.StageRoleValidated},
		{"REQ-1009", "Coho Winery", "Fabrikam Cloud Services", "dana.whitfield@fabrikam.example", lifecycle.StageDetailsReceived},
	}
	for i, s := range seeds {
		req := handlertest.Request(s.id)
		req.RequestedAt = ago(time.Duration(30-i) * time.Hour)
		req.Customer = events.Customer{ID: fmt.Sprintf("C-%d", 88120+i), Name: s.customer}
		req.Reseller.Name, req.Reseller.ID = s.reseller, fmt.Sprintf("R-%d", 2041+i%3)
		name, _, _ := strings.Cut(s.contact, "@")
		req.Reseller.PrimaryContact = events.Party{Name: strings.ReplaceAll(name, ".", " "), Email: s.contact}
		brokertest.Publish(t, e.conn, req, "requested-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageRouted)
		if s.stage == lifecycle.StageRouted {
			continue
		}
		mid := s.id + ".5d0c1e2f3a4b.confirmation@acctflow.localhost"
		raw := "From: Account Provisioning <provisioning@acctflow.localhost>\r\nTo: " + s.contact +
			"\r\nSubject: Customer Account Provision Request Received—Amazon Web Services (" + s.customer + ") [" + s.id + "]" +
			"\r\nMessage-ID: <" + mid + ">\r\nDate: " + now.Add(-time.Duration(29-i)*time.Hour).Format(time.RFC1123Z) +
			"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\nWe received the request for a new AWS account for " + s.customer +
			".\r\n\r\nRoot email:\r\nAccount nickname:\r\nSupport type:\r\n"
		if err := sb.Deliver(context.Background(), "provisioning@acctflow.localhost", []string{s.contact}, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		brokertest.Publish(t, e.conn, events.ConfirmationSent{RequestID: s.id, MessageID: mid, Recipient: s.contact,
			ReplyTo: "acct-replies+" + s.id + ".5d0c1e2f3a4b@acctflow.localhost", SentAt: ago(time.Duration(29-i) * time.Hour)}, "conf-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageAwaitingDetails)
		switch s.id {
		case "REQ-1002":
			for n := 1; n <= 2; n++ {
				brokertest.Publish(t, e.conn, events.ReminderSent{RequestID: s.id, Number: n, MessageID: fmt.Sprintf("%s.5d0c1e2f3a4b.reminder-%d@acctflow.localhost", s.id, n),
					Recipient: s.contact, WaitingSince: ago(28 * time.Hour), SentAt: ago(time.Duration(20-8*n) * time.Hour)}, fmt.Sprintf("rem-%s-%d", s.id, n))
			}
		case "REQ-1005":
			brokertest.Publish(t, e.conn, events.EffectFailed{RequestID: s.id, Effect: events.EffectEmail, Kind: "clarification", Outcome: events.OutcomeDeadLettered,
				Handler: "replies", Input: events.SubjectDetailsIncomplete, Error: "smtp 550 5.1.1 <li.wei@adventure-works.example>: Recipient address rejected: User unknown in virtual mailbox table",
				DLQSeq: 412, FailedAt: ago(40 * time.Minute)}, "fail-"+s.id)
		case "REQ-1006":
			root, nick, sup := "aws-root-alpine@northwind.example", "Alpine Ski House - Prod", events.SupportDeveloper
			brokertest.Publish(t, e.conn, events.ReplyHeld{ReplyID: "6f1c0e9a2b3d4c5e", RequestID: s.id, Reason: events.HoldUnverifiedSender, MatchedBy: events.MatchedSubject,
				From: "jane.doe@northwind.example", RootEmail: &root, Nickname: &nick, SupportType: &sup, ConfirmationRequested: true, HeldAt: ago(3 * time.Hour)}, "held-"+s.id)
		}
		if s.stage == lifecycle.StageAwaitingDetails {
			continue
		}
		details := handlertest.Details(s.id, "aws-root-"+strings.ToLower(strings.Fields(s.customer)[0])+"@"+strings.Split(s.contact, "@")[1], s.customer+" - Production", events.SupportBusiness)
		details.SubmittedAt = ago(time.Duration(20-i) * time.Hour)
		details.AWSAccountName = s.customer + " - Production"
		brokertest.Publish(t, e.conn, details, "details-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageDetailsReceived)
		if s.stage == lifecycle.StageDetailsReceived {
			continue
		}
		brokertest.Publish(t, e.conn, events.AccountApproved{RequestID: s.id, ApprovedBy: "sam@ops", ApprovedAt: ago(time.Duration(10-i/2) * time.Hour)}, "appr-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageApproved)
		if s.stage == lifecycle.StageApproved {
			continue
		}
		acct := fmt.Sprintf("4%011d", 52718390+i)
		brokertest.Publish(t, e.conn, events.AccountCreated{RequestID: s.id, AccountID: acct, Method: events.MethodManual, CreatedAt: ago(time.Duration(6-i/3) * time.Hour)}, "created-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageCreated)
		if s.stage == lifecycle.StageCreated {
			continue
		}
		brokertest.Publish(t, e.conn, events.RoleValidated{RequestID: s.id, RoleARN: "arn:aws:iam::" + acct + ":role/AcctflowAccess", AccountID: acct, ValidatedAt: ago(time.Hour)}, "role-"+s.id)
		handlertest.WaitStage(t, e.store, s.id, lifecycle.StageRoleValidated)
	}
	e.waitIndexed("us", "REQ-1008", lifecycle.WaitingGroup)
	e.waitIndexed("us", "REQ-1005", lifecycle.WaitingFailure)
	e.waitIndexed("us", "REQ-1006", lifecycle.WaitingHeld)

	shoot := func(url, file string) {
		page := tab(t, b)
		openLive(t, page, url)
		png := value(t, page, "screenshot of "+url, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d KiB)", filepath.Join(dir, file), len(png)/1024)
	}
	shoot(e.srv.URL+"/ui/regions/us", "console-region.png")
	shoot(e.srv.URL+"/ui/requests/REQ-1001", "console-request.png")
}
