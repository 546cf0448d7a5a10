package provisioning

import (
	"context"
	"fmt"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/outbox"
)

const source = "acctflow/provisioning"

// succeeded publishes acct.created, then records the final state. Both are
// idempotent (deterministic message id, compare-and-swap), so a crash in
// between only repeats the publish, which the stream absorbs.
func (d *Driver) succeeded(ctx context.Context, c Creation, rev uint64, accountID string) error {
	e := events.AccountCreated{
		RequestID: c.RequestID, AccountID: accountID, AccountName: c.AccountName,
		Method: events.MethodOrganizations, CreateRequestID: c.CarID, CreatedAt: events.Time(d.now()),
	}
	if _, err := events.Publish(ctx, d.JS, e, events.DerivedID("created", c.RequestID, c.CarID), source, c.Cause); err != nil {
		return err
	}
	c.State, c.AccountID = StateSucceeded, accountID
	if err := d.save(ctx, &c, &rev); err != nil && !conflict(err) {
		return err
	}
	d.Logger.Info("account created", "request_id", c.RequestID, "account_id", accountID, "create_request_id", c.CarID)
	return nil
}

// failed publishes acct.creation.failed with AWS's reason and a sentence for
// the reseller. A root email AWS will not take sends the request back for a
// new one, with a clarification email; anything else is on the
// distributor's side and alerts ops.
func (d *Driver) failed(ctx context.Context, c Creation, rev uint64, reason, explanation string) error {
	text, askEmail := aws.Explain(reason)
	if explanation == "" {
		explanation = text
	}
	if askEmail {
		if err := d.askNewEmail(ctx, c, reason); err != nil {
			return err
		}
	} else {
		d.alert(ctx, c, "failed", "account creation failed",
			fmt.Sprintf("AWS could not create the account for request %s (root email %s, account name %q, creation request %q): %s. %s %s",
				c.RequestID, c.Email, c.AccountName, c.CarID, reason, explanation, c.Error))
	}
	e := events.AccountCreationFailed{
		RequestID: c.RequestID, FailureReason: reason, Explanation: explanation,
		NewRootEmailNeeded: askEmail, CreateRequestID: c.CarID, FailedAt: events.Time(d.now()),
	}
	id := events.DerivedID("creation-failed", c.RequestID, c.ApprovalID, c.CarID)
	if _, err := events.Publish(ctx, d.JS, e, id, source, c.Cause); err != nil {
		return err
	}
	c.State, c.FailureReason, c.NewEmailNeeded = StateFailed, reason, askEmail
	if err := d.save(ctx, &c, &rev); err != nil && !conflict(err) {
		return err
	}
	d.Logger.Warn("account creation failed", "request_id", c.RequestID, "reason", reason, "new_root_email_needed", askEmail)
	return nil
}

// askNewEmail mails the reseller that the root email cannot be used, in the
// thread of the confirmation, asking for another.
func (d *Driver) askNewEmail(ctx context.Context, c Creation, reason string) error {
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
	data := mailer.ClarificationData{
		RequestID: c.RequestID, ContactName: rec.Request.Reseller.PrimaryContact.Name, CustomerName: rec.Request.Customer.Name,
		RootEmail: c.Email, Nickname: c.AccountName, SupportType: supportType(rec),
		Problems: []string{problem}, ReplyChannel: rec.ReplyChannel, SupportMailbox: rec.SupportMailbox, Sig: d.Sig,
	}
	kind := mailer.KindClarification + ".creation." + c.CarID
	msg, err := d.render(data, c.RequestID, kind, rec.Request.Reseller.PrimaryContact)
	if err != nil {
		return err
	}
	if rec.ReplyChannel != events.ReplySupportMailbox {
		if msg.ReplyTo, err = mailer.ReplyAddress(d.ReplyKey, c.RequestID, d.Inbox); err != nil {
			return err
		}
	}
	if rec.Confirmation != nil {
		msg.InReplyTo, msg.References = rec.Confirmation.MessageID, []string{rec.Confirmation.MessageID}
	}
	_, err = d.Outbox.Send(ctx, outbox.Key(kind, c.RequestID), mailer.KindClarification, msg)
	return err
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

// alert mails ops once per (request, creation, what). A failed alert is
// logged, not returned: it must not hold up the creation itself.
func (d *Driver) alert(ctx context.Context, c Creation, what, subject, body string) {
	if d.OpsEmail == "" {
		d.Logger.Warn("ops alert (no --ops-email)", "request_id", c.RequestID, "subject", subject, "body", body)
		return
	}
	kind := mailer.KindAlert + "." + what
	if c.CarID != "" { // none when the outcome is unknown: an empty part would make an invalid KV key
		kind += "." + c.CarID
	}
	msg, err := d.render(mailer.AlertData{Subject: subject, Body: body, RequestID: c.RequestID}, c.RequestID, kind, events.Party{Email: d.OpsEmail})
	if err == nil {
		_, err = d.Outbox.Send(ctx, outbox.Key(kind, c.RequestID, c.ApprovalID), mailer.KindAlert, msg)
	}
	if err != nil {
		d.Logger.Error("sending ops alert failed", "request_id", c.RequestID, "subject", subject, "err", err)
	}
}
