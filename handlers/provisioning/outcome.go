package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

const source = "acctflow/provisioning"

// succeeded publishes acct.created, then records the final state. Both are
// idempotent (deterministic message id, compare-and-swap), so a crash in
// between only repeats the publish, which the stream absorbs. The account
// was created when a poll first saw it so (not when CreateAccount was
// called, up to minutes before).
func (d *Driver) succeeded(ctx context.Context, ent effect.Entry, c Creation, accountID string) error {
	e := events.AccountCreated{
		RequestID: c.RequestID, AccountID: accountID, AccountName: c.AccountName,
		Method: events.MethodOrganizations, CreateRequestID: c.CarID, CreatedAt: events.Time(time.Now()),
	}
	if _, err := events.Publish(ctx, d.JS, e, events.DerivedID("created", c.RequestID, c.CarID), source, c.Cause); err != nil {
		return err
	}
	c.Status, c.AccountID = StatusSucceeded, accountID
	if err := d.save(ctx, ent, ent.State, c); err != nil {
		return err
	}
	d.Logger.Info("account created", "request_id", c.RequestID, "account_id", accountID, "create_request_id", c.CarID)
	return nil
}

// failure is why a creation failed: AWS's reason, and the sentence for the
// reseller when AWS's own explanation does not fit.
type failure struct {
	reason, explanation, detail string
}

// refusal is the failure of a creation the ledger gave up (errText: the
// ledger's last error): a root email or account name AWS cannot take, else
// a refusal on the distributor's side.
func refusal(c Creation, errText string) failure {
	if reason, text := rejection(c.Job); reason != "" {
		return failure{reason: reason, explanation: text}
	}
	return failure{reason: "REQUEST_REFUSED", detail: errText}
}

// failed publishes acct.creation.failed with AWS's reason and a sentence for
// the reseller, then records the final state. A root email AWS will not
// take sends the request back for a new one, with a clarification email;
// anything else is on the distributor's side and alerts ops.
func (d *Driver) failed(ctx context.Context, ent effect.Entry, c Creation, f failure) error {
	text, askEmail := aws.Explain(f.reason)
	if f.explanation == "" {
		f.explanation = text
	}
	if askEmail {
		if err := d.askNewEmail(ctx, c, ent.Round, f.reason); err != nil {
			return err
		}
	} else if err := d.alert(ctx, c, ent.Round, "failed", "account creation failed",
		fmt.Sprintf("AWS could not create the account for request %s (root email %s, account name %q, creation request %q): %s. %s %s "+
			"AWS created no account. Once the cause is fixed, `acctflow provisioning retry %s` creates it again; an account made by hand is recorded with `acctflow account record %s --account-id N`.",
			c.RequestID, c.Email, c.AccountName, c.CarID, f.reason, f.explanation, f.detail, c.RequestID, c.RequestID)); err != nil {
		return err
	}
	e := events.AccountCreationFailed{
		RequestID: c.RequestID, FailureReason: f.reason, Explanation: f.explanation,
		NewRootEmailNeeded: askEmail, CreateRequestID: c.CarID, FailedAt: events.Time(ent.Written),
	}
	id := events.DerivedID("creation-failed", c.RequestID, c.ApprovalID, c.CarID)
	if _, err := events.Publish(ctx, d.JS, e, id, source, c.Cause); err != nil {
		return err
	}
	c.Status, c.FailureReason, c.NewEmailNeeded = StatusFailed, f.reason, askEmail
	state := ent.State
	if state != effect.Done {
		state = effect.Dead // CreateAccount itself was refused
	}
	if ent.Revision == 0 {
		// Refused before the ledger saw it: record it, so that a new
		// approval with another email may reopen it.
		if _, err := d.Ledger.Put(ctx, Key(c.RequestID), effect.Record{State: effect.Dead, Data: c.data()}, 0); err != nil && !errors.Is(err, effect.ErrLost) {
			return err
		}
	} else if err := d.save(ctx, ent, state, c); err != nil {
		return err
	}
	d.Logger.Warn("account creation failed", "request_id", c.RequestID, "reason", f.reason, "new_root_email_needed", askEmail)
	return nil
}

// park records unknown a creation whose request AWS no longer recognises
// (its status cannot be read), and alerts ops.
func (d *Driver) park(ctx context.Context, ent effect.Entry, c Creation, why string) error {
	r := ent.Record
	r.State, r.Error = effect.Unknown, why
	if _, err := d.Ledger.Put(ctx, Key(c.RequestID), r, ent.Revision); err != nil {
		return err
	}
	return d.alertUnknown(ctx, c, ent.Round, why)
}

// alertUnknown tells ops that a CreateAccount may or may not have reached
// AWS: calling again could create a second account, so ops decide. It is
// sent once per round (the email ledger's key), however often it is called;
// an error means the job must come back to send it.
func (d *Driver) alertUnknown(ctx context.Context, c Creation, round int, why string) error {
	d.Logger.Error("account creation outcome unknown; alerting ops", "request_id", c.RequestID, "reason", why)
	return d.alert(ctx, c, round, "unknown", "account creation needs a look",
		fmt.Sprintf("acctflow cannot tell whether AWS created the account for request %s (root email %s, account name %q, creation request %q): %s\n"+
			"Look in AWS Organizations (accounts, or ListCreateAccountStatus). If the account exists, record it with `acctflow account record %s --account-id N`; "+
			"if it does not, create it with `acctflow provisioning retry %s`. acctflow will not call CreateAccount for this approval again by itself.",
			c.RequestID, c.Email, c.AccountName, c.CarID, why, c.RequestID, c.RequestID))
}

// askNewEmail mails the reseller that the root email cannot be used, in the
// thread of the confirmation, asking for another.
func (d *Driver) askNewEmail(ctx context.Context, c Creation, round int, reason string) error {
	rec, err := d.Requests.Get(ctx, c.RequestID)
	if err != nil {
		return fmt.Errorf("reading request %s for the clarification: %w", c.RequestID, err)
	}
	if rec.Request == nil {
		return fmt.Errorf("request %s has no projected request yet", c.RequestID)
	}
	problem := "root_email_in_use"
	if reason == "INVALID_EMAIL" {
		problem = "root_email_invalid"
	}
	// The answer goes to the reseller's region's mailbox, with its token.
	channel, mailbox, replyTo, err := mailer.ReplyPath(d.ReplyKey, c.RequestID, rec.ReplyChannel, rec.SupportMailbox, d.Inbox)
	if err != nil {
		return fmt.Errorf("clarification for %s: %w", c.RequestID, err)
	}
	nickname := c.AccountName
	if rec.Details != nil && rec.Details.Nickname != "" {
		nickname = rec.Details.Nickname // as the reseller typed it
	}
	data := mailer.ClarificationData{
		RequestID: c.RequestID, ContactName: rec.Request.Reseller.PrimaryContact.Name, CustomerName: rec.Request.Customer.Name,
		RootEmail: c.Email, Nickname: nickname, AWSAccountName: c.AccountName, SupportType: supportType(rec),
		Problems: []string{problem}, ReplyChannel: channel, SupportMailbox: mailbox,
		Lang: mailer.LangFor(rec.Request.Reseller.Country, ""), Sig: d.Sig,
	}
	kind := mailer.KindClarification + ".creation." + roundTag(c, round)
	msg, err := d.render(data, c.RequestID, kind, rec.Request.Reseller.PrimaryContact)
	if err != nil {
		return err
	}
	msg.ReplyTo = replyTo
	if rec.Confirmation != nil {
		msg.InReplyTo, msg.References = rec.Confirmation.MessageID, []string{rec.Confirmation.MessageID}
	}
	_, err = d.Outbox.Send(ctx, effect.Key(kind, c.RequestID), mailer.KindClarification, msg)
	return err
}

// roundTag names a creation in email kinds: its car- id, or its round when
// AWS gave none.
func roundTag(c Creation, round int) string {
	if c.CarID != "" {
		return c.CarID
	}
	return "r" + strconv.Itoa(round)
}

func supportType(rec lifecycle.Record) string {
	if rec.Details != nil {
		return rec.Details.SupportType
	}
	return ""
}

func (d *Driver) render(data mailer.Data, requestID, kind string, to events.Party) (mailer.Message, error) {
	subject, text, html, err := mailer.Render(data)
	if err != nil {
		return mailer.Message{}, err
	}
	return mailer.Message{
		MessageID: mailer.MessageID(d.ReplyKey, requestID, kind, d.Domain), To: mailer.Address{Name: to.Name, Email: to.Email},
		Subject: subject, Text: text, HTML: html,
	}, nil
}

// alert mails ops once per (request, round, what). It returns the email's
// error while the email may still go (the caller comes back to it); an
// alert the mail server refused for good is logged, not returned, so that
// it does not hold up the creation.
func (d *Driver) alert(ctx context.Context, c Creation, round int, what, subject, body string) error {
	if d.OpsEmail == "" {
		d.Logger.Warn("ops alert (no --ops-email)", "request_id", c.RequestID, "subject", subject, "body", body)
		return nil
	}
	kind := mailer.KindAlert + "." + what
	if c.CarID != "" {
		kind += "." + c.CarID
	}
	if round > 0 {
		kind += ".r" + strconv.Itoa(round)
	}
	msg, err := d.render(mailer.AlertData{Subject: subject, Body: body, RequestID: c.RequestID}, c.RequestID, kind, events.Party{Email: d.OpsEmail})
	if err == nil {
		_, err = d.Outbox.Send(ctx, effect.Key(kind, c.RequestID, c.ApprovalID), mailer.KindAlert, msg)
	}
	if err != nil && retry.IsPermanent(err) {
		d.Logger.Error("ops alert refused by the mail server", "request_id", c.RequestID, "subject", subject, "err", err)
		return nil
	}
	return err
}
