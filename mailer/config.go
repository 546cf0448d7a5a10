package mailer

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/acctflow/acctflow/circuit"
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
	// PasswordFile, when set, is read at every session instead of Password,
	// so that a rotated password takes effect without a restart: write the
	// new password to the file and the next probe closes the circuit.
	PasswordFile string
	// TLSPolicy is mandatory (the default when empty), opportunistic or none.
	TLSPolicy string
	// ImplicitTLS speaks TLS from the first byte (SMTPS); implied by Port 465.
	ImplicitTLS bool
	// Timeout bounds each network step of a session; 0 means DefaultTimeout.
	Timeout time.Duration
	// From is the sender, e.g. "Account Provisioning <provisioning@example.com>".
	From string
	// HELO is the name announced in EHLO. Empty means the domain of From
	// when it is a domain name (it has a dot), else this host's fully
	// qualified name: Postfix's reject_non_fqdn_helo_hostname answers 504 to
	// a bare host name.
	HELO string
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system roots (a private CA); it also makes the opportunistic policy
	// verify certificates.
	CAFile string
	// TLSServerName is the name the server's certificate must carry when it
	// differs from Host (connecting by IP address or an internal alias).
	TLSServerName string
	// TLSConfig overrides roots or server name (tests); optional. Its
	// RootCAs count as a configured CA.
	TLSConfig *tls.Config
	// ProbeInterval is how often the circuit is probed while a
	// configuration error (535, a rejected HELO, an untrusted certificate)
	// holds it open; 0 means circuit.DefaultInterval.
	ProbeInterval time.Duration
	// Logger gets one INFO line per sent email (its Message-ID in full, the
	// recipient masked) and the circuit's lines; nil means slog.Default().
	Logger *slog.Logger
	// Metrics for the circuit; optional.
	Metrics *circuit.Metrics
}

// String masks the password so a logged Config leaks no secret.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "***"
	}
	return fmt.Sprintf("smtp{host=%s port=%d user=%s password=%s tls=%s implicit=%t timeout=%s from=%s helo=%s ca=%s server_name=%s}",
		c.Host, c.Port, c.Username, pw, c.TLSPolicy, c.ImplicitTLS, c.Timeout, c.From, c.HELO, c.CAFile, c.TLSServerName)
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
	if (c.Password != "" || c.PasswordFile != "") && c.Username == "" {
		return nil, errors.New("smtp password given without a username")
	}
	if hasUnsafe(c.Username) || hasUnsafe(c.HELO) || hasUnsafe(c.TLSServerName) || strings.ContainsAny(c.HELO, " <>") {
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
