package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/handlers/ingest"
	"github.com/acctflow/acctflow/handlers/replies"
	"github.com/acctflow/acctflow/handlers/routing"
	"github.com/acctflow/acctflow/mailer/inbox"
	"github.com/acctflow/acctflow/mailer/reply"
	"github.com/acctflow/acctflow/secrets"
)

// repliesHandlers: the replies handler, which also starts the IMAP readers
// (background jobs, not consumers) unless --inbox=false.
func repliesHandlers() map[string]factory {
	return map[string]factory{replies.Name: newReplies}
}

func newReplies(ctx context.Context, d *deps) (broker.Handler, error) {
	m, err := d.mail(ctx)
	if err != nil {
		return broker.Handler{}, err
	}
	js := d.conn.JS
	roots, err := d.kv(ctx, broker.BucketRootEmails)
	if err != nil {
		return broker.Handler{}, err
	}
	raw, err := d.objects(ctx, broker.ObjectMailRaw)
	if err != nil {
		return broker.Handler{}, err
	}
	if on, _ := d.cmd.Flags().GetBool("inbox"); on {
		if err := startReaders(ctx, d, m); err != nil {
			return broker.Handler{}, err
		}
	}
	boxes, err := replyMailboxes(d, m)
	if err != nil {
		return broker.Handler{}, err
	}
	trusted, _ := d.cmd.Flags().GetStringSlice("trusted-authserv-id")
	h := &replies.Handler{
		JS: js, Requests: d.store, Raw: raw, RootEmails: roots,
		Outbox: m.Outbox, Domain: m.Domain, Keys: m.Keys, Inbox: m.Inbox, Mailboxes: boxes, TrustedAuthServ: trusted, Sig: m.Sig,
		Logger: d.log.With("handler", replies.Name), Now: time.Now,
		Events: &replies.StreamEvents{JS: js, Stream: events.Stream},
	}
	return h.Broker(), nil
}

// startReaders registers one IMAP reader per mailbox as a background job.
func startReaders(ctx context.Context, d *deps, m *mail) error {
	cfgs, err := imapConfigs(d, m)
	if err != nil {
		return err
	}
	if len(cfgs) == 0 {
		d.log.Warn("no IMAP mailbox to read: set --imap-host and --imap-mailboxes (or --imap-user), or run the sandbox")
		return nil
	}
	js := d.conn.JS
	kv, err := d.kv(ctx, broker.BucketIMAPCursor)
	if err != nil {
		return err
	}
	objects, err := d.objects(ctx, broker.ObjectMailRaw)
	if err != nil {
		return err
	}
	sink := &ingest.Sink{Objects: objects, JS: js, Logger: d.log.With("component", "inbox"), Now: time.Now}
	var readers []*inbox.Reader
	for _, cfg := range cfgs {
		r, err := inbox.NewReader(cfg, sink, ingest.Cursor{KV: kv})
		if err != nil {
			return fmt.Errorf("IMAP reader for %s: %w", cfg.Folder, err)
		}
		readers = append(readers, r)
	}
	for _, r := range readers {
		d.components.Add(r)
		d.background = append(d.background, r.Breaker().Run)
	}
	d.background = append(d.background, func(ctx context.Context) error {
		var wg sync.WaitGroup
		for _, r := range readers {
			wg.Add(1)
			go func() { defer wg.Done(); _ = r.Run(ctx) }() // Run retries until ctx ends
		}
		wg.Wait()
		return ctx.Err()
	})
	d.log.Info("reading replies over IMAP", "mailboxes", len(readers))
	return nil
}

// imapConfigs: with --imap-host, the accounts of --imap-mailboxes (or
// --imap-user's INBOX); without it and with the sandbox running, the
// sandbox's workflow inbox and every region's support mailbox.
func imapConfigs(d *deps, m *mail) ([]inbox.Config, error) {
	f := d.cmd.Flags()
	base := inbox.Config{MoveTo: d.flag("imap-move-to"), Logger: d.log.With("component", "inbox"),
		ProbeInterval: d.probeInterval(), Metrics: d.circuitMetrics(), Alert: d.opsAlert(m)}
	base.Poll, _ = f.GetDuration("imap-poll")
	size, _ := f.GetInt64("imap-max-size")
	base.MaxSize = size
	host := d.flag("imap-host")
	if host == "" {
		if m.Sandbox == nil {
			return nil, nil
		}
		base.Addr, base.TLS = m.Sandbox.IMAPAddr(), inbox.TLSNone
		base.Password = m.SandboxPassword
		if base.Password == "" {
			base.Password = "sandbox" // the sandbox takes any password, IMAP needs one
		}
		boxes, err := replyMailboxes(d, m)
		if err != nil {
			return nil, err
		}
		return perMailbox(base, boxes), nil
	}
	port, _ := f.GetInt("imap-port")
	base.Addr, base.TLS = net.JoinHostPort(host, fmt.Sprint(port)), d.flag("imap-tls")
	base.CAFile, base.TLSServerName = d.flag("imap-ca"), d.flag("imap-tls-server-name")
	pw, pwFile, err := rotatableSecret("ACCTFLOW_IMAP_PASSWORD")
	if err != nil {
		return nil, err
	}
	base.Password, base.PasswordFile = pw, pwFile
	boxes, err := replyMailboxes(d, m)
	if err != nil {
		return nil, err
	}
	list, user := d.flag("imap-mailboxes"), d.flag("imap-user")
	var out []inbox.Config
	switch {
	case list == "" && user == "":
		// Every mailbox replies come to — the workflow inbox and each
		// region's support mailbox — as its own login, as the sandbox has them.
		out = perMailbox(base, boxes)
	case list == "" && len(boxes) > 1:
		d.log.Warn("reading only one IMAP account's INBOX: replies sent to the other reply mailboxes are read only if they are delivered there; list every mailbox in --imap-mailboxes to read each",
			"imap_user", user, "reply_mailboxes", strings.Join(boxes, ","))
		fallthrough
	default:
		if out, err = parseMailboxes(base, list, user); err != nil {
			return nil, err
		}
	}
	return passwordsPerMailbox(out, os.Getenv("ACCTFLOW_IMAP_PASSWORD_DIR"))
}

// passwordsPerMailbox gives each mailbox the password in dir/<its user>
// when that file exists (ACCTFLOW_IMAP_PASSWORD_DIR: one file per account,
// as a mounted secret has them; read at every login, so it rotates like
// ACCTFLOW_IMAP_PASSWORD_FILE). A mailbox without its file keeps the shared
// password; with a dir and no shared password, every mailbox needs one.
func passwordsPerMailbox(boxes []inbox.Config, dir string) ([]inbox.Config, error) {
	if dir == "" {
		return boxes, nil
	}
	for i, b := range boxes {
		path := filepath.Join(dir, b.Username)
		if data, err := os.ReadFile(path); err == nil && filepath.Base(path) == b.Username {
			// Read now only to refuse a placeholder at start.
			if err := secrets.Check("ACCTFLOW_IMAP_PASSWORD_DIR "+path, strings.TrimSpace(string(data))); err != nil {
				return nil, err
			}
			boxes[i].Password, boxes[i].PasswordFile = "", path
			continue
		}
		if b.Password == "" && b.PasswordFile == "" {
			return nil, fmt.Errorf("IMAP mailbox %s has no password: no file %s in ACCTFLOW_IMAP_PASSWORD_DIR and no ACCTFLOW_IMAP_PASSWORD", b.Username, path)
		}
	}
	return boxes, nil
}

// perMailbox reads each mailbox's INBOX with the mailbox as its login.
func perMailbox(base inbox.Config, boxes []string) []inbox.Config {
	out := make([]inbox.Config, 0, len(boxes))
	for _, b := range boxes {
		c := base
		c.Username = b
		out = append(out, c)
	}
	return out
}

// parseMailboxes reads --imap-mailboxes: comma-separated USER or
// USER/FOLDER entries (FOLDER defaults to INBOX; everything after the first
// "/" is the folder). Empty: --imap-user's INBOX.
func parseMailboxes(base inbox.Config, list, user string) ([]inbox.Config, error) {
	var out []inbox.Config
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		c := base
		c.Username, c.Folder, _ = strings.Cut(e, "/")
		if c.Username == "" {
			c.Username = user
		}
		if c.Username == "" {
			return nil, fmt.Errorf("--imap-mailboxes entry %q names no user", e)
		}
		out = append(out, c)
	}
	if len(out) == 0 && user != "" {
		c := base
		c.Username = user
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("--imap-host needs --imap-user or --imap-mailboxes")
	}
	return out, nil
}

func appendFold(list []string, s string) []string {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return list
		}
	}
	return append(list, s)
}

// replyMailboxes are every address of ours replies come to: the workflow
// inbox and each region's support mailbox.
func replyMailboxes(d *deps, m *mail) (replies.Mailboxes, error) {
	boxes := []string{m.Inbox}
	table, err := routing.LoadTable(d.flag("regions"))
	if err != nil {
		return nil, err
	}
	for _, name := range table.Regions() {
		if r, _ := table.Region(name); r.SupportMailbox != "" {
			boxes = appendFold(boxes, r.SupportMailbox)
		}
	}
	return boxes, nil
}

// addRepliesFlags adds the inbound mail settings of serve.
func addRepliesFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSlice("trusted-authserv-id", nil, "authserv-id of a receiving mail server whose Authentication-Results (DMARC/DKIM) are believed; repeatable; none by default")
	f.Bool("inbox", true, "read replies over IMAP (run the readers in one replica only, or accept harmless duplicate fetches)")
	f.String("imap-host", "", "IMAP server; empty with the dev sandbox reads the sandbox's workflow inbox and support mailboxes")
	f.Int("imap-port", 993, "IMAP port")
	f.String("imap-user", "", "IMAP user name (password from ACCTFLOW_IMAP_PASSWORD or ACCTFLOW_IMAP_PASSWORD_FILE)")
	f.String("imap-tls", inbox.TLSImplicit, "IMAP TLS: implicit, starttls or none")
	f.String("imap-ca", "", "PEM file of CA certificates to trust for IMAP, in addition to the system roots (a private CA)")
	f.String("imap-tls-server-name", "", "name the IMAP server's certificate must carry (default: --imap-host)")
	f.String("imap-mailboxes", "", "comma-separated USER or USER/FOLDER entries to read (default: every reply mailbox — the workflow inbox and each region's support mailbox — as its own login; with --imap-user alone, that account's INBOX)")
	f.Duration("imap-poll", inbox.DefaultPoll, "polling interval without IDLE, and IDLE restart interval")
	f.Int64("imap-max-size", inbox.DefaultMaxSize, "messages larger than this are recorded as too large, not downloaded")
	f.String("imap-move-to", "", "folder processed messages are moved to (default: flag them \\Seen and $AcctflowProcessed)")
}

// repliesCommands: `reply parse`.
func repliesCommands() []*cobra.Command {
	cmd := &cobra.Command{Use: "reply", Short: "Inbound replies"}
	cmd.AddCommand(heldCommands()...)
	cmd.AddCommand(&cobra.Command{
		Use:   "parse FILE|-",
		Short: "Print the extraction of one .eml as JSON (offline; - reads stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := readEML(cmd, args[0])
			if err != nil {
				return err
			}
			out, err := json.MarshalIndent(reply.Parse(raw).Extraction, "", "  ")
			if err != nil {
				return fmt.Errorf("encoding extraction: %w", err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), string(out))
			return err
		},
	})
	return []*cobra.Command{cmd}
}

// maxParseInput matches the inbox's default size limit with room to spare.
const maxParseInput = 32 << 20

func readEML(cmd *cobra.Command, name string) ([]byte, error) {
	var r io.Reader = cmd.InOrStdin()
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", name, err)
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxParseInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(raw) > maxParseInput {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxParseInput)
	}
	return raw, nil
}
