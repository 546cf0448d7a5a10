package inbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Keepalive probes find a server that vanished without closing the connection
// (NAT timeout, crashed host) while we sit in IDLE, where imapclient sets no
// read deadline: dead within about a minute instead of never.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

const (
	dialTimeout   = 30 * time.Second
	logoutTimeout = 2 * time.Second
)

// session is one logged-in connection with the folder selected.
type session struct {
	r         *Reader
	conn      net.Conn
	c         *imapclient.Client
	stopWatch func() bool   // stops closing conn when ctx ends
	news      chan struct{} // the server announced EXISTS: look for new mail

	validity uint32 // UIDVALIDITY of the selected folder
	last     uint32 // highest UID durably passed (saved in the Cursor)
	useIdle  bool
	keyword  bool // the folder accepts our keyword as a permanent flag
	move     bool // move processed messages to cfg.MoveTo
}

// connect dials, logs in, selects the folder and loads the cursor.
func (r *Reader) connect(ctx context.Context) (*session, error) {
	cfg := r.cfg
	conn, err := r.dial(ctx)
	if err != nil {
		return nil, &connectError{"dial", fmt.Errorf("connecting to %s: %w", cfg.Addr, err)}
	}
	s := &session{r: r, conn: conn, news: make(chan struct{}, 1)}
	// imapclient takes no context: closing the connection is what unblocks
	// any command in flight when ctx ends.
	s.stopWatch = context.AfterFunc(ctx, func() { conn.Close() })
	ok := false
	defer func() {
		if !ok {
			s.close()
		}
	}()

	opts := &imapclient.Options{
		TLSConfig: r.tlsConfig(false),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: never block it.
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case s.news <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	if cfg.TLS == TLSStartTLS {
		if s.c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			return nil, &connectError{"starttls", fmt.Errorf("starting TLS with %s: %w", cfg.Addr, err)}
		}
	} else {
		s.c = imapclient.New(conn, opts)
	}
	if err := s.c.WaitGreeting(); err != nil {
		return nil, &connectError{"greeting", fmt.Errorf("reading greeting of %s: %w", cfg.Addr, err)}
	}
	if err := s.c.Login(cfg.Username, r.password()).Wait(); err != nil {
		return nil, &connectError{"login", fmt.Errorf("logging in to %s as %s: %w", cfg.Addr, maskUser(cfg.Username), err)}
	}
	sel, err := s.c.Select(cfg.Folder, nil).Wait()
	if err != nil {
		return nil, &connectError{"select", fmt.Errorf("selecting %s: %w", cfg.Folder, err)}
	}
	if sel.UIDValidity == 0 {
		return nil, fmt.Errorf("selecting %s: server sent no UIDVALIDITY", cfg.Folder)
	}
	s.validity = sel.UIDValidity

	caps := s.c.Caps()
	s.useIdle = !cfg.DisableIdle && caps.Has(imap.CapIdle)
	s.keyword = permanentFlag(sel.PermanentFlags, imap.Flag(cfg.ProcessedKeyword))
	if cfg.MoveTo != "" {
		// Without MOVE or UIDPLUS, imapclient emulates a move with a plain
		// EXPUNGE, which would also purge messages someone else marked
		// \Deleted. Flagging alone is the lesser harm.
		s.move = caps.Has(imap.CapMove) || caps.Has(imap.CapUIDPlus)
		if !s.move {
			r.log.Warn("server supports neither MOVE nor UIDPLUS; processed messages are only flagged", "move_to", cfg.MoveTo)
		}
	}

	if err := s.loadCursor(ctx, sel); err != nil {
		return nil, err
	}
	r.log.Info("IMAP folder selected", "uidvalidity", s.validity, "last_uid", s.last, "messages", sel.NumMessages, "idle", s.useIdle)
	ok = true
	return s, nil
}

// loadCursor positions the session after the last UID already delivered, or
// at the start when the folder is new to us or its UIDVALIDITY changed (its
// UIDs were renumbered, so the old position means nothing).
func (s *session) loadCursor(ctx context.Context, sel *imap.SelectData) error {
	r := s.r
	v, last, found, err := r.cur.Load(ctx, r.key)
	if err != nil {
		return fmt.Errorf("loading cursor of %s: %w", r.cfg.Folder, err)
	}
	switch {
	case !found:
		s.last = 0
	case v != s.validity:
		r.log.Warn("UIDVALIDITY changed; reading the folder again from UID 1", "old", v, "new", s.validity)
		s.last = 0
		if err := r.cur.Save(ctx, r.key, s.validity, 0); err != nil {
			return fmt.Errorf("resetting cursor of %s: %w", r.cfg.Folder, err)
		}
	default:
		s.last = last
		if sel.UIDNext != 0 && imap.UID(last) >= sel.UIDNext {
			r.log.Warn("cursor is beyond the folder's UIDNEXT; the server may have lost mail", "last_uid", last, "uidnext", sel.UIDNext)
		}
	}
	return nil
}

// password is Config.Password, or PasswordFile's content read now.
func (r *Reader) password() string {
	if r.cfg.PasswordFile == "" {
		return r.cfg.Password
	}
	data, err := os.ReadFile(r.cfg.PasswordFile)
	if err != nil {
		r.log.Warn("reading the IMAP password file", "err", err)
		return ""
	}
	return strings.TrimSpace(string(data))
}

func (r *Reader) dial(ctx context.Context) (net.Conn, error) {
	nd := &net.Dialer{Timeout: dialTimeout, KeepAliveConfig: keepAlive}
	if r.cfg.TLS == TLSImplicit {
		td := &tls.Dialer{NetDialer: nd, Config: r.tlsConfig(true)}
		return td.DialContext(ctx, "tcp", r.cfg.Addr)
	}
	return nd.DialContext(ctx, "tcp", r.cfg.Addr)
}

func (r *Reader) tlsConfig(implicit bool) *tls.Config {
	c := new(tls.Config)
	if r.cfg.TLSConfig != nil {
		c = r.cfg.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName, _, _ = net.SplitHostPort(r.cfg.Addr)
	}
	if implicit && c.NextProtos == nil {
		c.NextProtos = []string{"imap"}
	}
	return c
}

// permanentFlag reports whether the folder will keep flag f. A server that
// sent no PERMANENTFLAGS gets the benefit of the doubt; a refused STORE is
// handled when it happens.
func permanentFlag(perm []imap.Flag, f imap.Flag) bool {
	if len(perm) == 0 {
		return true
	}
	for _, p := range perm {
		if p == imap.FlagWildcard || strings.EqualFold(string(p), string(f)) {
			return true
		}
	}
	return false
}

// close logs out politely when the connection still works, and releases it.
func (s *session) close() {
	s.stopWatch()
	if s.c == nil {
		s.conn.Close()
		return
	}
	// A server that stopped answering must not hold up the reconnect.
	t := time.AfterFunc(logoutTimeout, func() { s.conn.Close() })
	_ = s.c.Logout().Wait()
	t.Stop()
	_ = s.c.Close()
}
