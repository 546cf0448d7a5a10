package devmail

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

func (s *Sandbox) newIMAPServer() *imapserver.Server {
	return imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			if !s.gate.enter() {
				return nil, nil, &imap.Error{Type: imap.StatusResponseTypeBye, Text: "Server shutting down"}
			}
			return &session{sb: s}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {},
			// What IMAP4rev2 includes, spelled out for IMAP4rev1 clients.
			imap.CapNamespace: {}, imap.CapUIDPlus: {}, imap.CapESearch: {}, imap.CapSearchRes: {},
			imap.CapListExtended: {}, imap.CapListStatus: {}, imap.CapMove: {}, imap.CapStatusSize: {},
			imap.CapBinary: {},
		},
		Logger:       libLogger{log: s.log, server: "imap"},
		InsecureAuth: true, // LOGIN without TLS: loopback only
	})
}

// session is one IMAP connection. imapserver calls it from the connection's
// goroutine, except Idle, which runs in a goroutine of its own.
type session struct {
	sb   *Sandbox
	user *user
	view *view // the selected mailbox, or nil

	mu       sync.Mutex
	closed   bool
	idleDone chan struct{} // set while Idle runs
	once     sync.Once
}

var (
	_ imapserver.SessionIMAP4rev2   = (*session)(nil)
	_ imapserver.SessionAppendLimit = (*session)(nil)
)

// Close waits for a running Idle (imapserver may close the session before
// its IDLE goroutine has returned), then lets Sandbox.Close go on.
func (s *session) Close() error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		done := s.idleDone
		s.mu.Unlock()
		if done != nil {
			<-done
		}
		if s.view != nil {
			s.view.close()
			s.view = nil
		}
		s.sb.gate.leave()
	})
	return nil
}

func (s *session) Login(username, password string) error {
	if !s.sb.passwordOK(password) {
		return imapserver.ErrAuthFailed
	}
	addr, err := foldAddress(username)
	if err != nil {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed,
			Text: "Log in with an email address"}
	}
	u, err := s.sb.store.user(addr, true)
	if errors.Is(err, errTooManyUsers) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeLimit, Text: "Too many users"}
	} else if err != nil {
		return err
	}
	if _, err := u.inbox(); err != nil {
		return fmt.Errorf("opening INBOX of %s: %w", maskAddress(addr), err)
	}
	s.user = u
	return nil
}

func (s *session) Select(name string, options *imap.SelectOptions) (*imap.SelectData, error) {
	mb, err := s.user.get(name)
	if err != nil {
		return nil, err
	}
	if s.view != nil {
		s.view.close()
		s.view = nil
	}
	// The session's tracker starts under the lock that guards the state
	// the select data describes: it then misses no update and repeats none.
	mb.mu.Lock()
	defer mb.mu.Unlock()
	s.view = &view{mb: mb, tracker: mb.tracker.NewSession(), readOnly: options.ReadOnly}
	return mb.selectDataLocked(), nil
}

func (s *session) Unselect() error {
	if s.view != nil {
		s.view.close()
		s.view = nil
	}
	return nil
}

func (s *session) Create(name string, _ *imap.CreateOptions) error { return s.user.create(name) }
func (s *session) Delete(name string) error                        { return s.user.delete(name) }

func (s *session) Rename(name, newName string, _ *imap.RenameOptions) error {
	return s.user.rename(name, newName)
}

func (s *session) Subscribe(name string) error   { return s.subscribe(name, true) }
func (s *session) Unsubscribe(name string) error { return s.subscribe(name, false) }

func (s *session) subscribe(name string, on bool) error {
	mb, err := s.user.get(name)
	if err != nil {
		return err
	}
	return mb.setSubscribed(on)
}

func (s *session) List(w *imapserver.ListWriter, ref string, patterns []string, options *imap.ListOptions) error {
	return s.user.list(w, ref, patterns, options)
}

func (s *session) Status(name string, options *imap.StatusOptions) (*imap.StatusData, error) {
	mb, err := s.user.get(name)
	if err != nil {
		return nil, err
	}
	return mb.status(options), nil
}

func (s *session) Namespace() (*imap.NamespaceData, error) {
	return &imap.NamespaceData{Personal: []imap.NamespaceDescriptor{{Delim: delim}}}, nil
}

func (s *session) AppendLimit() uint32 { return s.sb.store.appendLimit }

func (s *session) Append(name string, r imap.LiteralReader, options *imap.AppendOptions) (*imap.AppendData, error) {
	mb, err := s.user.get(name)
	if err != nil {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTryCreate, Text: "No such mailbox"}
	}
	// imapserver checked the announced literal size against AppendLimit.
	raw, err := io.ReadAll(io.LimitReader(r, int64(s.sb.store.appendLimit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading appended message: %w", err)
	}
	if len(raw) > int(s.sb.store.appendLimit) || len(options.Flags) > maxKeywordsPerMessage {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeTooBig, Text: "Message too large"}
	}
	date := options.Time
	if date.IsZero() {
		date = time.Now()
	}
	uids, err := s.sb.store.appendMessages([]appendItem{{mbox: mb, raw: raw, flags: options.Flags, date: date}})
	if err != nil {
		return nil, imapStoreError(err)
	}
	return &imap.AppendData{UID: uids[0], UIDValidity: mb.uidValidity}, nil
}

// imapStoreError turns a full mailbox or store into an OVERQUOTA refusal.
func imapStoreError(err error) error {
	var full *mailboxFullError
	if errors.As(err, &full) || errors.Is(err, errStoreFull) {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeOverQuota, Text: err.Error()}
	}
	return err
}

func (s *session) Poll(w *imapserver.UpdateWriter, allowExpunge bool) error {
	if s.view == nil {
		return nil
	}
	return s.view.tracker.Poll(w, allowExpunge)
}

func (s *session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	s.idleDone = done
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.idleDone = nil
		s.mu.Unlock()
		close(done)
	}()
	if s.view == nil {
		<-stop
		return nil
	}
	// Watch first, then poll: a change in between is both polled and
	// signalled, never missed.
	wake, cancel := s.view.mb.watch()
	defer cancel()
	for {
		if err := s.view.tracker.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-wake:
		case <-stop:
			return nil
		}
	}
}
