package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/logging/logtest"
	"github.com/acctflow/acctflow/mailer/smtptest"
	"github.com/acctflow/acctflow/mailer/tlstest"
	"github.com/acctflow/acctflow/retry"
)

// These tests talk to a server configured like Postfix on the submission
// port: STARTTLS with a certificate from a private CA, SASL PLAIN only after
// STARTTLS, mail only after AUTH.

func submissionSender(t *testing.T, srv *smtptest.Submission, mod func(*Config)) (*Sender, *logtest.Buffer) {
	t.Helper()
	logs := &logtest.Buffer{}
	cfg := Config{
		Host: srv.Host, Port: srv.Port, TLSPolicy: TLSMandatory, From: testFrom, Timeout: 10 * time.Second,
		Username: "acctflow", Password: "s3cret", ProbeInterval: time.Hour,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewSender(cfg)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s, logs
}

func privateSubmission(t *testing.T, mod func(*smtptest.SubmissionConfig)) (*smtptest.Submission, *tlstest.CA) {
	t.Helper()
	ca := tlstest.NewCA(t, "Acme Internal CA")
	cfg := smtptest.SubmissionConfig{Cert: ca.Issue(t, "127.0.0.1", "mail.acctflow.test"), User: "acctflow", Password: "s3cret"}
	if mod != nil {
		mod(&cfg)
	}
	return smtptest.StartSubmission(t, cfg), ca
}

func send(t *testing.T, s *Sender, requestID string) error {
	t.Helper()
	d := harborview()
	d.RequestID = requestID
	return s.Send(context.Background(), confirmationMessage(t, d, testInbox))
}

func TestPrivateCARefusedWithoutCAFileAcceptedWithIt(t *testing.T) {
	srv, ca := privateSubmission(t, nil)

	without, _ := submissionSender(t, srv, nil)
	err := send(t, without, "REQ-1001")
	if c, d := retry.Classify(err); c != retry.ClassConfiguration || d <= 0 {
		t.Fatalf("untrusted private CA: class %v delay %v (%v); want a configuration error", c, d, err)
	}
	if h := without.Breaker().Health(); h.Ready || !strings.Contains(h.Reason, "certificate") {
		t.Fatalf("circuit after an untrusted certificate: %+v", h)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages delivered over an unverified session", n)
	}

	with, logs := submissionSender(t, srv, func(c *Config) { c.CAFile = ca.File(t) })
	if err := send(t, with, "REQ-1001"); err != nil {
		t.Fatalf("with --smtp-ca: %v", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages delivered", n)
	}
	// One INFO line per email, with its Message-ID whole.
	id := MessageID(nil, "REQ-1001", KindConfirmation, testIDHost)
	if !strings.Contains(logs.String(), "email sent") || !strings.Contains(logs.String(), "<"+id+">") {
		t.Fatalf("no INFO line naming the Message-ID:\n%s", logs)
	}
}

func TestTLSServerName(t *testing.T) {
	ca := tlstest.NewCA(t, "Acme Internal CA")
	// The certificate names the server, not the address we connect to.
	srv := smtptest.StartSubmission(t, smtptest.SubmissionConfig{Cert: ca.Issue(t, "mail.acctflow.test"), User: "acctflow", Password: "s3cret"})
	caFile := ca.File(t)
	wrongName, _ := submissionSender(t, srv, func(c *Config) { c.CAFile = caFile })
	if err := send(t, wrongName, "REQ-1"); !retry.IsConfiguration(err) {
		t.Fatalf("name mismatch: %v; want a configuration error", err)
	}
	named, _ := submissionSender(t, srv, func(c *Config) { c.CAFile, c.TLSServerName = caFile, "mail.acctflow.test" })
	if err := send(t, named, "REQ-1"); err != nil {
		t.Fatalf("with --smtp-tls-server-name: %v", err)
	}
}

func TestOpportunisticEncryptsWithAnUnverifiableCertificate(t *testing.T) {
	// A stock Debian Postfix: a self-signed snakeoil certificate.
	srv := smtptest.StartSubmission(t, smtptest.SubmissionConfig{Cert: tlstest.SelfSigned(t, "debian"), User: "acctflow", Password: "s3cret"})
	s, logs := submissionSender(t, srv, func(c *Config) { c.TLSPolicy = TLSOpportunistic })
	for _, id := range []string{"REQ-1", "REQ-2"} {
		if err := send(t, s, id); err != nil {
			t.Fatalf("opportunistic against a snakeoil certificate: %v", err)
		}
	}
	if n := len(srv.Messages()); n != 2 {
		t.Fatalf("%d messages delivered, want 2", n)
	}
	// The server only takes mail (and AUTH) over TLS: it was encrypted.
	if n := strings.Count(logs.String(), "will not be verified"); n != 1 {
		t.Fatalf("the unverified certificate is said %d times in the log, want once:\n%s", n, logs)
	}

	// With a CA configured, opportunistic verifies: the snakeoil
	// certificate is refused.
	other := tlstest.NewCA(t, "Another CA")
	verifying, _ := submissionSender(t, srv, func(c *Config) { c.TLSPolicy, c.CAFile = TLSOpportunistic, other.File(t) })
	if err := send(t, verifying, "REQ-3"); !retry.IsConfiguration(err) {
		t.Fatalf("opportunistic with a CA against an unverifiable certificate: %v", err)
	}
}

// A wrong password is not a message error: the circuit opens, nothing is
// dead-lettered, no further connection is made until a probe succeeds, and
// after the fix every email goes out once.
func TestWrongPasswordOpensTheCircuitAndTheFixClosesIt(t *testing.T) {
	srv, ca := privateSubmission(t, nil)
	pwFile := filepath.Join(t.TempDir(), "smtp-password")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The circuit turns half-open after ProbeInterval and lets one call
	// through as a probe: long enough that the three calls below, which the
	// open circuit answers at once, come before it on a loaded machine.
	s, logs := submissionSender(t, srv, func(c *Config) {
		c.CAFile, c.Password, c.PasswordFile, c.ProbeInterval = ca.File(t), "", pwFile, time.Second
	})
	if err := send(t, s, "REQ-0"); err != nil {
		t.Fatal(err)
	}
	// The mail admin rotates the password; acctflow still has the old one.
	srv.SetPassword("n3w-s3cret")
	err := send(t, s, "REQ-1")
	if c, _ := retry.Classify(err); c != retry.ClassConfiguration || !strings.Contains(err.Error(), "535") {
		t.Fatalf("535: %v (class %v)", err, c)
	}
	conns := srv.Connections()
	for _, id := range []string{"REQ-2", "REQ-3", "REQ-4"} {
		err := send(t, s, id)
		var open *circuit.OpenError
		if !errors.As(err, &open) || retry.IsPermanent(err) {
			t.Fatalf("while open: %v", err)
		}
	}
	if srv.Connections() != conns {
		t.Fatalf("%d connections while the circuit was open", srv.Connections()-conns)
	}
	if h := s.Breaker().Health(); h.Ready || !strings.Contains(h.Reason, "535") {
		t.Fatalf("health %+v", h)
	}

	// The fix: the new password in the file. A probe closes the circuit.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Breaker().Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := os.WriteFile(pwFile, []byte("n3w-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if h := s.Breaker().Health(); !h.Ready {
			return fmt.Errorf("circuit %s", h.State)
		}
		return nil
	})
	for _, id := range []string{"REQ-1", "REQ-2", "REQ-3", "REQ-4"} {
		if err := send(t, s, id); err != nil {
			t.Fatalf("after the fix: %v", err)
		}
	}
	if n := len(srv.Messages()); n != 5 {
		t.Fatalf("%d messages delivered, want 5", n)
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines for one opening:\n%s", n, logs)
	}
}

// Postfix answers 504 to a HELO name that is not fully qualified. That is
// the configuration, not the message: circuit, not DLQ. The default HELO (the
// domain of From) passes.
func TestBareHELORejectedWith504(t *testing.T) {
	// Postfix by default answers at RCPT time (smtpd_delay_reject=yes), or
	// at EHLO with smtpd_delay_reject=no.
	for _, atEHLO := range []bool{false, true} {
		srv, ca := privateSubmission(t, func(c *smtptest.SubmissionConfig) { c.RequireFQDNHelo, c.HeloRejectAtEHLO = true, atEHLO })
		bare, _ := submissionSender(t, srv, func(c *Config) { c.CAFile, c.HELO = ca.File(t), "vm" })
		err := send(t, bare, "REQ-1")
		if c, _ := retry.Classify(err); c != retry.ClassConfiguration || !strings.Contains(err.Error(), "504") {
			t.Fatalf("504 to HELO (at EHLO: %v): %v (class %v); want a configuration error", atEHLO, err, c)
		}
		if want := map[bool]string{true: "(at EHLO)", false: "(at RCPT)"}[atEHLO]; !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say which step failed (%s): %v", want, err)
		}
	}
	srv, ca := privateSubmission(t, func(c *smtptest.SubmissionConfig) { c.RequireFQDNHelo = true })

	def, _ := submissionSender(t, srv, func(c *Config) { c.CAFile = ca.File(t) })
	if def.HELO() != testIDHost {
		t.Fatalf("default HELO %q, want the domain of %s", def.HELO(), testFrom)
	}
	if err := send(t, def, "REQ-1"); err != nil {
		t.Fatalf("default HELO: %v", err)
	}
	if helos := srv.HELOs(); helos[len(helos)-1] != testIDHost {
		t.Fatalf("server saw HELO %v", helos)
	}
}

// A recipient the server refuses (550 unknown user) is the message's
// problem: permanent, and the circuit stays closed.
func TestUnknownRecipientIsPermanentAndLeavesTheCircuitClosed(t *testing.T) {
	srv, ca := privateSubmission(t, func(c *smtptest.SubmissionConfig) {
		c.RejectRcpt = func(string) *smtp.SMTPError {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Recipient address rejected: User unknown in local recipient table"}
		}
	})
	s, _ := submissionSender(t, srv, func(c *Config) { c.CAFile = ca.File(t) })
	err := send(t, s, "REQ-1")
	if c, _ := retry.Classify(err); c != retry.ClassPermanent || !strings.Contains(err.Error(), "550") {
		t.Fatalf("550: %v (class %v)", err, c)
	}
	if h := s.Breaker().Health(); !h.Ready {
		t.Fatalf("a message error opened the circuit: %+v", h)
	}
}

func TestProbeChecksTheConfigurationWithoutSending(t *testing.T) {
	srv, ca := privateSubmission(t, nil)
	good, _ := submissionSender(t, srv, func(c *Config) { c.CAFile = ca.File(t) })
	if err := good.Probe(context.Background()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	bad, _ := submissionSender(t, srv, func(c *Config) { c.CAFile, c.Password = ca.File(t), "wrong" })
	if err := bad.Probe(context.Background()); !retry.IsConfiguration(err) {
		t.Fatalf("probe with a wrong password: %v", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("a probe delivered %d messages", n)
	}
}
