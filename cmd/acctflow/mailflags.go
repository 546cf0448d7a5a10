package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// addMailFlags adds the outbound and inbound mail settings of serve.
// Passwords come only from ACCTFLOW_SMTP_PASSWORD / ACCTFLOW_IMAP_PASSWORD
// (or their _FILE twins), the reply key from ACCTFLOW_REPLY_KEY.
func addMailFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("smtp-host", "", "SMTP server; empty starts the dev mail sandbox")
	f.Int("smtp-port", 587, "SMTP port (465 means implicit TLS)")
	f.String("smtp-user", "", "SMTP user name (password from ACCTFLOW_SMTP_PASSWORD)")
	f.String("smtp-tls", "mandatory", "SMTP TLS policy: mandatory, opportunistic or none")
	f.Duration("smtp-timeout", 30*time.Second, "SMTP connection and command timeout")
	f.String("mail-from", "Account Provisioning <provisioning@acctflow.localhost>", "sender of every email")
	f.String("inbox-address", "acct-replies@acctflow.localhost", "workflow inbox that US/CA resellers reply to (plus-addressed per request)")
	f.String("company-name", "", "company named in email signatures")
	f.String("dev-smtp", "127.0.0.1:2525", "dev mail sandbox SMTP address (used when --smtp-host is empty)")
	f.String("dev-imap", "127.0.0.1:1143", "dev mail sandbox IMAP address (used when --smtp-host is empty)")
	f.String("dev-mail-password", "", "password the sandbox requires (empty: any password)")
	f.String("support-desk-email", "support-desk@acctflow.localhost", "where support-change tickets are mailed when no help desk URL is set")
	f.String("ops-email", "cloud-ops@acctflow.localhost", "where alerts for ops are mailed")
}

// mail is what handlers that send email share.
type mail struct {
	Outbox  *effect.Email
	Domain  string // of Message-IDs
	Key     []byte // reply-token key
	Inbox   string
	Sig     mailer.Signature
	Sandbox *devmail.Sandbox // nil with a real SMTP server
}

// mail builds the outbound side once: the SMTP sender (or the sandbox) and
// the email ledger.
func (d *deps) mail(ctx context.Context) (*mail, error) {
	if d.mailer != nil {
		return d.mailer, nil
	}
	f := d.cmd.Flags()
	from := d.flag("mail-from")
	_, domain, ok := strings.Cut(mailAddr(from), "@")
	if !ok {
		return nil, fmt.Errorf("--mail-from %q has no domain", from)
	}
	key, err := replyKey(d.flag("data-dir"))
	if err != nil {
		return nil, err
	}
	cfg := mailer.Config{From: from, TLSPolicy: d.flag("smtp-tls")}
	cfg.Timeout, _ = f.GetDuration("smtp-timeout")
	m := &mail{Domain: domain, Key: key, Inbox: d.flag("inbox-address"), Sig: mailer.Signature{Company: d.flag("company-name")}}
	if host := d.flag("smtp-host"); host != "" {
		cfg.Host = host
		cfg.Port, _ = f.GetInt("smtp-port")
		cfg.Username = d.flag("smtp-user")
		if cfg.Password, err = secret("ACCTFLOW_SMTP_PASSWORD"); err != nil {
			return nil, err
		}
	} else {
		sb, err := d.startSandbox(ctx)
		if err != nil {
			return nil, err
		}
		m.Sandbox = sb
		host, port, _ := net.SplitHostPort(sb.SMTPAddr())
		cfg.Host, cfg.TLSPolicy = host, mailer.TLSNone
		cfg.Port, _ = strconv.Atoi(port)
	}
	sender, err := mailer.NewSender(cfg)
	if err != nil {
		return nil, err
	}
	kv, err := d.conn.JS.KeyValue(ctx, broker.BucketMailSent)
	if err != nil {
		return nil, fmt.Errorf("opening KV %s: %w", broker.BucketMailSent, err)
	}
	m.Outbox = effect.NewEmail(kv, sender, effect.EmailConfig{SMTPTimeout: cfg.Timeout, Logger: d.log, Registerer: d.reg,
		Marks: effect.StreamMarks{JS: d.conn.JS, Stream: events.Stream}})
	d.mailer = m
	return m, nil
}

func (d *deps) startSandbox(ctx context.Context) (*devmail.Sandbox, error) {
	pw, _ := d.cmd.Flags().GetString("dev-mail-password")
	sb, err := devmail.Start(ctx, devmail.Config{
		SMTPAddr: d.flag("dev-smtp"), IMAPAddr: d.flag("dev-imap"), Password: pw,
		Dir: filepath.Join(d.flag("data-dir"), "mail"), Logger: d.log.With("component", "sandbox"),
	})
	if err != nil {
		return nil, fmt.Errorf("starting dev mail sandbox: %w", err)
	}
	d.closers = append(d.closers, func() { _ = sb.Close() })
	d.log.Info("dev mail sandbox running: read any address's mail over IMAP with that address as user name",
		"smtp", sb.SMTPAddr(), "imap", sb.IMAPAddr())
	return sb, nil
}

// replyKey returns ACCTFLOW_REPLY_KEY or, so the sandbox works out of the
// box, a key generated once and kept in the data dir.
func replyKey(dataDir string) ([]byte, error) {
	k, err := secret("ACCTFLOW_REPLY_KEY")
	if err != nil {
		return nil, err
	}
	if k != "" {
		if len(k) < mailer.MinKeyLen {
			return nil, fmt.Errorf("ACCTFLOW_REPLY_KEY must be at least %d characters", mailer.MinKeyLen)
		}
		return []byte(k), nil
	}
	path := filepath.Join(dataDir, "reply.key")
	data, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(data))) >= mailer.MinKeyLen {
		return []byte(strings.TrimSpace(string(data))), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading reply key: %w", err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("keeping generated reply key: %w", err)
	}
	return []byte(key), nil
}

// mailAddr returns the bare address of "Name <addr>" or "addr".
func mailAddr(s string) string {
	if i, j := strings.LastIndex(s, "<"), strings.LastIndex(s, ">"); i >= 0 && j > i {
		return strings.ToLower(strings.TrimSpace(s[i+1 : j]))
	}
	return strings.ToLower(strings.TrimSpace(s))
}
