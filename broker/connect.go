package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	Logger    *slog.Logger
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
	opts := []nats.Option{
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
	var err error
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
