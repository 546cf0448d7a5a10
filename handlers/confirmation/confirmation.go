// Package confirmation mails the reseller's primary contact when a request is
// routed (acct.routed.* → email → acct.confirmation.sent), asking for the root
// email, the account nickname and the support type.
package confirmation

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Outbox sends an email once per key; SendMarked takes the email's event as
// the record that it was sent.
type Outbox interface {
	SendMarked(ctx context.Context, key, kind string, m mailer.Message, mark effect.Mark) (bool, error)
}

// Handler sends confirmations.
type Handler struct {
	JS       events.Publisher
	Outbox   Outbox
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
	// The confirmation.sent event, under its deterministic id, is the
	// record that the email went: one ledger write (the claim) per email.
	eventID := events.DerivedID("confirmation-sent", id)
	_, err = h.Outbox.SendMarked(ctx, effect.Key(mailer.KindConfirmation, id), mailer.KindConfirmation, msg, effect.Mark{
		Subject: events.SubjectConfirmationSent, MsgID: eventID,
		Publish: func(ctx context.Context) error {
			sent := events.ConfirmationSent{
				RequestID: id, MessageID: msg.MessageID, Recipient: msg.To.Email, ReplyTo: msg.ReplyTo, SentAt: events.Time(h.Now()),
			}
			_, err := events.Publish(ctx, h.JS, sent, eventID, "acctflow/confirmation", m.Env)
			return err
		},
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
