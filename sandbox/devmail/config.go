package devmail

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config configures a sandbox. Zero values take the defaults below.
type Config struct {
	// Listen addresses, e.g. "127.0.0.1:2525" and "127.0.0.1:1143"; port 0
	// picks a free one and "" means "127.0.0.1:0". Use loopback addresses:
	// the sandbox has no real authentication and no TLS.
	SMTPAddr, IMAPAddr string
	// Password, when set, is required for IMAP LOGIN and SMTP AUTH. Mail
	// submitted without AUTH is still accepted, as resellers' replies are.
	// "" accepts any password.
	Password string
	// Dir, when set, keeps mailboxes on disk and reloads them on Start.
	// "" keeps them in memory only.
	Dir string
	// MaxMessageBytes bounds one message (default 10 MiB); larger ones get
	// SMTP 552 and the session continues.
	MaxMessageBytes int64
	// MaxMailboxMessages bounds each mailbox (default 10000); a full INBOX
	// makes its recipient fail with SMTP 452 (temporary).
	MaxMailboxMessages int
	// MaxStoreBytes bounds all mailboxes together (default 1 GiB); beyond
	// it deliveries fail with SMTP 452 4.3.1.
	MaxStoreBytes int64
	// CacheBytes bounds the raw messages a sandbox with a Dir keeps in
	// memory (default 4 MiB): the rest is read from disk when a client
	// asks. Without a Dir every message is in memory, as it must be.
	CacheBytes int64
	// Logger receives connection errors and recovered panics; nil discards.
	Logger *slog.Logger
}

const (
	defaultMaxMessageBytes    = 10 << 20
	defaultMaxMailboxMessages = 10000
	defaultMaxStoreBytes      = 1 << 30
	defaultCacheBytes         = 4 << 20

	// maxUsers bounds how many addresses may own a mailbox, since any
	// RCPT TO or LOGIN creates one.
	maxUsers = 10000
	// maxMailboxesPerUser bounds IMAP CREATE.
	maxMailboxesPerUser = 100
	// maxRecipients is the RFC 5321 §4.5.3.1.8 minimum a server must take.
	maxRecipients = 100
	// maxKeywordsPerMessage bounds STORE: flags are held in memory.
	maxKeywordsPerMessage = 64

	smtpReadTimeout  = 5 * time.Minute
	smtpWriteTimeout = time.Minute
	// closeTimeout bounds how long Close waits for connection goroutines.
	closeTimeout = 10 * time.Second
)

func (c Config) withDefaults() (Config, error) {
	if c.SMTPAddr == "" {
		c.SMTPAddr = "127.0.0.1:0"
	}
	if c.IMAPAddr == "" {
		c.IMAPAddr = "127.0.0.1:0"
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = defaultMaxMessageBytes
	}
	if c.MaxMailboxMessages == 0 {
		c.MaxMailboxMessages = defaultMaxMailboxMessages
	}
	if c.MaxStoreBytes == 0 {
		c.MaxStoreBytes = defaultMaxStoreBytes
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = defaultCacheBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	// APPENDLIMIT is a uint32 on the wire.
	if c.MaxMessageBytes < 0 || c.MaxMessageBytes > 1<<32-1 {
		errs = append(errs, fmt.Errorf("MaxMessageBytes %d out of range", c.MaxMessageBytes))
	}
	if c.MaxMailboxMessages < 0 {
		errs = append(errs, fmt.Errorf("MaxMailboxMessages %d is negative", c.MaxMailboxMessages))
	}
	if c.CacheBytes < 0 {
		errs = append(errs, fmt.Errorf("CacheBytes %d is negative", c.CacheBytes))
	}
	if c.MaxStoreBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxStoreBytes %d is negative", c.MaxStoreBytes))
	}
	if err := errors.Join(errs...); err != nil {
		return c, fmt.Errorf("checking sandbox config: %w", err)
	}
	return c, nil
}
