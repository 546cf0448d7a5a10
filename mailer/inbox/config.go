package inbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/retry"
)

// TLS modes accepted in Config.TLS.
const (
	TLSImplicit = "implicit" // TLS from the first byte (port 993)
	TLSStartTLS = "starttls" // plain connect, then STARTTLS before login (port 143)
	TLSNone     = "none"     // no encryption: loopback and the dev sandbox only
)

// Defaults applied by NewReader to zero-valued Config fields.
const (
	DefaultFolder  = "INBOX"
	DefaultPoll    = 30 * time.Second
	DefaultMaxSize = 10 << 20
	DefaultKeyword = "$AcctflowProcessed"
)

// defaultBackoff paces reconnects and retries of a failing Sink or Cursor
// (1s doubling to 30s, jittered): a mail server that just dropped us should
// not be hammered, but a short outage should not leave replies waiting long.
var defaultBackoff = retry.Policy{Initial: time.Second, Max: 30 * time.Second}

// Config describes one folder of one IMAP account.
type Config struct {
	Addr      string      // host:port
	TLS       string      // "implicit" | "starttls" | "none"; empty means implicit
	TLSConfig *tls.Config // optional (tests: self-signed)
	// CAFile is a PEM file of CA certificates trusted in addition to the
	// system roots (a private CA).
	CAFile string
	// TLSServerName is the name the server's certificate must carry when it
	// differs from the host of Addr.
	TLSServerName string

	Username, Password string
	// PasswordFile, when set, is read at every login instead of Password,
	// so that a rotated password takes effect without a restart.
	PasswordFile string

	Folder string // default "INBOX"

	// Poll is the polling interval when IDLE is unavailable, and the longest
	// one IDLE runs before it is restarted and the folder searched again (a
	// safety net for notifications a server forgot to send). Default 30s.
	Poll time.Duration

	// MaxSize bounds what is downloaded: larger messages are delivered with
	// Oversize=true and only their header. Default 10 MiB.
	MaxSize int64

	ProcessedKeyword string // default "$AcctflowProcessed"; set with \Seen
	MoveTo           string // optional folder processed messages are moved to

	DisableIdle bool         // poll even when the server offers IDLE
	Backoff     retry.Policy // reconnects and Sink/Cursor retries; default 1s doubling to 30s; Attempts is ignored

	// The mailbox's circuit: a refused login, a certificate that does not
	// verify or a missing folder opens it (readiness names the mailbox and
	// the reason, one ERROR line, Alert once); the reader keeps trying
	// every ProbeInterval (default 30s) and the circuit closes when a login
	// succeeds.
	ProbeInterval time.Duration
	Alert         func(ctx context.Context, s health.Status) error // optional
	Metrics       *circuit.Metrics                                 // optional

	Logger *slog.Logger
}

// withDefaults validates cfg and fills in the defaults.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", cfg.Addr, err))
	}
	switch cfg.TLS {
	case "":
		cfg.TLS = TLSImplicit
	case TLSImplicit, TLSStartTLS, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("tls mode %q: want implicit, starttls or none", cfg.TLS))
	}
	if cfg.Username == "" {
		errs = append(errs, errors.New("username is empty"))
	}
	if cfg.Folder == "" {
		cfg.Folder = DefaultFolder
	}
	if cfg.MoveTo != "" && sameFolder(cfg.MoveTo, cfg.Folder) {
		errs = append(errs, fmt.Errorf("move-to folder %q is the folder being read", cfg.MoveTo))
	}
	if cfg.Poll < 0 || cfg.MaxSize < 0 {
		errs = append(errs, errors.New("poll and max size must not be negative"))
	}
	if cfg.Poll == 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.MaxSize == 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if cfg.ProcessedKeyword == "" {
		cfg.ProcessedKeyword = DefaultKeyword
	}
	if !validKeyword(cfg.ProcessedKeyword) {
		errs = append(errs, fmt.Errorf("processed keyword %q is not an IMAP atom", cfg.ProcessedKeyword))
	}
	if cfg.Backoff.Initial <= 0 || cfg.Backoff.Max < cfg.Backoff.Initial {
		cfg.Backoff = defaultBackoff
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Password != "" && cfg.PasswordFile != "" {
		errs = append(errs, errors.New("password and password file both given"))
	}
	if cfg.CAFile != "" {
		pool, err := poolWithCA(cfg.CAFile)
		if err != nil {
			errs = append(errs, err)
		} else {
			if cfg.TLSConfig == nil {
				cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			} else {
				cfg.TLSConfig = cfg.TLSConfig.Clone()
			}
			cfg.TLSConfig.RootCAs = pool
		}
	}
	if cfg.TLSServerName != "" {
		if cfg.TLSConfig == nil {
			cfg.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		} else {
			cfg.TLSConfig = cfg.TLSConfig.Clone()
		}
		cfg.TLSConfig.ServerName = cfg.TLSServerName
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("inbox config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// sameFolder compares folder names; INBOX is case-insensitive (RFC 3501 5.1).
func sameFolder(a, b string) bool {
	return a == b || strings.EqualFold(a, "INBOX") && strings.EqualFold(b, "INBOX")
}

// validKeyword reports whether k can be sent as a flag keyword: an atom
// (RFC 3501 flag-keyword) not starting with a backslash, bounded in length.
func validKeyword(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '{', '%', '*', '"', '\\', ']':
			return false
		}
	}
	return true
}

// poolWithCA returns the system roots plus the certificates in the PEM file
// at path.
func poolWithCA(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
