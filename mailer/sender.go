package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"time"

	"github.com/acctflow/acctflow/retry"
	gomail "github.com/wneessen/go-mail"
)

// Sender delivers Messages over SMTP. It holds no connection between sends
// (outbound volume is a handful of mails per request), so it is safe for
// concurrent use and never has a stale session to recover.
type Sender struct {
	cfg  Config
	from *mail.Address
	tls  *tls.Config
	helo string
	addr string
}

// NewSender validates cfg and returns a Sender; it does not connect.
func NewSender(cfg Config) (*Sender, error) {
	from, err := cfg.normalise()
	if err != nil {
		return nil, fmt.Errorf("configuring mail sender: %w", err)
	}
	s := &Sender{cfg: cfg, from: from, helo: cfg.HELO, addr: net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))}
	if s.helo == "" {
		if s.helo, err = os.Hostname(); err != nil || s.helo == "" {
			s.helo = "localhost"
		}
	}
	s.tls = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		s.tls = cfg.TLSConfig.Clone()
		if s.tls.ServerName == "" {
			s.tls.ServerName = cfg.Host
		}
	}
	// Build one client now so that an option go-mail rejects fails at
	// start-up, not on the first mail.
	if _, err := gomail.NewClient(cfg.Host, s.options(&sessionDialer{ctx: context.Background()})...); err != nil {
		return nil, fmt.Errorf("configuring mail sender: %w", err)
	}
	return s, nil
}

// Send makes one delivery attempt of m. A nil error means the server took
// the message. Failures are classified: retry.IsPermanent for 5xx replies and
// unusable messages or addresses, temporary otherwise (connection errors,
// timeouts, 4xx). Retries and idempotency are the caller's.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := m.build(s.from, time.Now())
	if err != nil {
		return retry.Permanent(fmt.Errorf("building mail to %s: %w", MaskAddress(m.To.Email), err))
	}
	id := msg.GetMessageID()
	what := fmt.Sprintf("sending mail %s to %s via %s", id, MaskAddress(m.To.Email), s.addr)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	d := &sessionDialer{ctx: ctx, implicit: s.cfg.ImplicitTLS, tlsConfig: s.tls}
	defer d.stop()
	// A client per send: go-mail's client keeps per-session auth state, so
	// sharing one between goroutines would race.
	client, err := gomail.NewClient(s.cfg.Host, s.options(d)...)
	if err != nil {
		return fmt.Errorf("%s: configuring client: %w", what, err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if err != nil && msg.IsDelivered() {
		// Only QUIT failed: the server has the message, and reporting a
		// failure would make the caller send it a second time.
		return nil
	}
	return wrapSend(ctx, what, id, err)
}

func (s *Sender) options(d *sessionDialer) []gomail.Option {
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
			gomail.WithPassword(s.cfg.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
		)
	}
	return opts
}
