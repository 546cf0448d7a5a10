package devmail

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"
)

var errClosed = errors.New("dev mail sandbox closed")

// Sandbox is a running pair of SMTP and IMAP servers over one mail store.
type Sandbox struct {
	cfg   Config
	log   *slog.Logger
	store *store
	gate  *gate // IMAP sessions, SMTP transactions and Deliver calls in flight

	smtpLn, imapLn *connTracker
	smtpSrv        *smtp.Server
	imapSrv        *imapserver.Server
	serving        sync.WaitGroup
	closing        atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

// Start loads the mailboxes kept in cfg.Dir, if any, and starts both
// servers. They are listening when it returns. ctx bounds the start only:
// the sandbox runs until Close.
func Start(ctx context.Context, cfg Config) (*Sandbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var d *disk
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating sandbox mail dir: %w", err)
		}
		d = &disk{root: cfg.Dir}
	}
	st := newStore(d, cfg)
	if d != nil {
		if err := st.load(ctx, cfg.MaxMessageBytes); err != nil {
			return nil, err
		}
	}

	var lc net.ListenConfig
	smtpLn, err := lc.Listen(ctx, "tcp", cfg.SMTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listening for SMTP on %s: %w", cfg.SMTPAddr, err)
	}
	imapLn, err := lc.Listen(ctx, "tcp", cfg.IMAPAddr)
	if err != nil {
		smtpLn.Close()
		return nil, fmt.Errorf("listening for IMAP on %s: %w", cfg.IMAPAddr, err)
	}

	s := &Sandbox{
		cfg: cfg, log: cfg.Logger, store: st, gate: newGate(),
		smtpLn: newConnTracker(smtpLn), imapLn: newConnTracker(imapLn),
	}
	s.smtpSrv = s.newSMTPServer()
	s.imapSrv = s.newIMAPServer()
	s.serve("smtp", func() error { return s.smtpSrv.Serve(s.smtpLn) })
	s.serve("imap", func() error { return s.imapSrv.Serve(s.imapLn) })
	s.log.Info("dev mail sandbox listening", "smtp", s.SMTPAddr(), "imap", s.IMAPAddr(), "dir", cfg.Dir)
	return s, nil
}

// serve runs one accept loop in a goroutine that Close waits for.
func (s *Sandbox) serve(name string, run func() error) {
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("dev mail sandbox server panicked", "server", name, "panic", v)
			}
		}()
		if err := run(); err != nil && !s.closing.Load() {
			s.log.Error("dev mail sandbox server stopped", "server", name, "err", err)
		}
	}()
}

// SMTPAddr is the host:port the SMTP server listens on.
func (s *Sandbox) SMTPAddr() string { return s.smtpLn.Addr().String() }

// IMAPAddr is the host:port the IMAP server listens on.
func (s *Sandbox) IMAPAddr() string { return s.imapLn.Addr().String() }

// passwordOK compares digests so that the time taken says nothing about
// the password, not even its length.
func (s *Sandbox) passwordOK(password string) bool {
	if s.cfg.Password == "" {
		return true
	}
	want := sha256.Sum256([]byte(s.cfg.Password))
	got := sha256.Sum256([]byte(password))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// Close stops both servers, closes every connection and waits until no
// goroutine of the sandbox runs any more. Mail already accepted is kept
// (on disk when Config.Dir is set).
func (s *Sandbox) Close() error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		drained := s.gate.close()
		s.smtpLn.shutdown()
		s.imapLn.shutdown()
		// The accept loops end with their listeners. Waiting for them
		// before the servers' own Close keeps imapserver's Serve, which may
		// only be starting, from racing its Close (a WaitGroup's Add
		// against its Wait, seen by the race detector).
		s.serving.Wait()

		var errs []error
		if err := s.imapSrv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("stopping IMAP server: %w", err))
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := s.smtpSrv.Shutdown(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, fmt.Errorf("stopping SMTP server: %w", err))
		}
		select {
		case <-drained:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("waiting for mail sessions to end: %w", ctx.Err()))
		}
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("closing dev mail sandbox: %w", err)
		}
	})
	return s.closeErr
}
