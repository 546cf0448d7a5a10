package roles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "roles"

// Declaration is what roles touches in NATS.
var Declaration = broker.Declaration{
	Name:    Name,
	Inputs:  []string{events.SubjectRoleSubmitted},
	Outputs: []string{events.SubjectRoleValidated, events.SubjectRoleRejected, events.SubjectRoleUnverified},
	Writes:  []string{broker.BucketMailSent, broker.BucketAccounts},
	Effect:  events.EffectRoleCheck,
}

const source = "acctflow/roles"

// Requests is the projection lookup role validation needs.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Validator assumes the role (aws.STS).
type Validator interface {
	ValidateRole(ctx context.Context, roleARN, externalID string) (string, error)
}

// ExternalIDStore gives each request's account its stable external id.
type ExternalIDStore interface {
	For(ctx context.Context, requestID string) (string, error)
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Handler validates submitted Role ARNs.
type Handler struct {
	JS       events.Publisher
	Requests Requests
	// STS checks the role; nil when no AWS access is configured, and then
	// a role that passes the checks without AWS is unverified at once (ops
	// check it by hand) instead of retrying for nothing.
	STS                  Validator
	ExternalIDs          ExternalIDStore
	Outbox               Outbox
	Domain               string
	ReplyKey             []byte // signs the Reply-To of the rejection email
	Inbox                string // workflow inbox (US/CA replies)
	Sig                  mailer.Signature
	DistributorAccountID string
	Logger               *slog.Logger
	Now                  func() time.Time
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var sub events.RoleSubmitted
	if err := events.Unmarshal("role-submitted", m.Data, &sub); err != nil {
		return retry.Permanent(fmt.Errorf("invalid RoleSubmitted: %w", err))
	}
	rec, err := h.Requests.Get(ctx, sub.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) {
		return retry.Permanent(fmt.Errorf("role for unknown request %s: %w", sub.RequestID, err))
	}
	if err != nil {
		return err
	}
	// Outputs are keyed by the submission, so a redelivery repeats nothing
	// and a later resubmission of the same ARN is checked again.
	key := events.DerivedID(sub.RequestID, sub.RoleARN, m.Env.ID)
	role, reason, explanation := Precheck(sub.RoleARN, rec)
	if reason != "" {
		return h.reject(ctx, m, sub, rec, key, reason, explanation)
	}
	if h.STS == nil {
		e := events.RoleUnverified{RequestID: sub.RequestID, RoleARN: role.String(), AccountID: role.AccountID,
			Reason: "no AWS access is configured, so AssumeRole could not be tried: check the role by hand", UnverifiedAt: events.Time(h.Now())}
		h.Logger.Warn("role not verified: no AWS access configured", "request_id", sub.RequestID, "role_arn", role.String())
		_, err := events.Publish(ctx, h.JS, e, events.DerivedID("role-unverified", key), source, m.Env)
		return err
	}
	ext, err := h.ExternalIDs.For(ctx, sub.RequestID)
	if err != nil {
		return err
	}
	caller, err := h.STS.ValidateRole(ctx, role.String(), ext)
	var rej *aws.RejectedError
	switch {
	case errors.As(err, &rej):
		return h.reject(ctx, m, sub, rec, key, ReasonAccessDenied, rej.Reason)
	case err != nil:
		return fmt.Errorf("validating role %s of %s: %w", role, sub.RequestID, err)
	}
	e := events.RoleValidated{RequestID: sub.RequestID, RoleARN: role.String(), AccountID: role.AccountID, CallerARN: caller, ValidatedAt: events.Time(h.Now())}
	if _, err := events.Publish(ctx, h.JS, e, events.DerivedID("role-validated", key), source, m.Env); err != nil {
		return err
	}
	h.Logger.Info("role validated", "request_id", sub.RequestID, "role_arn", role.String())
	return nil
}

// reject mails the contact what to fix (when the account exists, so that
// the mail can say which one) and publishes acct.role.rejected.
func (h *Handler) reject(ctx context.Context, m broker.Msg, sub events.RoleSubmitted, rec lifecycle.Record, key, reason, explanation string) error {
	if rec.Account != nil && rec.Request != nil && h.DistributorAccountID != "" {
		if err := h.mail(ctx, sub, rec, key, explanation); err != nil {
			return err
		}
	}
	e := events.RoleRejected{RequestID: sub.RequestID, RoleARN: sub.RoleARN, Reason: reason, Explanation: explanation, RejectedAt: events.Time(h.Now())}
	if _, err := events.Publish(ctx, h.JS, e, events.DerivedID("role-rejected", key), source, m.Env); err != nil {
		return err
	}
	h.Logger.Info("role rejected", "request_id", sub.RequestID, "reason", reason)
	return nil
}

func (h *Handler) mail(ctx context.Context, sub events.RoleSubmitted, rec lifecycle.Record, key, explanation string) error {
	ext, err := h.ExternalIDs.For(ctx, sub.RequestID)
	if err != nil {
		return err
	}
	c := rec.Request.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.RoleRejectedData{
		RequestID: sub.RequestID, ContactName: c.Name, CustomerName: rec.Request.Customer.Name,
		AccountID: rec.Account.AccountID, RoleARN: sub.RoleARN, Reason: explanation,
		DistributorAccountID: h.DistributorAccountID, ExternalID: ext,
		Lang: mailer.LangFor(rec.Request.Reseller.Country, ""), Sig: h.Sig,
	})
	if err != nil {
		return fmt.Errorf("role rejection mail for %s: %w", sub.RequestID, err)
	}
	// The reseller answers with the corrected ARN: to the mailbox of their
	// region, with the token that proves the answer.
	_, _, replyTo, err := mailer.ReplyPath(h.ReplyKey, sub.RequestID, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
	if err != nil {
		return fmt.Errorf("role rejection mail for %s: %w", sub.RequestID, err)
	}
	kind := mailer.KindRoleRejected + "." + key[:12]
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, sub.RequestID, kind, h.Domain), To: mailer.Address{Name: c.Name, Email: c.Email},
		ReplyTo: replyTo, Subject: subject, Text: text, HTML: html,
	}
	_, err = h.Outbox.Send(ctx, events.JoinKey(mailer.KindRoleRejected, sub.RequestID, key), mailer.KindRoleRejected, msg)
	return err
}
