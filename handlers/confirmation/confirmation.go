// Package confirmation mails the reseller's primary contact when a request is
// routed (acct.routed.* → email → acct.confirmation.sent), asking for the root
// email, the account nickname and the support type.
package confirmation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Outbox sends an email once per key; SendMarked takes the email's event as
// the record that it was sent.
type Outbox interface {
	SendMarked(ctx context.Context, key, kind string, m mailer.Message, mark effect.Mark) (bool, error)
}

// Requests is the projection lookup that tells a confirmation already sent.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Handler sends confirmations.
type Handler struct {
	JS       events.Publisher
	Outbox   Outbox
	Requests Requests
	Domain   string // of Message-IDs
	ReplyKey []byte
	Inbox    string // workflow inbox, for US and CA
	Sig      mailer.Signature
	Logger   *slog.Logger
	Now      func() time.Time
}

const Name = "confirmation"

// Declaration is what confirmation touches in NATS (it reads its own events
// back to settle an email whose sending was in doubt).
var Declaration = broker.Declaration{
	Name:        Name,
	Inputs:      []string{events.SubjectRoutedPrefix + "*"},
	Outputs:     []string{events.SubjectConfirmationSent},
	Writes:      []string{broker.BucketMailSent},
	ReadsEvents: true,
	Effect:      events.EffectEmail, EffectKind: "confirmation",
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var routed events.AccountRouted
	if err := events.Unmarshal("account-routed", m.Data, &routed); err != nil {
		return retry.Permanent(fmt.Errorf("invalid AccountRouted: %w", err))
	}
	msg, err := h.Compose(routed)
	if err != nil {
		return retry.Permanent(err)
	}
	id := routed.RequestID
	rec, err := h.Requests.Get(ctx, id)
	if err != nil && !errors.Is(err, lifecycle.ErrNotFound) {
		return err
	}
	if rec.Confirmation != nil {
		// Sent and projected before: routing never routes a request twice,
		// but a second acct.routed (a replay, a copy past the duplicate
		// window) changes nothing.
		h.Logger.Info("confirmation sent before; nothing to do", "request_id", id, "message_id", rec.Confirmation.MessageID)
		return nil
	}
	// The confirmation.sent event, under its deterministic id, is the
	// record that the email went. Only this request's acct.routed asks for
	// it (routing publishes it under a deterministic id, and never for a
	// request its record shows routed), so its first attempt sends without
	// a claim: no ledger write for an email that goes. (A delivery a
	// stopping replica gave back unstarted was no attempt.) A replay, or
	// a message whose delivery metadata is missing, is claimed first.
	eventID := events.DerivedID("confirmation-sent", id)
	var asked effect.Asked
	if m.Header.Get(broker.HeaderReplayOf) == "" && !m.Stored.IsZero() {
		asked = effect.Asked{Delivery: m.Attempt(), Stored: m.Stored}
	}
	_, err = h.Outbox.SendMarked(ctx, effect.Key(mailer.KindConfirmation, id), mailer.KindConfirmation, msg, effect.Mark{
		Subject: events.SubjectConfirmationSent, MsgID: eventID,
		Publish: func(ctx context.Context) error {
			sent := events.ConfirmationSent{
				RequestID: id, MessageID: msg.MessageID, Recipient: msg.To.Email, ReplyTo: msg.ReplyTo, SentAt: events.Time(h.Now()),
			}
			_, err := events.Publish(ctx, h.JS, sent, eventID, "acctflow/confirmation", m.Env)
			return err
		},
		Asked: asked,
	})
	return err
}

// Compose builds the confirmation for a routed request, in the language of
// the reseller's country: US and CA contacts reply to the workflow inbox,
// everyone else to the region's support mailbox, both plus-addressed with
// the request's token.
func (h *Handler) Compose(r events.AccountRouted) (mailer.Message, error) {
	channel, mailbox, replyTo, err := mailer.ReplyPath(h.ReplyKey, r.RequestID, r.ReplyChannel, r.SupportMailbox, h.Inbox)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("reply address for %s: %w", r.RequestID, err)
	}
	contact := r.Request.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.ConfirmationData{
		RequestID: r.RequestID, ContactName: contact.Name, CustomerName: r.Request.Customer.Name,
		ReplyChannel: channel, SupportMailbox: mailbox, Lang: mailer.LangFor(r.Request.Reseller.Country, ""), Sig: h.Sig,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("rendering confirmation for %s: %w", r.RequestID, err)
	}
	return mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, r.RequestID, mailer.KindConfirmation, h.Domain),
		To:        mailer.Address{Name: contact.Name, Email: contact.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}, nil
}
