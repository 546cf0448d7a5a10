package tickets

import (
	"context"
	"fmt"
	"net/url"

	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// Outbox sends each email once per key.
type Outbox interface {
	Send(ctx context.Context, key, kind string, m mailer.Message) (bool, error)
}

// Email opens a ticket by mailing the support desk; the deterministic
// Message-ID is the ticket id, and the email ledger keeps it to one mail
// (its own retries are the email's: a failure comes back as retry.After or
// retry.Permanent and the ticket's record counts no attempt for it).
type Email struct {
	Outbox Outbox
	Domain string         // of Message-IDs
	To     mailer.Address // the support desk
}

func (e *Email) System() string { return events.TicketEmail }

func (e *Email) Open(ctx context.Context, t Ticket) (Opened, error) {
	subject, text, html, err := mailer.Render(t.Data)
	if err != nil {
		return Opened{}, retry.Permanent(fmt.Errorf("rendering ticket mail for change %s: %w", t.Data.ChangeID, err))
	}
	// Keyed by the change, not a request: a change may name no request.
	id := mailer.MessageID(nil, t.Data.ChangeID, mailer.KindTicket, e.Domain)
	m := mailer.Message{MessageID: id, To: e.To, Subject: subject, Text: text, HTML: html}
	if _, err := e.Outbox.Send(ctx, effect.Key(mailer.KindTicket, t.Data.ChangeID), mailer.KindTicket, m); err != nil {
		return Opened{}, err
	}
	return e.opened(t), nil
}

// Find never finds: Open is idempotent through the email ledger, so opening again
// is how an unknown outcome is resolved.
func (e *Email) Find(context.Context, Ticket) (Opened, bool, error) { return Opened{}, false, nil }

func (e *Email) opened(t Ticket) Opened {
	id := mailer.MessageID(nil, t.Data.ChangeID, mailer.KindTicket, e.Domain)
	return Opened{ID: id, URL: "mid:" + url.PathEscape(id)}
}
