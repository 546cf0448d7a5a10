package smtptest

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SubmissionConfig shapes a server configured like a real submission
// service (Postfix on port 587): STARTTLS with the given certificate, SASL
// PLAIN only after STARTTLS, mail only after AUTH, and optionally Postfix's
// reject_non_fqdn_helo_hostname.
type SubmissionConfig struct {
	Cert           tls.Certificate // required
	User, Password string          // required
	// RequireFQDNHelo refuses a HELO name without a dot as Postfix's
	// reject_non_fqdn_helo_hostname does: with its default
	// smtpd_delay_reject=yes the 504 comes at RCPT time, or at EHLO with
	// HeloRejectAtEHLO (smtpd_delay_reject=no).
	RequireFQDNHelo  bool
	HeloRejectAtEHLO bool
	// RejectRcpt answers RCPT TO for addresses it returns an error for
	// (550 unknown user).
	RejectRcpt func(addr string) *smtp.SMTPError
}

// Submission is a running submission server.
type Submission struct {
	Host string
	Port int

	cfg         SubmissionConfig
	mu          sync.Mutex
	password    string
	connections int
	helos       []string
	authFails   int
	msgs        []Received
}

// StartSubmission runs a submission server on loopback until the test ends.
func StartSubmission(tb testing.TB, cfg SubmissionConfig) *Submission {
	tb.Helper()
	s := &Submission{cfg: cfg, password: cfg.Password}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = "mail.acctflow.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cfg.Cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(&countingListener{Listener: ln, s: s})
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		_ = srv.Close()
		<-done
	})
	return s
}

// Addr is "host:port".
func (s *Submission) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// SetPassword changes the password the server accepts (a rotation).
func (s *Submission) SetPassword(pw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.password = pw
}

// Connections counts TCP connections accepted so far.
func (s *Submission) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// AuthFailures counts refused logins.
func (s *Submission) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFails
}

// HELOs lists the names clients announced.
func (s *Submission) HELOs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.helos...)
}

// Messages returns what was accepted so far.
func (s *Submission) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

type countingListener struct {
	net.Listener
	s *Submission
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.s.mu.Lock()
		l.s.connections++
		l.s.mu.Unlock()
	}
	return c, err
}

func (s *Submission) newSession(c *smtp.Conn) (smtp.Session, error) {
	helo := c.Hostname()
	s.mu.Lock()
	s.helos = append(s.helos, helo)
	s.mu.Unlock()
	if s.helloRefused(helo) && s.cfg.HeloRejectAtEHLO {
		return nil, heloRejected(helo)
	}
	return &submissionSession{s: s, conn: c, helo: helo}, nil
}

func (s *Submission) helloRefused(helo string) bool {
	return s.cfg.RequireFQDNHelo && !strings.Contains(helo, ".") && !strings.HasPrefix(helo, "[")
}

// heloRejected is Postfix's answer, word for word.
func heloRejected(helo string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 504, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
		Message: "<" + helo + ">: Helo command rejected: need fully-qualified hostname"}
}

type submissionSession struct {
	s    *Submission
	conn *smtp.Conn
	helo string
	user string
	from string
	to   []string
}

func (ss *submissionSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *submissionSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ss.s.mu.Lock()
		defer ss.s.mu.Unlock()
		if user != ss.s.cfg.User || pass != ss.s.password {
			ss.s.authFails++
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Error: authentication failed: authentication failure"}
		}
		ss.user = user
		return nil
	}), nil
}

func (ss *submissionSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.user == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *submissionSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.helloRefused(ss.helo) {
		return heloRejected(ss.helo)
	}
	if ss.s.cfg.RejectRcpt != nil {
		if err := ss.s.cfg.RejectRcpt(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *submissionSession) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(r, 32<<20)); err != nil {
		return err
	}
	if _, isTLS := ss.conn.TLSConnectionState(); !isTLS {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.msgs = append(ss.s.msgs, Received{From: ss.from, To: ss.to, Data: buf.Bytes()})
	return nil
}

func (ss *submissionSession) Reset()        { ss.from, ss.to = "", nil }
func (ss *submissionSession) Logout() error { return nil }
