package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"
)

// ctxConn ties a connection to the context of the Send using it. go-mail
// only consults the context while dialing and then re-arms its own
// per-command deadlines; clamping every deadline to the context (and moving
// it to the past once the context ends) makes cancellation and shutdown stop
// a stalled session at once instead of after Config.Timeout.
type ctxConn struct {
	net.Conn
	ctx context.Context

	mu   sync.Mutex // orders deadline updates against the cancellation
	dead bool
}

var past = time.Unix(1, 0)

func (c *ctxConn) clamp(t time.Time) time.Time {
	if c.dead {
		return past
	}
	if dl, ok := c.ctx.Deadline(); ok && (t.IsZero() || dl.Before(t)) {
		return dl
	}
	return t
}

func (c *ctxConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetDeadline(c.clamp(t))
}

func (c *ctxConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *ctxConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

func (c *ctxConn) cancel() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	_ = c.Conn.SetDeadline(past)
}

// sessionDialer dials for exactly one Send. stop releases the context watch
// and must be called when the Send returns.
type sessionDialer struct {
	ctx       context.Context
	implicit  bool
	tlsConfig *tls.Config

	mu    sync.Mutex
	stops []func() bool
}

func (d *sessionDialer) dial(dialCtx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	raw, err := nd.DialContext(dialCtx, network, addr)
	if err != nil {
		return nil, err
	}
	cc := &ctxConn{Conn: raw, ctx: d.ctx}
	d.mu.Lock()
	d.stops = append(d.stops, context.AfterFunc(d.ctx, cc.cancel))
	d.mu.Unlock()
	if !d.implicit {
		return cc, nil
	}
	// TLS outermost, so go-mail's smtp client sees a *tls.Conn and knows the
	// session is encrypted (PLAIN/LOGIN auth refuse otherwise).
	tc := tls.Client(cc, d.tlsConfig)
	if err := tc.HandshakeContext(dialCtx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	return tc, nil
}

func (d *sessionDialer) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.stops {
		s()
	}
	d.stops = nil
}
