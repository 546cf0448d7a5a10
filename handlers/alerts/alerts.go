// Package alerts mails ops once per failed effect (acct.effect.failed: an
// email, a ticket, CreateAccount or a role check dead-lettered or blocked)
// and once per Role ARN that could not be checked (acct.role.unverified):
// what failed, for which request, the server's words and what to do.
package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Name is the handler's name in --handlers and its consumer's durable name.
const Name = "alerts"

// Declaration is what alerts touches in NATS.
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: []string{events.SubjectEffectFailed, events.SubjectRoleUnverified},
	Writes: []string{broker.BucketMailSent},
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Handler mails the alerts.
type Handler struct {
	Outbox               Outbox
	OpsEmail             string
	DistributorAccountID string // named in the unverified-role alert; optional
	Domain               string // of Message-IDs
	Logger               *slog.Logger
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var (
		data  mailer.Data
		about string // the request or change the alert is about
	)
	switch m.Subject {
	case events.SubjectEffectFailed:
		var e events.EffectFailed
		if err := events.Unmarshal("effect-failed", m.Data, &e); err != nil {
			return retry.Permanent(fmt.Errorf("invalid EffectFailed: %w", err))
		}
		if e.Handler == Name {
			// Our own alert failed: alerting about it would fail the same
			// way, again and again.
			h.Logger.Error("an ops alert could not be sent", "outcome", e.Outcome, "err", e.Error, "dlq_seq", e.DLQSeq)
			return nil
		}
		data, about = mailer.FailureAlertData{RequestID: e.RequestID, ChangeID: e.ChangeID, Effect: e.Effect, What: e.Kind,
			Outcome: e.Outcome, Handler: e.Handler, Input: e.Input, Error: e.Error, DLQSeq: e.DLQSeq, FailedAt: parseTime(e.FailedAt)}, e.Key()
	case events.SubjectRoleUnverified:
		var e events.RoleUnverified
		if err := events.Unmarshal("role-unverified", m.Data, &e); err != nil {
			return retry.Permanent(fmt.Errorf("invalid RoleUnverified: %w", err))
		}
		data, about = mailer.RoleAlertData{RequestID: e.RequestID, RoleARN: e.RoleARN, AccountID: e.AccountID,
			DistributorAccountID: h.DistributorAccountID, Reason: e.Reason, At: parseTime(e.UnverifiedAt)}, e.RequestID
	default:
		return retry.Permanent(fmt.Errorf("alerts: unexpected subject %s", m.Subject))
	}
	if h.OpsEmail == "" {
		return retry.Permanent(fmt.Errorf("alert about %s: --ops-email is not set", about))
	}
	subject, text, html, err := mailer.Render(data)
	if err != nil {
		return fmt.Errorf("alert about %s: %w", about, err)
	}
	// One alert per event: its id names the email.
	event := events.DerivedID(m.Subject, m.Env.ID)
	msg := mailer.Message{
		MessageID: mailer.MessageID(nil, about, data.Kind()+"."+event[:12], h.Domain),
		To:        mailer.Address{Email: h.OpsEmail},
		Subject:   subject, Text: text, HTML: html,
	}
	sent, err := h.Outbox.Send(ctx, events.JoinKey(data.Kind(), event), data.Kind(), msg)
	if err != nil {
		return err
	}
	h.Logger.Info("ops alert", "kind", data.Kind(), "about", about, "sent_now", sent)
	return nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}
