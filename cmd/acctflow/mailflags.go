package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/effect"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/sandbox/devmail"
	"github.com/acctflow/acctflow/secrets"
)

// addMailFlags adds the outbound and inbound mail settings of serve.
// Passwords come only from ACCTFLOW_SMTP_PASSWORD / ACCTFLOW_IMAP_PASSWORD
// (or their _FILE twins), the reply key from ACCTFLOW_REPLY_KEY.
func addMailFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("smtp-host", "", "SMTP server; empty starts the dev mail sandbox")
	f.Int("smtp-port", 587, "SMTP port (465 means implicit TLS)")
	f.String("smtp-user", "", "SMTP user name (password from ACCTFLOW_SMTP_PASSWORD)")
	f.String("smtp-tls", "mandatory", "SMTP TLS policy: mandatory (verify), opportunistic (encrypt when offered; verify only with --smtp-ca) or none")
	f.Duration("smtp-timeout", 30*time.Second, "SMTP connection and command timeout")
	f.String("smtp-ca", "", "PEM file of CA certificates to trust for SMTP, in addition to the system roots (a private CA)")
	f.String("smtp-tls-server-name", "", "name the SMTP server's certificate must carry (default: --smtp-host)")
	f.String("smtp-helo", "", "name announced in EHLO (default: the domain of --mail-from, or this host's FQDN)")
	f.Duration("circuit-probe-interval", circuit.DefaultInterval, "how often an adapter stopped by a configuration error (SMTP/IMAP login, TLS, HELO, help desk 401/403) is probed")
	f.String("mail-from", "Account Provisioning <provisioning@acctflow.localhost>", "sender of every email")
	f.String("inbox-address", "acct-replies@acctflow.localhost", "workflow inbox that US/CA resellers reply to (plus-addressed per request)")
	f.String("company-name", "", "company named in email signatures")
	f.String("dev-smtp", "127.0.0.1:2525", "dev mail sandbox SMTP address (used when --smtp-host is empty)")
	f.String("dev-imap", "127.0.0.1:1143", "dev mail sandbox IMAP address (used when --smtp-host is empty)")
	addDevMailPasswordFlag(f)
	f.String("support-desk-email", "support-desk@acctflow.localhost", "where support-change tickets are mailed when no help desk URL is set")
	f.String("ops-email", "cloud-ops@acctflow.localhost", "where alerts for ops are mailed")
}

// mail is what handlers that send email share.
type mail struct {
	Outbox  *effect.Email
	Domain  string      // of Message-IDs
	Key     []byte      // reply-token key that signs (Keys.Current)
	Keys    mailer.Keys // reply-token keys that verify
	Inbox   string
	Sig     mailer.Signature
	Sandbox *devmail.Sandbox // nil with a real SMTP server
	// SandboxPassword is what the sandbox requires (empty: any).
	SandboxPassword string
	Sender          *mailer.Sender // the SMTP adapter (behind its circuit)
	distributor     *string        // distributorAccount, decided (and said) once
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
	keys, err := replyKeys(d.flag("data-dir"), d.external, d.log)
	if err != nil {
		return nil, err
	}
	cfg := mailer.Config{From: from, TLSPolicy: d.flag("smtp-tls"), HELO: d.flag("smtp-helo"),
		CAFile: d.flag("smtp-ca"), TLSServerName: d.flag("smtp-tls-server-name"),
		Logger: d.log, Metrics: d.circuitMetrics(), ProbeInterval: d.probeInterval()}
	cfg.Timeout, _ = f.GetDuration("smtp-timeout")
	m := &mail{Domain: domain, Key: keys.Current, Keys: keys, Inbox: d.flag("inbox-address"), Sig: mailer.Signature{Company: d.flag("company-name")}}
	if host := d.flag("smtp-host"); host != "" {
		cfg.Host = host
		cfg.Port, _ = f.GetInt("smtp-port")
		cfg.Username = d.flag("smtp-user")
		if cfg.Password, cfg.PasswordFile, err = rotatableSecret("ACCTFLOW_SMTP_PASSWORD"); err != nil {
			return nil, err
		}
	} else {
		if d.external {
			// Each process beside a shared NATS would catch its own mail.
			return nil, errors.New("--smtp-host is needed with --nats-url: a dev mail sandbox inside this process would keep its mail to itself; " +
				"for a shared dev sandbox run `acctflow devmail` and point --smtp-host and --imap-host at it")
		}
		if m.SandboxPassword, err = devMailPassword(f); err != nil {
			return nil, err
		}
		sb, err := d.startSandbox(ctx, m.SandboxPassword)
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
	m.Sender = sender
	d.addCircuit(sender.Breaker())
	kv, err := d.conn.JS.KeyValue(ctx, broker.BucketMailSent)
	if err != nil {
		return nil, fmt.Errorf("opening KV %s: %w", broker.BucketMailSent, err)
	}
	m.Outbox = effect.NewEmail(kv, sender, effect.EmailConfig{SMTPTimeout: cfg.Timeout, Logger: d.log, Registerer: d.reg,
		Marks: effect.StreamMarks{JS: d.conn.JS, Stream: events.Stream}})
	d.mailer = m
	return m, nil
}

func (d *deps) startSandbox(ctx context.Context, pw string) (*devmail.Sandbox, error) {
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

// addDevMailPasswordFlag adds --dev-mail-password-file. The password itself
// has no flag (a flag shows in ps and shell history): it comes from
// ACCTFLOW_DEV_MAIL_PASSWORD or the file.
func addDevMailPasswordFlag(f *pflag.FlagSet) {
	f.String("dev-mail-password-file", "", "file holding the password the dev mail sandbox requires "+
		"(or ACCTFLOW_DEV_MAIL_PASSWORD; neither: any password)")
}

// devMailPassword reads the sandbox's password: --dev-mail-password-file
// (whose environment twin is ACCTFLOW_DEV_MAIL_PASSWORD_FILE) or
// ACCTFLOW_DEV_MAIL_PASSWORD.
func devMailPassword(f *pflag.FlagSet) (string, error) {
	const name = "ACCTFLOW_DEV_MAIL_PASSWORD"
	if path, _ := f.GetString("dev-mail-password-file"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading --dev-mail-password-file: %w", err)
		}
		pw := strings.TrimSpace(string(data))
		return pw, secrets.Check(name+"_FILE "+path, pw)
	}
	return secret(name)
}

// replyKeys returns the reply-token keys: ACCTFLOW_REPLY_KEY (or _FILE)
// signs, ACCTFLOW_REPLY_KEY_PREVIOUS (comma-separated, or _FILE) still
// verifies what was sent before a rotation. Every process of a deployment
// must share them, so with an external broker the key is required; with the
// embedded one (a single process) a key is generated once and kept in the
// data dir so the sandbox works out of the box. A key that is too short is
// an error, never replaced: replacing it would invalidate every reply
// address already sent. A key generated in the data dir before
// ACCTFLOW_REPLY_KEY was set (a deployment moving from the embedded broker
// to a shared one) keeps verifying, so replies to what it signed still
// count.
func replyKeys(dataDir string, external bool, log *slog.Logger) (mailer.Keys, error) {
	k, err := secret("ACCTFLOW_REPLY_KEY")
	if err != nil {
		return mailer.Keys{}, err
	}
	var current []byte
	switch {
	case k != "":
		if len(k) < mailer.MinKeyLen {
			return mailer.Keys{}, fmt.Errorf("ACCTFLOW_REPLY_KEY must be at least %d characters (use e.g. `openssl rand -hex 32`)", mailer.MinKeyLen)
		}
		current = []byte(k)
	case external:
		return mailer.Keys{}, errors.New("ACCTFLOW_REPLY_KEY (or ACCTFLOW_REPLY_KEY_FILE) is required with --nats-url: " +
			"every acctflow process signs and verifies reply tokens with it, so set the same secret in all of them " +
			"(for example the output of `openssl rand -hex 32`)")
	default:
		if current, err = dataDirKey(dataDir); err != nil {
			return mailer.Keys{}, err
		}
	}
	prev, err := secret("ACCTFLOW_REPLY_KEY_PREVIOUS")
	if err != nil {
		return mailer.Keys{}, err
	}
	var previous [][]byte
	for _, p := range splitList(prev) {
		previous = append(previous, []byte(p))
	}
	path := filepath.Join(dataDir, "reply.key")
	if data, err := os.ReadFile(path); k != "" && err == nil {
		if old := strings.TrimSpace(string(data)); len(old) >= mailer.MinKeyLen && old != k && !slices.Contains(splitList(prev), old) {
			previous = append(previous, []byte(old))
			log.Warn("the reply key generated in the data dir differs from ACCTFLOW_REPLY_KEY: replies to emails it signed are still accepted; "+
				"list it in ACCTFLOW_REPLY_KEY_PREVIOUS on every process, or delete the file once those emails no longer matter", "file", path)
		}
	}
	keys, err := mailer.NewKeys(current, previous...)
	if err != nil {
		return mailer.Keys{}, fmt.Errorf("ACCTFLOW_REPLY_KEY_PREVIOUS: %w", err)
	}
	return keys, nil
}

// dataDirKey reads the key generated for the embedded broker, creating it
// on first use.
func dataDirKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, "reply.key")
	data, err := os.ReadFile(path)
	if err == nil {
		key := strings.TrimSpace(string(data))
		if len(key) < mailer.MinKeyLen {
			return nil, fmt.Errorf("reply key %s is shorter than %d characters: restore it, or set ACCTFLOW_REPLY_KEY "+
				"(it is never replaced, because a new key would invalidate every reply address already sent)", path, mailer.MinKeyLen)
		}
		return []byte(key), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading reply key: %w", err)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	key := hex.EncodeToString(b[:])
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting at once on one data dir keep one key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return dataDirKey(dataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("keeping generated reply key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(key + "\n"); err != nil {
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

// rotatableSecret is secret(name) for a password that may be rotated while
// acctflow runs: when it comes from NAME_FILE, the adapter re-reads the file
// at every login, so writing the new password there is enough.
func rotatableSecret(name string) (value, file string, err error) {
	v, err := secret(name) // reads the file once, to refuse a placeholder now
	if err != nil || os.Getenv(name) != "" {
		return v, "", err
	}
	return "", os.Getenv(name + "_FILE"), nil
}

func (d *deps) circuitMetrics() *circuit.Metrics {
	if d.circuits == nil {
		d.circuits = circuit.NewMetrics(d.reg)
	}
	return d.circuits
}

func (d *deps) probeInterval() time.Duration {
	v, _ := d.cmd.Flags().GetDuration("circuit-probe-interval")
	return v
}

// addCircuit reports b in /readyz and /healthz and runs its probes and
// alert beside the handlers.
func (d *deps) addCircuit(b *circuit.Breaker) {
	d.components.Add(b)
	d.background = append(d.background, b.Run)
}

// opsAlert mails ops once per opening of a circuit (IMAP, help desk) —
// straight through the SMTP sender, not the outbox: it is about acctflow,
// not a request. With the SMTP circuit itself open it waits like any mail
// (the circuit's alert loop retries), and the ERROR line has been logged.
func (d *deps) opsAlert(m *mail) func(ctx context.Context, s health.Status) error {
	to := mailAddr(d.flag("ops-email"))
	return func(ctx context.Context, s health.Status) error {
		if !strings.Contains(to, "@") {
			d.log.Warn("ops alert not mailed: no --ops-email", "circuit", s.Name, "reason", s.Reason)
			return nil
		}
		subject := s.Name + " refuses acctflow's configuration"
		body := fmt.Sprintf("%s stopped at %s because of a configuration error:\n\n%s\n\n"+
			"acctflow keeps the work waiting (nothing is dead-lettered) and probes every %s; it resumes by itself once the "+
			"configuration is fixed. GET /readyz shows the state.",
			s.Name, s.Since.UTC().Format(time.RFC3339), s.Reason, d.probeInterval())
		subj, text, html, err := mailer.Render(mailer.AlertData{Subject: subject, Body: body})
		if err != nil {
			return err
		}
		msg := mailer.Message{
			MessageID: mailer.MessageID(nil, "circuit", mailer.KindAlert+"."+s.Name+"."+s.Since.UTC().Format(time.RFC3339Nano), m.Domain),
			To:        mailer.Address{Name: "acctflow ops", Email: to}, Subject: subj, Text: text, HTML: html,
		}
		return m.Sender.Send(ctx, msg)
	}
}

// helpdeskCircuit configures the help desk's circuit; ops are mailed when
// this process also sends mail.
func (d *deps) helpdeskCircuit() circuit.Config {
	c := circuit.Config{Interval: d.probeInterval(), Logger: d.log, Metrics: d.circuitMetrics()}
	if d.mailer != nil {
		c.Alert = d.opsAlert(d.mailer)
	}
	return c
}
