// Package inbox reads one IMAP folder and hands every new message to a Sink,
// remembering its place in a Cursor (UIDVALIDITY + last UID).
//
// Per message the order is: fetch → Sink.Deliver → Cursor.Save → flag/move.
// A message is therefore never lost (the cursor moves only past delivered
// messages) but may be delivered twice: after a crash between Deliver and
// Save, or when UIDVALIDITY changes and the folder is read again from UID 1.
// The Sink deduplicates by content; this package keeps repeats to those cases.
package inbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/retry"
)

// Reader reads one folder of one account. Create it with NewReader and call
// Run once.
type Reader struct {
	cfg     Config
	sink    Sink
	cur     Cursor
	account string
	key     string
	log     *slog.Logger

	running   atomic.Bool
	connected atomic.Bool // a session is logged in with the folder selected
	caughtUp  atomic.Bool // some session has read the folder to its end

	breaker *circuit.Breaker
	mu      sync.Mutex
	lastErr error     // why the last session ended or could not start
	since   time.Time // when the reader last lost (or never had) its session
}

// NewReader validates cfg, fills in its defaults and returns a Reader that
// has not connected yet.
func NewReader(cfg Config, sink Sink, cur Cursor) (*Reader, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if sink == nil || cur == nil {
		return nil, errors.New("inbox: sink and cursor are required")
	}
	account := accountURL(cfg.Username, cfg.Addr)
	r := &Reader{
		cfg:     cfg,
		sink:    sink,
		cur:     cur,
		account: account,
		key:     cursorKey(account, cfg.Folder),
	}
	r.log = cfg.Logger.With("imap_addr", cfg.Addr, "imap_user", maskUser(cfg.Username), "imap_folder", cfg.Folder)
	r.since = time.Now()
	r.breaker = circuit.New(circuit.Config{
		Name: r.Name(), Kind: "imap", Interval: max(cfg.ProbeInterval, 0),
		Alert: cfg.Alert, Logger: r.log, Metrics: cfg.Metrics,
		// No Probe: the reader's own reconnect is the probe.
	})
	if cfg.TLS == TLSNone && cfg.Password != "" && !loopback(cfg.Addr) {
		r.log.Warn("IMAP password will cross the network unencrypted (tls=none)")
	}
	return r, nil
}

// Ready reports whether the reader is connected and has caught up with the
// folder at least once (for /readyz).
func (r *Reader) Ready() bool { return r.connected.Load() && r.caughtUp.Load() }

// Name identifies the mailbox in /readyz and ops alerts. The account is
// acctflow's own (a workflow or support mailbox), named in full so that ops
// can tell the mailboxes apart; logs still mask it like every address.
func (r *Reader) Name() string {
	return "imap " + r.cfg.Username + " at " + r.cfg.Addr + "/" + r.cfg.Folder
}

// Breaker is the mailbox's circuit; run it (Breaker().Run) for the ops
// alert.
func (r *Reader) Breaker() *circuit.Breaker { return r.breaker }

// Health reports the reader for /readyz: ready once connected and caught up;
// otherwise the circuit's reason (a configuration error) or why the last
// session ended.
func (r *Reader) Health() health.Status {
	if h := r.breaker.Health(); !h.Ready {
		return h
	}
	s := health.Status{Name: r.Name(), Kind: "imap", Ready: r.Ready(), State: "connected"}
	if s.Ready {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	s.State, s.Since = "connecting", r.since
	if r.connected.Load() {
		s.State = "catching up"
	}
	if r.lastErr != nil {
		s.Reason = r.lastErr.Error()
	}
	return s
}

func (r *Reader) noteEnded(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastErr = err
	r.since = time.Now()
}

// Run connects, catches up, then waits for new mail with IDLE (or polls), and
// reconnects with capped, jittered backoff whenever the connection fails. It
// returns ctx.Err() when ctx ends, and never panics.
func (r *Reader) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("inbox: Run called twice on one Reader")
	}
	defer r.running.Store(false)

	for attempt := 0; ; {
		progressed, err := r.safeSession(ctx)
		r.connected.Store(false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.noteEnded(err)
		if progressed {
			attempt = 0 // the server worked for a while: start the backoff over
		}
		attempt++
		delay := r.cfg.Backoff.Delay(attempt)
		if c, wait := retry.Classify(err); c == retry.ClassConfiguration {
			// The circuit is open and said so once (ERROR); come back for
			// the next probe, quietly.
			delay = max(wait, time.Second)
			r.log.Debug("IMAP login blocked by a configuration error; trying again", "err", err, "delay", delay)
		} else {
			r.log.Warn("IMAP session ended; reconnecting", "err", err, "attempt", attempt, "delay", delay)
		}
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// safeSession runs one session, turning a panic (from a misbehaving server
// tripping a library bug) into an error so that Run carries on.
func (r *Reader) safeSession(ctx context.Context) (progressed bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic in IMAP session: %v\n%s", v, debug.Stack())
			r.log.Error("recovered from panic", "err", err)
		}
	}()
	return r.session(ctx)
}

// session is one connection's life: connect, then catch up and wait for news
// until something fails. A failing Sink or Cursor does not cost the
// connection: the session backs off and reads again from the saved cursor.
func (r *Reader) session(ctx context.Context) (progressed bool, err error) {
	var s *session
	err = r.breaker.Do(ctx, func(ctx context.Context) error {
		var err error
		s, err = r.connect(ctx)
		return classifyConnect(err)
	})
	if err != nil {
		return false, err
	}
	defer s.close()
	r.connected.Store(true)

	for failures := 0; ; {
		before := s.last
		err := s.catchUp(ctx)
		if s.last != before {
			failures = 0 // the Sink took something: this is a new failure, not the same one
		}
		var se *sinkError
		switch {
		case err == nil:
			failures = 0
			progressed = true
			r.caughtUp.Store(true)
			err = s.waitNews(ctx)
		case errors.As(err, &se):
			failures++
			delay := r.cfg.Backoff.Delay(failures)
			r.log.Error("storing message failed; will retry", "err", err, "attempt", failures, "delay", delay)
			err = s.pause(ctx, delay)
		}
		if err != nil {
			return progressed, err
		}
	}
}

// sinkError marks a failure of the Sink or the Cursor, as opposed to one of
// the IMAP connection: the connection stays, the message is read again.
type sinkError struct{ err error }

func (e *sinkError) Error() string { return e.err.Error() }
func (e *sinkError) Unwrap() error { return e.err }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// classifyConnect marks what a new session cannot get past without a change
// of configuration: a refused login (wrong password, account disabled,
// login refused without TLS), a certificate that does not verify, a folder
// that does not exist. Everything else (the server down, a dropped
// connection, NO [UNAVAILABLE]) is temporary.
func classifyConnect(err error) error {
	if err == nil {
		return nil
	}
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) {
		return retry.Configuration(err)
	}
	var ie *imap.Error
	if errors.As(err, &ie) {
		switch ie.Code {
		case imap.ResponseCodeUnavailable, imap.ResponseCodeServerBug, imap.ResponseCodeLimit, imap.ResponseCodeInUse:
			return err
		}
		var ce *connectError
		if errors.As(err, &ce) && (ce.step == "login" || ce.step == "select") {
			return retry.Configuration(err)
		}
	}
	return err
}

// connectError says which step of connect failed.
type connectError struct {
	step string // dial, greeting, login, select, cursor
	err  error
}

func (e *connectError) Error() string { return e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }
