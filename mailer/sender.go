package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/logging"
	"github.com/acctflow/acctflow/retry"
)

// Sender delivers Messages over SMTP. It holds no connection between sends
// (outbound volume is a handful of mails per request), so it is safe for
// concurrent use and never has a stale session to recover.
//
// Every send goes through the SMTP circuit: a configuration error (a refused
// password, a rejected HELO, a certificate that does not verify) opens it,
// and until a probe succeeds every Send returns at once with
// retry.After(…, until the next probe) instead of connecting. Run probes it.
type Sender struct {
	cfg     Config
	from    *mail.Address
	tls     *tls.Config
	helo    string
	addr    string
	log     *slog.Logger
	breaker *circuit.Breaker
	lastPW  atomic.Pointer[string] // the password PasswordFile held when last read
}

// NewSender validates cfg and returns a Sender; it does not connect.
func NewSender(cfg Config) (*Sender, error) {
	from, err := cfg.normalise()
	if err != nil {
		return nil, fmt.Errorf("configuring mail sender: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Sender{cfg: cfg, from: from, helo: cfg.HELO, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	s.log = log.With("component", "smtp", "smtp_server", s.addr)
	if s.helo == "" {
		s.helo = DefaultHELO(from.Address)
	}
	if s.tls, err = cfg.tlsConfig(s.log); err != nil {
		return nil, fmt.Errorf("configuring mail sender: %w", err)
	}
	s.breaker = circuit.New(circuit.Config{
		Name: "smtp " + s.addr, Kind: "smtp", Interval: cfg.ProbeInterval,
		Probe: s.Probe, Logger: s.log, Metrics: cfg.Metrics,
		// No Alert: with SMTP broken, the alert could not be mailed. The
		// ERROR line, the metric and /readyz carry it.
	})
	// Build one client now so that an option go-mail rejects fails at
	// start-up, not on the first mail.
	if _, err := gomail.NewClient(cfg.Host, s.options(&sessionDialer{ctx: context.Background()}, &stepTracker{})...); err != nil {
		return nil, fmt.Errorf("configuring mail sender: %w", err)
	}
	return s, nil
}

// tlsConfig builds the TLS settings: the system roots plus CAFile, the
// server name, and — only for the opportunistic policy without any
// configured CA — no verification, said once in the log.
func (c Config) tlsConfig(log *slog.Logger) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSConfig != nil {
		conf = c.TLSConfig.Clone()
	}
	caConfigured := conf.RootCAs != nil
	if c.CAFile != "" {
		pool, err := PoolWithCA(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp CA: %w", err)
		}
		conf.RootCAs, caConfigured = pool, true
	}
	if c.TLSServerName != "" {
		conf.ServerName = c.TLSServerName
	}
	if conf.ServerName == "" {
		conf.ServerName = c.Host
	}
	if c.TLSPolicy == TLSOpportunistic && !caConfigured && !conf.InsecureSkipVerify {
		// Opportunistic: encrypt whenever the server offers it. Without a
		// CA to check against, a self-signed or snakeoil certificate (a
		// stock Debian Postfix) must not stop the mail; encryption without
		// verification still beats clear text.
		conf.InsecureSkipVerify = true
		log.Warn("SMTP TLS is opportunistic and no CA is configured (--smtp-ca): the server's certificate will not be verified")
	}
	return conf, nil
}

// PoolWithCA returns the system roots plus every certificate in the PEM file
// at path (a private CA). It fails when the file holds no certificate.
func PoolWithCA(path string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// DefaultHELO is the EHLO name for a sender address: its domain when that is
// a domain name (it has a dot), else this host's fully qualified name.
func DefaultHELO(from string) string {
	if _, domain, ok := strings.Cut(from, "@"); ok && strings.Contains(domain, ".") && !strings.HasSuffix(domain, ".") {
		return strings.ToLower(domain)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "localhost"
	}
	if strings.Contains(host, ".") {
		return host
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, host); err == nil {
		if fqdn := strings.TrimSuffix(cname, "."); strings.Contains(fqdn, ".") {
			return fqdn
		}
	}
	return host
}

// Breaker is the SMTP circuit, for readiness and to Run its probes.
func (s *Sender) Breaker() *circuit.Breaker { return s.breaker }

// HELO is the name the sender announces.
func (s *Sender) HELO() string { return s.helo }

// Send makes one delivery attempt of m. A nil error means the server took
// the message. Failures are classified (see classify): retry.Permanent for
// this message or recipient, retry.Configuration (returned as retry.After
// while the circuit is open) for the configuration, temporary otherwise.
// Retries and idempotency are the caller's.
func (s *Sender) Send(ctx context.Context, m Message) (err error) {
	msg, err := m.build(s.from, time.Now())
	if err != nil {
		return retry.Permanent(fmt.Errorf("building mail to %s: %w", MaskAddress(m.To.Email), err))
	}
	ctx, span := s.startSend(ctx, m, msg) // see trace.go
	defer func() { events.EndSpan(span, err) }()
	id := msg.GetMessageID()
	what := fmt.Sprintf("sending mail %s to %s via %s", id, MaskAddress(m.To.Email), s.addr)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.breaker.Do(ctx, func(ctx context.Context) error {
		d := &sessionDialer{ctx: ctx, implicit: s.cfg.ImplicitTLS, tlsConfig: s.tls}
		defer d.stop()
		steps := &stepTracker{}
		// A client per send: go-mail's client keeps per-session auth state,
		// so sharing one between goroutines would race.
		client, err := gomail.NewClient(s.cfg.Host, s.options(d, steps)...)
		if err != nil {
			return fmt.Errorf("%s: configuring client: %w", what, err)
		}
		err = client.DialAndSendWithContext(ctx, msg)
		if err != nil && !msg.IsDelivered() {
			return wrapSend(ctx, what, id, steps.step(), err)
		}
		// err != nil here means only QUIT failed: the server has the
		// message, and reporting a failure would make the caller send it a
		// second time.
		s.log.Info("email sent", "message_id", logging.Verbatim(id), "to", MaskAddress(m.To.Email), "helo", s.helo)
		return nil
	})
}

// Probe checks the configuration without sending anything: connect, EHLO,
// STARTTLS, AUTH, QUIT. Its error is classified like Send's.
func (s *Sender) Probe(ctx context.Context) error {
	what := "probing SMTP server " + s.addr
	d := &sessionDialer{ctx: ctx, implicit: s.cfg.ImplicitTLS, tlsConfig: s.tls}
	defer d.stop()
	steps := &stepTracker{}
	client, err := gomail.NewClient(s.cfg.Host, s.options(d, steps)...)
	if err != nil {
		return fmt.Errorf("%s: configuring client: %w", what, err)
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return wrapSend(ctx, what, "", steps.step(), err)
	}
	if err := client.CloseWithSMTPClient(sc); err != nil && !errors.Is(err, net.ErrClosed) {
		s.log.Debug("closing the probe session", "err", err)
	}
	return nil
}

// password is Config.Password, or PasswordFile's content read now.
func (s *Sender) password() string {
	if s.cfg.PasswordFile == "" {
		return s.cfg.Password
	}
	data, err := os.ReadFile(s.cfg.PasswordFile)
	if err != nil {
		s.log.Warn("reading the SMTP password file; using the password read last", "err", err)
		if pw := s.lastPW.Load(); pw != nil {
			return *pw
		}
		return s.cfg.Password
	}
	pw := strings.TrimSpace(string(data))
	s.lastPW.Store(&pw)
	return pw
}

func (s *Sender) options(d *sessionDialer, steps *stepTracker) []gomail.Option {
	policy := gomail.TLSMandatory
	switch s.cfg.TLSPolicy {
	case TLSOpportunistic:
		policy = gomail.TLSOpportunistic
	case TLSNone:
		policy = gomail.NoTLS
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.cfg.Timeout),
		gomail.WithTLSPolicy(policy),
		gomail.WithTLSConfig(s.tls),
		gomail.WithHELO(s.helo),
		gomail.WithDialContextFunc(d.dial),
		// The protocol log only tells classify which command failed.
		gomail.WithLogger(steps),
		gomail.WithDebugLog(),
	}
	if s.cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	}
	if s.cfg.Username != "" {
		// Preferred mechanisms, not go-mail's auto-discovery: with our own
		// dialer go-mail cannot tell that an implicit-TLS session is
		// encrypted and would rule PLAIN out. PLAIN and LOGIN still refuse to
		// run over a clear connection to anything but localhost.
		opts = append(opts,
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.password()),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
		)
	}
	return opts
}
