package devmail

import (
	"net"
	"sync"
)

// gate counts work running inside the sandbox on behalf of connections (IMAP
// sessions, SMTP transactions, Deliver calls) so that Close can wait for it;
// once closed it admits nothing new. A WaitGroup cannot do this: its Add may
// not race with Wait.
type gate struct {
	mu      sync.Mutex
	n       int
	closed  bool
	drained chan struct{}
}

func newGate() *gate { return &gate{drained: make(chan struct{})} }

func (g *gate) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.n++
	return true
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.closed && g.n == 0 {
		close(g.drained)
	}
}

// close stops admissions and returns a channel closed once all work left.
func (g *gate) close() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed = true
		if g.n == 0 {
			close(g.drained)
		}
	}
	return g.drained
}

// connTracker wraps a listener to remember every accepted connection, so that
// shutdown can close them all: imapserver.Server.Close misses connections
// whose goroutine has not registered yet, and go-smtp's Shutdown closes none.
type connTracker struct {
	net.Listener

	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

func newConnTracker(ln net.Listener) *connTracker {
	return &connTracker{Listener: ln, conns: make(map[*trackedConn]struct{})}
}

func (l *connTracker) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	tc := &trackedConn{Conn: c, owner: l}
	l.conns[tc] = struct{}{}
	return tc, nil
}

// shutdown closes the listener and every connection it accepted.
func (l *connTracker) shutdown() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.Listener.Close()
	for c := range l.conns {
		c.Conn.Close()
	}
	clear(l.conns)
}

func (l *connTracker) forget(c *trackedConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

type trackedConn struct {
	net.Conn
	owner *connTracker
	once  sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() { c.owner.forget(c) })
	return c.Conn.Close()
}
