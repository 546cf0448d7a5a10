package mailer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// TLS policies accepted in Config.TLSPolicy.
const (
	TLSMandatory     = "mandatory"     // STARTTLS required: fail rather than send in clear
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSNone          = "none"          // never (dev sandbox, loopback relays)
)

// DefaultTimeout bounds one SMTP session when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is the outbound SMTP configuration. The lead wires each field to a
// flag with an ACCTFLOW_ twin; Password comes only from the environment or a
// file, never from a flag.
type Config struct {
	Host     string
	Port     int // 0: 465 with ImplicitTLS, else 587
	Username string
	Password string
	// TLSPolicy is mandatory (the default when empty), opportunistic or none.
	TLSPolicy string
	// ImplicitTLS speaks TLS from the first byte (SMTPS); implied by Port 465.
	ImplicitTLS bool
	// Timeout bounds each network step of a session; 0 means DefaultTimeout.
	Timeout time.Duration
	// From is the sender, e.g. "Account Provisioning <provisioning@example.com>".
	From string
	// HELO is the name announced in EHLO; empty means the host name.
	HELO string
	// TLSConfig overrides roots or server name (private CAs, tests); optional.
	TLSConfig *tls.Config
}

// String masks the password so a logged Config leaks no secret.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return fmt.Sprintf("smtp{host=%s port=%d user=%s password=%s tls=%s implicit=%t timeout=%s from=%s}",
		c.Host, c.Port, c.Username, pw, c.TLSPolicy, c.ImplicitTLS, c.Timeout, c.From)
}

// GoString masks the password for %#v as well.
func (c Config) GoString() string { return c.String() }

// normalise checks cfg and fills its defaults; it returns the parsed From.
func (c *Config) normalise() (*mail.Address, error) {
	if c.Host == "" || hasUnsafe(c.Host) || strings.ContainsAny(c.Host, " /") {
		return nil, errors.New("smtp host is empty or malformed")
	}
	if c.Port < 0 || c.Port > 65535 {
		return nil, fmt.Errorf("smtp port %d out of range", c.Port)
	}
	c.TLSPolicy = strings.ToLower(strings.TrimSpace(c.TLSPolicy))
	switch c.TLSPolicy {
	case "":
		c.TLSPolicy = TLSMandatory
	case TLSMandatory, TLSOpportunistic, TLSNone:
	default:
		return nil, fmt.Errorf("smtp TLS policy %q: want mandatory, opportunistic or none", c.TLSPolicy)
	}
	if c.Port == 465 {
		c.ImplicitTLS = true
	}
	if c.ImplicitTLS && c.TLSPolicy == TLSNone {
		return nil, errors.New("smtp implicit TLS (port 465) contradicts TLS policy none")
	}
	if c.Port == 0 {
		c.Port = 587
		if c.ImplicitTLS {
			c.Port = 465
		}
	}
	if c.Timeout < 0 {
		return nil, fmt.Errorf("smtp timeout %s is negative", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Password != "" && c.Username == "" {
		return nil, errors.New("smtp password given without a username")
	}
	if hasUnsafe(c.Username) || hasUnsafe(c.HELO) {
		return nil, errors.New("smtp username or HELO contains control characters")
	}
	if hasUnsafe(c.From) {
		return nil, errors.New("smtp from address contains control characters")
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("parsing smtp from address: %w", err)
	}
	return from, nil
}
