package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/tickets"
	"github.com/acctflow/acctflow/helpdesk"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/ops"
	"github.com/acctflow/acctflow/schemas"
)

// ticketHandlers lists this area's handlers (H2: tickets).
func ticketHandlers() map[string]factory {
	return map[string]factory{tickets.Name: newTicketsHandler}
}

// newTicketsHandler opens tickets in Freshdesk when --freshdesk-url is set,
// else mails them to --support-desk-email (the sandbox by default).
func newTicketsHandler(ctx context.Context, d *deps) (broker.Handler, error) {
	desk, err := ticketDesk(ctx, d)
	if err != nil {
		return broker.Handler{}, err
	}
	t, err := d.kv(ctx, broker.BucketTickets)
	if err != nil {
		return broker.Handler{}, err
	}
	a, err := d.kv(ctx, broker.BucketAccounts)
	if err != nil {
		return broker.Handler{}, err
	}
	h := &tickets.Handler{
		JS: d.conn.JS, Ledger: effect.NewLedger(t, "", d.log.With("handler", tickets.Name)), Accounts: a, Requests: d.store, Desk: desk,
		Metrics: tickets.NewMetrics(d.reg), Logger: d.log.With("handler", tickets.Name), Now: time.Now,
	}
	return h.Broker(), nil
}

func ticketDesk(ctx context.Context, d *deps) (tickets.Desk, error) {
	f := d.cmd.Flags()
	priority, _ := f.GetInt("ticket-priority")
	if priority < helpdesk.PriorityLow || priority > helpdesk.PriorityUrgent {
		return nil, fmt.Errorf("--ticket-priority %d: want 1 (low) to 4 (urgent)", priority)
	}
	if url := d.flag("freshdesk-url"); url != "" {
		key, err := secret("ACCTFLOW_FRESHDESK_API_KEY")
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, errors.New("--freshdesk-url is set but ACCTFLOW_FRESHDESK_API_KEY (or _FILE) is empty")
		}
		// The client's 30 s timeout stays under one attempt's bound (5/6
		// of the handler's 1-minute lease).
		api, err := helpdesk.NewFreshdesk(url, key, nil)
		if err != nil {
			return nil, err
		}
		guarded := helpdesk.NewGuarded(api, d.helpdeskCircuit())
		d.addCircuit(guarded.Breaker())
		return &tickets.Freshdesk{API: guarded, Requester: mailAddr(d.flag("ticket-requester")), Priority: priority}, nil
	}
	m, err := d.mail(ctx)
	if err != nil {
		return nil, err
	}
	to := mailAddr(d.flag("support-desk-email"))
	if !strings.Contains(to, "@") {
		return nil, fmt.Errorf("--support-desk-email %q is not an address", d.flag("support-desk-email"))
	}
	return &tickets.Email{Outbox: m.Outbox, Domain: m.Domain, To: mailer.Address{Name: "Support Desk", Email: to}}, nil
}

// addTicketFlags adds this area's serve flags.
func addTicketFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("freshdesk-url", "", "Freshdesk-compatible help desk for support-change tickets (API key from ACCTFLOW_FRESHDESK_API_KEY); empty mails --support-desk-email")
	f.String("ticket-requester", "", "requester email of every ticket (default: whoever reported the change)")
	f.Int("ticket-priority", helpdesk.PriorityMedium, "ticket priority: 1 low, 2 medium, 3 high, 4 urgent")
}

// ticketCommands are this area's client commands.
func ticketCommands() []*cobra.Command {
	cmd := &cobra.Command{Use: "support", Short: "Report support type changes"}
	cmd.AddCommand(newSupportChange())
	return []*cobra.Command{cmd}
}

func newSupportChange() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "change --account-id N --from X --to Y",
		Short: "Report a support type change (business, developer, basic, enterprise); prints the change id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			get := func(n string) string { v, _ := cmd.Flags().GetString(n); return v }
			in := ops.SupportChangeInput{
				ChangeID: get("change-id"), AccountID: get("account-id"), RequestID: get("request-id"),
				From: get("from"), To: get("to"),
				ReportedBy: events.Party{Email: get("by"), Name: get("by-name")},
				Reseller:   events.ResellerName{ID: get("reseller-id"), Name: get("reseller-name")},
			}
			o, conn, err := client(cmd)
			if err != nil {
				return err
			}
			defer conn.Close()
			ev, err := o.ChangeSupport(cmd.Context(), in)
			if err != nil {
				return describeChange(err, in.RequestID)
			}
			fmt.Fprintln(cmd.OutOrStdout(), ev.ChangeID)
			return nil
		},
	}
	f := cmd.Flags()
	f.String("account-id", "", "AWS account id (12 digits)")
	f.String("from", "", "support type before the change")
	f.String("to", "", "support type after the change")
	f.String("request-id", "", "request the account came from (fills reseller and reporter)")
	f.String("by", "", "email of whoever reports the change (default: the request's primary contact)")
	f.String("by-name", "", "name of whoever reports the change (default: the email's local part)")
	f.String("reseller-id", "", "reseller id (required without --request-id)")
	f.String("reseller-name", "", "reseller name (required without --request-id)")
	f.String("change-id", "", "change id, to make a retried report idempotent (default: generated)")
	for _, n := range []string{"account-id", "from", "to"} {
		_ = cmd.MarkFlagRequired(n)
	}
	addNATSFlags(cmd, "nats://127.0.0.1:4222", "NATS server URL")
	return cmd
}

// flagOf names the flag behind each field of the event.
var flagOf = map[string]string{
	"/change_id": "--change-id", "/account_id": "--account-id", "/request_id": "--request-id",
	"/from": "--from", "/to": "--to", "/reported_by": "--by", "/reported_by/email": "--by",
	"/reported_by/name": "--by-name", "/reseller": "--reseller-id/--reseller-name",
	"/reseller/id": "--reseller-id", "/reseller/name": "--reseller-name",
}

// describeChange turns a validation error into one line naming each flag.
func describeChange(err error, requestID string) error {
	var ve *schemas.ValidationError
	if errors.As(err, &ve) {
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			name := f.Field
			if fl, ok := flagOf[f.Field]; ok {
				name = fl
			}
			parts[i] = name + ": " + f.Message
		}
		return fmt.Errorf("invalid support change: %s", strings.Join(parts, "; "))
	}
	if ops.IsNotFound(err) {
		return fmt.Errorf("--request-id %s: no such request", requestID)
	}
	return err
}
