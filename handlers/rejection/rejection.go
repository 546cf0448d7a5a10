// Package rejection tells the reseller why a request cannot go on and which
// portal steps to complete (acct.rejected → email), in the reseller's
// language, with the request's reply path.
package rejection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Outbox sends an email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Requests finds the request of an ops rejection, which carries none, and
// the region's reply path of a request already routed.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

type Handler struct {
	Outbox   Outbox
	Requests Requests
	Domain   string
	ReplyKey []byte // the request's reply token
	Inbox    string // workflow inbox: replies of US/CA and of requests never routed
	Sig      mailer.Signature
	Logger   *slog.Logger
}

const Name = "rejection"

// Declaration is what rejection touches in NATS.
var Declaration = broker.Declaration{
	Name:   Name,
	Inputs: []string{events.SubjectRejected},
	Writes: []string{broker.BucketMailSent},
	Effect: events.EffectEmail, EffectKind: "rejection",
}

func (h *Handler) Broker() broker.Handler {
	return Declaration.Handler(h.Handle)
}

func (h *Handler) Handle(ctx context.Context, m broker.Msg) error {
	var rej events.RequestRejected
	if err := events.Unmarshal("request-rejected", m.Data, &rej); err != nil {
		return retry.Permanent(fmt.Errorf("invalid RequestRejected: %w", err))
	}
	if slices.Contains(rej.Reasons, events.ReasonRequestIDConflict) {
		// An upstream mistake for ops to look at: the original request goes
		// on, and its reseller is told nothing.
		return nil
	}
	rec, err := h.Requests.Get(ctx, rej.RequestID)
	if err != nil && (rej.Request == nil || !errors.Is(err, lifecycle.ErrNotFound)) {
		return fmt.Errorf("looking up rejected request %s: %w", rej.RequestID, err)
	}
	req := rej.Request
	if req == nil {
		if rec.Request == nil {
			return retry.Permanent(fmt.Errorf("rejected request %s has no contact on record", rej.RequestID))
		}
		req = rec.Request
	}
	// Routing rejects before a region is known: those replies go to the
	// workflow inbox. An ops rejection of a routed request keeps its region's.
	channel, mailbox, replyTo, err := mailer.ReplyPath(h.ReplyKey, rej.RequestID, rec.ReplyChannel, rec.SupportMailbox, h.Inbox)
	if err != nil {
		return retry.Permanent(fmt.Errorf("reply address for %s: %w", rej.RequestID, err))
	}
	contact := req.Reseller.PrimaryContact
	subject, text, html, err := mailer.Render(mailer.RejectionData{
		RequestID: rej.RequestID, ContactName: contact.Name, CustomerName: req.Customer.Name,
		Reasons: rej.Reasons, OpsReason: rej.Detail, ReplyChannel: channel, SupportMailbox: mailbox,
		Lang: mailer.LangFor(req.Reseller.Country, ""), Sig: h.Sig,
	})
	if err != nil {
		return retry.Permanent(fmt.Errorf("rendering rejection for %s: %w", rej.RequestID, err))
	}
	// One email per distinct rejection: a corrected request rejected again
	// for other reasons is told again.
	qualifier := events.DerivedID(strings.Join(rej.Reasons, ","), rej.Detail)[:12]
	kind := mailer.KindRejection
	msg := mailer.Message{
		MessageID: mailer.MessageID(h.ReplyKey, rej.RequestID, kind+"."+qualifier, h.Domain),
		To:        mailer.Address{Name: contact.Name, Email: contact.Email},
		ReplyTo:   replyTo,
		Subject:   subject, Text: text, HTML: html,
	}
	_, err = h.Outbox.Send(ctx, effect.Key(kind, rej.RequestID, qualifier), kind, msg)
	return err
}
