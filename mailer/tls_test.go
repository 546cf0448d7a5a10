package mailer

import (
	"context"
	"crypto/tls"
	"testing"

	"github.com/acctflow/acctflow/retry"
)

func tlsSender(t *testing.T, ts *testServer, mod func(*Config)) *Sender {
	return newTestSender(t, ts, func(c *Config) {
		c.TLSConfig = &tls.Config{RootCAs: ts.RootCAs}
		if mod != nil {
			mod(c)
		}
	})
}

func TestSTARTTLSMandatoryWithAuth(t *testing.T) {
	ts := startServer(t, serverOpts{startTLS: true, user: "acctflow", pass: "s3cret"})
	s := tlsSender(t, ts, func(c *Config) {
		c.TLSPolicy, c.Username, c.Password = TLSMandatory, "acctflow", "s3cret"
	})
	if err := s.Send(context.Background(), confirmationMessage(t, harborview(), testInbox)); err != nil {
		t.Fatal(err)
	}
	got := ts.messages()
	if len(got) != 1 || !got[0].TLS || got[0].User != "acctflow" {
		t.Fatalf("received %+v", got)
	}
}

func TestImplicitTLSWithAuth(t *testing.T) {
	ts := startServer(t, serverOpts{implicit: true, user: "acctflow", pass: "s3cret"})
	s := tlsSender(t, ts, func(c *Config) {
		c.ImplicitTLS, c.TLSPolicy, c.Username, c.Password = true, TLSMandatory, "acctflow", "s3cret"
	})
	if err := s.Send(context.Background(), confirmationMessage(t, harborview(), testInbox)); err != nil {
		t.Fatal(err)
	}
	if got := ts.messages(); len(got) != 1 || !got[0].TLS || got[0].User != "acctflow" {
		t.Fatalf("received %+v", got)
	}
}

func TestSTARTTLSMandatoryRefusesClearServer(t *testing.T) {
	ts := startServer(t, serverOpts{})
	err := tlsSender(t, ts, func(c *Config) { c.TLSPolicy = TLSMandatory }).
		Send(context.Background(), confirmationMessage(t, harborview(), testInbox))
	if err == nil {
		t.Fatal("sent in clear under a mandatory TLS policy")
	}
	if retry.IsPermanent(err) {
		t.Errorf("a missing STARTTLS may be a transient downgrade; got permanent: %v", err)
	}
	if len(ts.messages()) != 0 {
		t.Error("message delivered without TLS")
	}
}

func TestSTARTTLSUntrustedCertificateFails(t *testing.T) {
	ts := startServer(t, serverOpts{startTLS: true})
	// No RootCAs: the self-signed certificate must not be accepted.
	s := newTestSender(t, ts, func(c *Config) { c.TLSPolicy = TLSMandatory })
	if err := s.Send(context.Background(), confirmationMessage(t, harborview(), testInbox)); err == nil {
		t.Fatal("accepted an untrusted certificate")
	}
	if len(ts.messages()) != 0 {
		t.Error("message delivered over an unverified session")
	}
}

func TestOpportunisticTLS(t *testing.T) {
	for _, startTLS := range []bool{true, false} {
		ts := startServer(t, serverOpts{startTLS: startTLS})
		err := tlsSender(t, ts, func(c *Config) { c.TLSPolicy = TLSOpportunistic }).
			Send(context.Background(), confirmationMessage(t, harborview(), testInbox))
		if err != nil {
			t.Fatalf("startTLS=%v: %v", startTLS, err)
		}
		if got := ts.messages(); len(got) != 1 || got[0].TLS != startTLS {
			t.Errorf("startTLS=%v: received %+v", startTLS, got)
		}
	}
}

// A refused password is the configuration's fault, not the message's: it
// must never be dead-lettered (see TestWrongPasswordOpensTheCircuitAndTheFixClosesIt).
func TestAuthFailureIsAConfigurationError(t *testing.T) {
	ts := startServer(t, serverOpts{startTLS: true, user: "acctflow", pass: "s3cret"})
	s := tlsSender(t, ts, func(c *Config) {
		c.TLSPolicy, c.Username, c.Password = TLSMandatory, "acctflow", "wrong"
	})
	err := s.Send(context.Background(), confirmationMessage(t, harborview(), testInbox))
	if c, _ := retry.Classify(err); c != retry.ClassConfiguration {
		t.Fatalf("err = %v (class %v), want a configuration error (535)", err, c)
	}
}
