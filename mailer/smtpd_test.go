package mailer

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// serverOpts shapes the in-process go-smtp server a test talks to.
type serverOpts struct {
	startTLS bool   // advertise STARTTLS
	implicit bool   // TLS from the first byte
	user     string // require AUTH PLAIN with user/pass when set
	pass     string
	mailErr  error // returned from MAIL FROM
	rcptErr  error // returned from RCPT TO
	dataErr  error // returned after DATA was read
	stall    bool  // DATA blocks until the test ends
	discard  bool  // benchmarks: count, do not keep
}

// received is one message as the server saw it.
type received struct {
	From string
	To   []string
	Data []byte
	TLS  bool
	User string
}

type testServer struct {
	Host    string
	Port    int
	RootCAs *x509.CertPool

	opts     serverOpts
	mu       sync.Mutex
	msgs     []received
	count    int
	sessions int
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *testServer) sessionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// startServer runs a real go-smtp server on a random loopback port for the
// duration of tb.
func startServer(tb testing.TB, opts serverOpts) *testServer {
	tb.Helper()
	ts := &testServer{opts: opts}
	release := make(chan struct{})
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		ts.sessions++
		ts.mu.Unlock()
		return &session{ts: ts, conn: c, release: release}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 4 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	if opts.startTLS || opts.implicit {
		cert, pool := selfSigned(tb)
		ts.RootCAs = pool
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if opts.implicit {
			ln = tls.NewListener(ln, cfg)
		} else {
			srv.TLSConfig = cfg
		}
	}
	addr := ln.Addr().(*net.TCPAddr)
	ts.Host, ts.Port = "127.0.0.1", addr.Port

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		close(release)
		// Close the listener too: srv.Close only closes listeners Serve has
		// registered, and a short test can end before the goroutine does.
		_ = ln.Close()
		_ = srv.Close()
		<-done
	})
	return ts
}

type session struct {
	ts      *testServer
	conn    *smtp.Conn
	release chan struct{}
	from    string
	to      []string
	user    string
}

func (s *session) AuthMechanisms() []string {
	if s.ts.opts.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ts.opts.user || pass != s.ts.opts.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.opts.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	if s.ts.opts.mailErr != nil {
		return s.ts.opts.mailErr
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ts.opts.rcptErr != nil {
		return s.ts.opts.rcptErr
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	if s.ts.opts.stall {
		<-s.release
		return errors.New("test over")
	}
	if s.ts.opts.discard {
		_, err := io.Copy(io.Discard, r)
		s.ts.mu.Lock()
		s.ts.count++
		s.ts.mu.Unlock()
		return err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.opts.dataErr != nil {
		return s.ts.opts.dataErr
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{From: s.from, To: s.to, Data: data, TLS: isTLS, User: s.user})
	s.ts.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// selfSigned makes a throwaway certificate for 127.0.0.1 and the pool that
// trusts it.
func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "acctflow test smtp"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// checkFor polls cond until it returns nil or total elapses.
func checkFor(t *testing.T, total, every time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", total, err)
		}
		time.Sleep(every)
	}
}
