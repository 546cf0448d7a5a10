package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/secrets"
)

// ConnConfig says how to reach NATS. Secrets come from the environment or
// files, never from flag defaults.
type ConnConfig struct {
	URL       string
	Name      string // client name shown by the server
	User      string
	Password  string
	CredsFile string // decentralised auth (JWT + nkey seed)
	NKeyFile  string // nkey seed file
	CAFile    string // TLS: trust this CA
	CertFile  string // TLS client certificate
	KeyFile   string
	// InboxPrefix is the subject prefix of the connection's reply inboxes;
	// empty: Inbox of the user it logs in as (User, or the URL's), or
	// nats.InboxPrefix's _INBOX with no user (an nkey or credentials file
	// names none: set it to what the user may subscribe to).
	InboxPrefix string
	Logger      *slog.Logger
	// Wait is how long the first connection may take; later disconnects are
	// retried forever.
	Wait time.Duration
}

// Conn is a connection with its JetStream context.
type Conn struct {
	NC *nats.Conn
	JS jetstream.JetStream
}

// Connect dials NATS and keeps reconnecting after a disconnect.
func Connect(ctx context.Context, cfg ConnConfig) (*Conn, error) {
	inbox, err := cfg.inboxPrefix()
	if err != nil {
		return nil, err
	}
	opts := []nats.Option{
		nats.CustomInboxPrefix(inbox),
		nats.PermissionErrOnSubscribe(true), // for checkInbox
		nats.Name(cfg.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(false),
	}
	if cfg.User != "" {
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	if cfg.NKeyFile != "" {
		o, err := nats.NkeyOptionFromSeed(cfg.NKeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading nkey seed %s: %w", cfg.NKeyFile, err)
		}
		opts = append(opts, o)
	}
	if cfg.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.CAFile))
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		opts = append(opts, nats.ClientCert(cfg.CertFile, cfg.KeyFile))
	}
	if l := cfg.Logger; l != nil {
		opts = append(opts,
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				if err != nil {
					l.Warn("nats disconnected", "err", err)
				}
			}),
			nats.ReconnectHandler(func(nc *nats.Conn) { l.Info("nats reconnected", "url", nc.ConnectedUrlRedacted()) }),
		)
	}
	wait := cfg.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	var nc *nats.Conn
	deadline := time.Now().Add(wait)
	for {
		nc, err = nats.Connect(cfg.URL, opts...)
		if err == nil || !errors.Is(err, nats.ErrNoServers) || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", secrets.RedactURLs(cfg.URL), err)
	}
	if err := checkInbox(nc); err != nil {
		nc.Close()
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream on %s: %w", secrets.RedactURLs(cfg.URL), err)
	}
	return &Conn{NC: nc, JS: Bound(js, CallTimeout)}, nil
}

// Close drains the connection: pending publishes are flushed first.
func (c *Conn) Close() {
	if err := c.NC.Drain(); err != nil {
		c.NC.Close()
	}
}

// Inbox is the prefix of the subjects where user's replies come: a request's
// (a JetStream API call, a KV get), a publish's acknowledgement, a pull or
// ordered consumer's messages, a KV watch's. nats.conf lets each user
// subscribe to its own only (_INBOX.> would let any user read every other's
// replies).
func Inbox(user string) string { return "_INBOX_" + user }

// checkInbox fails when the user may not subscribe to its inbox: no reply
// would ever come (an older nats.conf, a wrong inbox prefix), every call
// waiting for its timeout.
func checkInbox(nc *nats.Conn) error {
	sub, err := nc.SubscribeSync(nc.NewInbox())
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }()
	// The server refuses a subscription before it answers the flush.
	if err := nc.Flush(); err != nil {
		return err
	}
	if _, err := sub.NextMsg(time.Nanosecond); errors.Is(err, nats.ErrPermissionViolation) {
		return fmt.Errorf("the NATS user may not read its replies, sent to %s.>: %w (generate nats.conf again with `acctflow setup --print-nats-conf`, or set --nats-inbox-prefix to an inbox the user may subscribe to)",
			nc.Opts.InboxPrefix, err)
	}
	return nil
}

// inboxPrefix is InboxPrefix, or derived from the user the connection logs
// in as: the URL's user (a URL with a password; one without names a token),
// else User.
func (cfg ConnConfig) inboxPrefix() (string, error) {
	if cfg.InboxPrefix != "" {
		return cfg.InboxPrefix, nil
	}
	users := map[string]bool{}
	for _, s := range strings.Split(cfg.URL, ",") {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		u, err := url.Parse(s)
		switch {
		case err != nil || u.User == nil:
			users[cfg.User] = true
		default:
			name := "" // a token
			if _, ok := u.User.Password(); ok {
				name = u.User.Username()
			}
			users[name] = true
		}
	}
	if len(users) > 1 {
		names := slices.Sorted(maps.Keys(users))
		if names[0] == "" {
			names[0] = "none"
		}
		return "", fmt.Errorf("the NATS URLs log in as different users (%s): set the inbox prefix (--nats-inbox-prefix) to one they all may subscribe to",
			strings.Join(names, ", "))
	}
	user := slices.Collect(maps.Keys(users))[0]
	switch {
	case user == "":
		return strings.TrimSuffix(nats.InboxPrefix, "."), nil
	case strings.ContainsAny(user, ".*> \t\r\n"):
		return "", fmt.Errorf("NATS user %q names no inbox (a subject token): set the inbox prefix (--nats-inbox-prefix)", user)
	}
	return Inbox(user), nil
}
