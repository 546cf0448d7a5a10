package tickets

import (
	"context"

	"github.com/acctflow/acctflow/mailer"
)

// Desk is where tickets are opened: a help desk API or a support mailbox.
// Errors are classified with package retry; an error matching
// helpdesk.ErrOutcomeUnknown means the ticket may exist anyway.
type Desk interface {
	// System is the ticket-created system: freshdesk or email.
	System() string
	// Open makes one attempt to open the ticket.
	Open(ctx context.Context, t Ticket) (Opened, error)
	// Find looks the ticket up by its unique tag after an unknown outcome.
	Find(ctx context.Context, t Ticket) (Opened, bool, error)
}

// Ticket is one support change to report.
type Ticket struct {
	Tag      string // unique per change: helpdesk.ChangeTag(change id)
	Reporter string // email of whoever reported the change
	Data     mailer.TicketData
}

// Opened identifies a ticket in its system.
type Opened struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}
