// Package followup sends the post-creation checklist on acct.created: the
// account id and name, the root password reset, the IAM role to create for
// the distributor (with the account's external id) and the support plan.
package followup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "followup"

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
	Inbox                string // workflow inbox address
	Sig                  mailer.Signature
	DistributorAccountID string // the account the reseller's role must trust
	RoleName             string // suggested name of that role; optional
	Logger               *slog.Logger
}

func (h *Handler) Broker() broker.Handler {
	return broker.Handler{Name: Name, Subjects: []string{events.SubjectCreated}, Handle: h.Handle}
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
	subject, text, html, err := mailer.Render(mailer.FollowupData{
		RequestID: id, ContactName: rec.Request.Reseller.PrimaryContact.Name, CustomerName: rec.Request.Customer.Name,
		AccountID: created.AccountID, AccountName: created.AccountName, RootEmail: rec.Details.RootEmail,
		SupportType: rec.SupportType(), DistributorAccountID: h.DistributorAccountID, ExternalID: ext,
		RoleName: h.RoleName, Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("follow-up for %s: %w", id, err)
	}
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, id, mailer.KindFollowup, h.Domain),
		To:        mailer.Address{Name: rec.Request.Reseller.PrimaryContact.Name, Email: rec.Request.Reseller.PrimaryContact.Email},
		Subject:   subject, Text: text, HTML: html,
	}
	// The Role ARN may come back by reply, so the follow-up carries the
	// request's reply token like the confirmation did.
	if rec.ReplyChannel != events.ReplySupportMailbox && h.Inbox != "" {
		if msg.ReplyTo, err = mailer.ReplyAddress(h.ReplyKey, id, h.Inbox); err != nil {
			return retry.Permanent(err)
		}
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
