// Package followup sends the post-creation checklist on acct.created: the
// account id and name, the root password reset, the IAM role to create for
// the distributor (with the account's external id) and the support plan.
package followup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "followup"

// Declaration is what followup touches in NATS (the account's external id
// is kept in accounts).
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: []string{events.SubjectCreated},
	Writes: []string{broker.BucketMailSent, broker.BucketAccounts},
	Effect: events.EffectEmail, EffectKind: "followup",
}

// Requests is the projection lookup the follow-up needs.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// ExternalIDStore gives each request's account its stable external id.
type ExternalIDStore interface {
	For(ctx context.Context, requestID string) (string, error)
}

// Handler mails the follow-up, exactly once per request.
type Handler struct {
	Requests             Requests
	ExternalIDs          ExternalIDStore
	Outbox               Outbox
	Domain               string // of Message-IDs
	ReplyKey             []byte
	Inbox                string // workflow inbox address (US, CA)
	Sig                  mailer.Signature
	DistributorAccountID string // the account the reseller's role must trust
	RoleName             string // suggested name of that role; optional
	Logger               *slog.Logger
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var created events.AccountCreated
	if err := events.Unmarshal("account-created", m.Data, &created); err != nil {
		return retry.Permanent(fmt.Errorf("invalid AccountCreated: %w", err))
	}
	id := created.RequestID
	rec, err := h.Requests.Get(ctx, id)
	if errors.Is(err, lifecycle.ErrNotFound) || err == nil && (rec.Request == nil || rec.Details == nil) {
		// The projection may lag; a request without details never had an
		// approval, so this resolves or dead-letters.
		return fmt.Errorf("follow-up for %s: request or details not projected yet", id)
	}
	if err != nil {
		return err
	}
	if h.DistributorAccountID == "" {
		return retry.Permanent(fmt.Errorf("follow-up for %s: --distributor-account-id is not set", id))
	}
	ext, err := h.ExternalIDs.For(ctx, id)
	if err != nil {
		return err
	}
	// The Role ARN may come back by reply, so the follow-up carries the
	// request's reply token, to the mailbox its region replies to.
	channel, mailbox, replyTo, err := mailer.ReplyPath(h.ReplyKey, id, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
	if err != nil {
		return retry.Permanent(fmt.Errorf("follow-up for %s: reply address: %w", id, err))
	}
	contact := rec.Request.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.FollowupData{
		RequestID: id, ContactName: contact.Name, CustomerName: rec.Request.Customer.Name,
		AccountID: created.AccountID, AccountName: awsAccountName(created, *rec.Details), Nickname: rec.Details.Nickname,
		RootEmail: rec.Details.RootEmail, SupportType: rec.SupportType(), DistributorAccountID: h.DistributorAccountID,
		ExternalID: ext, RoleName: h.RoleName, ReplyChannel: channel, SupportMailbox: mailbox,
		Lang: mailer.LangFor(rec.Request.Reseller.Country, ""), Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("follow-up for %s: %w", id, err)
	}
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, id, mailer.KindFollowup, h.Domain),
		To:        mailer.Address{Name: contact.Name, Email: contact.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}
	if rec.Confirmation != nil {
		msg.InReplyTo, msg.References = rec.Confirmation.MessageID, []string{rec.Confirmation.MessageID}
	}
	sent, err := h.Outbox.Send(ctx, effect.Key(mailer.KindFollowup, id), mailer.KindFollowup, msg)
	if err != nil {
		return err
	}
	h.Logger.Info("follow-up", "request_id", id, "account_id", created.AccountID, "sent_now", sent)
	return nil
}

// awsAccountName is how AWS shows the account: the name it was created
// with, else the one derived from the nickname when the details came in,
// else derived now (an account recorded by hand carries none).
func awsAccountName(created events.AccountCreated, d events.DetailsSubmitted) string {
	switch {
	case created.AccountName != "":
		return created.AccountName
	case d.AWSAccountName != "":
		return d.AWSAccountName
	}
	return aws.AccountName(d.Nickname)
}
