// Package acknowledgement tells the reseller, when their details are in
// (acct.details.submitted → email), that ops will now create the account:
// it restates the root email, the nickname, how AWS will show the account
// and the support type, in the reseller's language, with the request's
// reply path so that a mistake can still be corrected. One email per
// submission, however often the event is delivered.
package acknowledgement

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
const Name = "acknowledgement"

// Declaration is what acknowledgement touches in NATS.
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: []string{events.SubjectDetailsSubmitted},
	Writes: []string{broker.BucketMailSent},
}

// Requests is the projection lookup: the contact, the country (language)
// and the region's reply path.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Handler mails the acknowledgement.
type Handler struct {
	Requests Requests
	Outbox   Outbox
	Domain   string // of Message-IDs
	ReplyKey []byte
	Inbox    string // workflow inbox (US, CA)
	Sig      mailer.Signature
	Logger   *slog.Logger
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var d events.DetailsSubmitted
	if err := events.Unmarshal("details-submitted", m.Data, &d); err != nil {
		return retry.Permanent(fmt.Errorf("invalid DetailsSubmitted: %w", err))
	}
	rec, err := h.Requests.Get(ctx, d.RequestID)
	if errors.Is(err, lifecycle.ErrNotFound) || err == nil && rec.Request == nil {
		// Details are only submitted for a routed request; the projection
		// lags behind, so this resolves or dead-letters.
		return fmt.Errorf("acknowledgement for %s: request not projected yet", d.RequestID)
	}
	if err != nil {
		return err
	}
	// The submission is the event: its id is the same on every delivery
	// and differs for a later correction, which is acknowledged again.
	submission := events.DerivedID("details-submitted", m.Env.ID)
	msg, err := h.Compose(rec, d, submission)
	if err != nil {
		return retry.Permanent(err)
	}
	key := effect.Key(mailer.KindAcknowledgement, d.RequestID, submission)
	sent, err := h.Outbox.Send(ctx, key, mailer.KindAcknowledgement, msg)
	if err != nil {
		return err
	}
	h.Logger.Info("acknowledgement", "request_id", d.RequestID, "sent_now", sent)
	return nil
}

// Compose builds the acknowledgement of one submission of details.
func (h *Handler) Compose(rec lifecycle.Record, d events.DetailsSubmitted, submission string) (mailer.Message, error) {
	id := d.RequestID
	channel, mailbox, replyTo, err := mailer.ReplyPath(h.ReplyKey, id, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
	if err != nil {
		return mailer.Message{}, fmt.Errorf("acknowledgement for %s: reply address: %w", id, err)
	}
	awsName := d.AWSAccountName
	if awsName == "" {
		awsName = aws.AccountName(d.Nickname)
	}
	contact := rec.Request.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.AcknowledgementData{
		RequestID: id, ContactName: contact.Name, CustomerName: rec.Request.Customer.Name,
		RootEmail: d.RootEmail, Nickname: d.Nickname, AWSAccountName: awsName, SupportType: d.SupportType,
		ReplyChannel: channel, SupportMailbox: mailbox, Lang: mailer.LangFor(rec.Request.Reseller.Country, ""), Sig: h.Sig,
	})
	if err != nil {
		return mailer.Message{}, fmt.Errorf("rendering acknowledgement for %s: %w", id, err)
	}
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, id, mailer.KindAcknowledgement+"."+submission[:16], h.Domain),
		To:        mailer.Address{Name: contact.Name, Email: contact.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}
	// In the thread of the reply it answers, else of the confirmation.
	if rec.Confirmation != nil {
		msg.References = append(msg.References, rec.Confirmation.MessageID)
		msg.InReplyTo = rec.Confirmation.MessageID
	}
	if d.SourceMessageID != "" {
		msg.References = append(msg.References, d.SourceMessageID)
		msg.InReplyTo = d.SourceMessageID
	}
	return msg, nil
}
