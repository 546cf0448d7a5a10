package inbox

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acctflow/acctflow/health"
	"github.com/acctflow/acctflow/logging/logtest"
	"github.com/acctflow/acctflow/mailer/tlstest"
)

func notReadyWith(r *Reader, reason string) func() error {
	return func() error {
		h := r.Health()
		if h.Ready || !strings.Contains(h.Reason, reason) {
			return fmt.Errorf("health %+v, want not ready because of %q", h, reason)
		}
		return nil
	}
}

// A wrong IMAP password opens the mailbox's circuit: /readyz names the
// mailbox and the reason, ops hear once, the reader keeps trying quietly and
// recovers by itself once the password is fixed.
func TestWrongPasswordOpensTheCircuitUntilFixed(t *testing.T) {
	ts := startServer(t, capsRev2)
	pwFile := filepath.Join(t.TempDir(), "imap-password")
	if err := os.WriteFile(pwFile, []byte("wrong\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logtest.Buffer
	var alerts atomic.Int32
	cfg := testConfig(t, ts)
	cfg.Password, cfg.PasswordFile, cfg.ProbeInterval = "", pwFile, 10*time.Millisecond
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg.Alert = func(_ context.Context, s health.Status) error {
		alerts.Add(1)
		return nil
	}
	sink, cur := newSink(), newCursor()
	r, _ := runReader(t, cfg, sink, cur)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Breaker().Run(ctx) }()
	defer func() { cancel(); <-done }()

	checkFor(t, waitLong, 5*time.Millisecond, notReadyWith(r, "AUTHENTICATIONFAILED"))
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		if n := alerts.Load(); n != 1 {
			return fmt.Errorf("%d alerts", n)
		}
		return nil
	})
	if h := r.Health(); h.State != "open" && h.State != "probing" || !strings.Contains(h.Name, "imap") {
		t.Fatalf("health %+v", h)
	}
	appendMsg(t, ts.client(), "INBOX", testMsg(1, "waiting for the fix"))

	if err := os.WriteFile(pwFile, []byte(testPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))
	checkFor(t, waitLong, 5*time.Millisecond, expectCount(sink, 1))
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("%d ERROR lines for one opening, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "level=WARN msg=\"IMAP session ended"); n != 0 {
		t.Fatalf("%d WARN lines for logins refused behind the open circuit:\n%s", n, logs.String())
	}
	if n := alerts.Load(); n != 1 {
		t.Fatalf("%d alerts for one opening", n)
	}
}

// A server certificate from a private CA is refused without --imap-ca (a
// configuration error: circuit, readiness) and accepted with it.
func TestPrivateCA(t *testing.T) {
	ca := tlstest.NewCA(t, "Acme Internal CA")
	serverTLS := &tls.Config{Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1")}}
	ts := startServerTLS(t, capsRev2, serverTLS, &tls.Config{RootCAs: ca.Pool()}, true)

	cfg := testConfig(t, ts)
	cfg.TLS, cfg.ProbeInterval = TLSImplicit, 10*time.Millisecond
	without, _ := runReader(t, cfg, newSink(), newCursor())
	checkFor(t, waitLong, 5*time.Millisecond, notReadyWith(without, "certificate"))

	cfg.CAFile = ca.File(t)
	with, _ := runReader(t, cfg, newSink(), newCursor())
	checkFor(t, waitLong, 5*time.Millisecond, ready(with))
	if !with.Health().Ready {
		t.Fatalf("health %+v", with.Health())
	}
}

// A dropped connection is no configuration error: the reader is not ready
// while it reconnects, and the circuit stays closed.
func TestServerDownIsNotAConfigurationError(t *testing.T) {
	ts := startServer(t, capsRev2)
	cfg := testConfig(t, ts)
	cfg.ProbeInterval = 10 * time.Millisecond
	r, _ := runReader(t, cfg, newSink(), newCursor())
	checkFor(t, waitLong, 5*time.Millisecond, ready(r))
	ts.stop()
	checkFor(t, waitLong, 5*time.Millisecond, func() error {
		if h := r.Health(); h.Ready || h.State != "connecting" {
			return fmt.Errorf("health %+v", h)
		}
		return nil
	})
	if r.Breaker().Open() {
		t.Fatal("a server outage opened the circuit")
	}
}
