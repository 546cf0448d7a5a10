package tickets

import (
	"context"
	"fmt"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/retry"
)

// FreshdeskAPI is the part of *helpdesk.Freshdesk the desk calls.
type FreshdeskAPI interface {
	Create(ctx context.Context, t helpdesk.Ticket) (helpdesk.Created, error)
	FindByTag(ctx context.Context, tag string) (helpdesk.Created, bool, error)
}

// Freshdesk opens tickets through a Freshdesk-compatible REST API.
type Freshdesk struct {
	API       FreshdeskAPI
	Requester string // requester email for every ticket; empty: the reporter
	Priority  int    // helpdesk.PriorityLow…Urgent; 0: the help desk's default
}

func (f *Freshdesk) System() string { return events.TicketFreshdesk }

func (f *Freshdesk) Open(ctx context.Context, t Ticket) (Opened, error) {
	subject, html, err := mailer.TicketDescription(t.Data)
	if err != nil {
		return Opened{}, retry.Permanent(fmt.Errorf("rendering ticket for change %s: %w", t.Data.ChangeID, err))
	}
	email := f.Requester
	if email == "" {
		email = t.Reporter
	}
	c, err := f.API.Create(ctx, helpdesk.Ticket{
		Subject: subject, DescriptionHTML: html, Email: email,
		Priority: f.Priority, Status: helpdesk.StatusOpen,
		Tags: []string{"acctflow", "support-change", t.Tag},
	})
	if err != nil {
		return Opened{}, err
	}
	return Opened{ID: c.ID, URL: c.URL}, nil
}

func (f *Freshdesk) Find(ctx context.Context, t Ticket) (Opened, bool, error) {
	c, ok, err := f.API.FindByTag(ctx, t.Tag)
	return Opened{ID: c.ID, URL: c.URL}, ok, err
}
