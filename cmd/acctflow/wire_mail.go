package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/handlers/confirmation"
	"github.com/acctflow/acctflow/handlers/rejection"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// mailHandlers: confirmation and rejection emails.
func mailHandlers() map[string]factory {
	return map[string]factory{
		confirmation.Name: func(ctx context.Context, d *deps) (broker.Handler, error) {
			m, err := d.mail(ctx)
			if err != nil {
				return broker.Handler{}, err
			}
			h := &confirmation.Handler{JS: d.conn.JS, Outbox: m.Outbox, Requests: d.store, Domain: m.Domain, ReplyKey: m.Key,
				Inbox: m.Inbox, Sig: m.Sig, Logger: d.log, Now: time.Now}
			return h.Broker(), nil
		},
		rejection.Name: func(ctx context.Context, d *deps) (broker.Handler, error) {
			m, err := d.mail(ctx)
			if err != nil {
				return broker.Handler{}, err
			}
			h := &rejection.Handler{Outbox: m.Outbox, Requests: d.store, Domain: m.Domain, ReplyKey: m.Key, Inbox: m.Inbox,
				Sig: m.Sig, Logger: d.log}
			return h.Broker(), nil
		},
	}
}

// mailCommands are the mail client commands.
func mailCommands() []*cobra.Command { return []*cobra.Command{newDevmail()} }

// newDevmail runs the dev mail sandbox as a process of its own, so mail
// survives when acctflow is killed.
func newDevmail() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "devmail",
		Short: "Run the dev mail sandbox alone: SMTP that accepts any recipient, IMAP with a mailbox per address",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := logger(cmd)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			get := func(n string) string { v, _ := f.GetString(n); return v }
			pw, err := devMailPassword(f)
			if err != nil {
				return err
			}
			sb, err := devmail.Start(cmd.Context(), devmail.Config{
				SMTPAddr: get("dev-smtp"), IMAPAddr: get("dev-imap"), Password: pw,
				Dir: get("data-dir"), Logger: log,
			})
			if err != nil {
				return fmt.Errorf("starting dev mail sandbox: %w", err)
			}
			log.Info("dev mail sandbox running", "smtp", sb.SMTPAddr(), "imap", sb.IMAPAddr(), "dir", get("data-dir"))
			<-cmd.Context().Done()
			return sb.Close()
		},
	}
	f := cmd.Flags()
	f.String("dev-smtp", "127.0.0.1:2525", "SMTP listen address")
	f.String("dev-imap", "127.0.0.1:1143", "IMAP listen address")
	addDevMailPasswordFlag(f)
	f.String("data-dir", "", "keep mailboxes on disk here (empty: memory only)")
	return cmd
}
