package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/schemas"
)

// SupportChangeInput is a support type change as ops or an upstream system
// reports it. Empty fields are filled in: ChangeID generated, ReportedBy and
// Reseller from the request when RequestID names one.
type SupportChangeInput struct {
	ChangeID   string
	AccountID  string
	RequestID  string
	From, To   string
	ReportedBy events.Party
	Reseller   events.ResellerName
}

// ChangeSupport validates a support type change and publishes it on
// acct.support.changed. Field errors come back as *schemas.ValidationError
// (all at once); an unknown request as ErrNotFound. The same change id
// submitted twice is one message.
func (o *Ops) ChangeSupport(ctx context.Context, in SupportChangeInput) (events.SupportChanged, error) {
	ev := events.SupportChanged{
		ChangeID:   strings.TrimSpace(in.ChangeID),
		AccountID:  strings.TrimSpace(in.AccountID),
		RequestID:  strings.TrimSpace(in.RequestID),
		From:       strings.ToLower(strings.TrimSpace(in.From)),
		To:         strings.ToLower(strings.TrimSpace(in.To)),
		ChangedAt:  events.Time(o.Now()),
		ReportedBy: events.Party{Name: strings.TrimSpace(in.ReportedBy.Name), Email: strings.TrimSpace(in.ReportedBy.Email)},
		Reseller:   events.ResellerName{ID: strings.TrimSpace(in.Reseller.ID), Name: strings.TrimSpace(in.Reseller.Name)},
	}
	if ev.ChangeID == "" {
		ev.ChangeID = NewChangeID()
	}
	if ev.RequestID != "" {
		rec, err := o.Show(ctx, ev.RequestID)
		if err != nil {
			return events.SupportChanged{}, err
		}
		if r := rec.Request; r != nil {
			if ev.Reseller.ID == "" && ev.Reseller.Name == "" {
				ev.Reseller = events.ResellerName{ID: r.Reseller.ID, Name: r.Reseller.Name}
			}
			if ev.ReportedBy.Email == "" {
				ev.ReportedBy = r.Reseller.PrimaryContact
			}
		}
	}
	if ev.ReportedBy.Name == "" && ev.ReportedBy.Email != "" {
		// --by gives an address only; its local part names the reporter.
		ev.ReportedBy.Name, _, _ = strings.Cut(ev.ReportedBy.Email, "@")
	}
	if err := checkChange(ev); err != nil {
		return events.SupportChanged{}, err
	}
	id := events.DerivedID("support-changed", ev.ChangeID)
	if _, err := events.Publish(ctx, o.JS, ev, id, o.Source, events.Envelope{}); err != nil {
		return events.SupportChanged{}, err
	}
	return ev, nil
}

// checkChange validates against the schema and says plainly what its
// "from and to differ" rule means when that is what failed.
func checkChange(ev events.SupportChanged) error {
	_, err := events.Marshal(ev)
	var ve *schemas.ValidationError
	if err == nil || !errors.As(err, &ve) {
		return err
	}
	fields := ve.Fields[:0:0]
	for _, f := range ve.Fields {
		if f.Field == "/" && ev.From == ev.To {
			f = schemas.FieldError{Field: "/to", Message: fmt.Sprintf("same support type as from (%s): not a change", ev.To)}
		}
		fields = append(fields, f)
	}
	return &schemas.ValidationError{Schema: ve.Schema, Fields: fields}
}

// NewChangeID returns "CHG-" and ten random Crockford base32 characters.
func NewChangeID() string { return events.NewID("CHG") }
