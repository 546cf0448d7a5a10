package mailer

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
	"github.com/emersion/go-smtp"
)

func smtpErr(code int, enhanced smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}
}

func TestSendFailuresAreClassified(t *testing.T) {
	cases := []struct {
		name      string
		opts      serverOpts
		permanent bool
	}{
		{"MAIL 451 greylisted", serverOpts{mailErr: smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "greylisted, try later")}, false},
		{"MAIL 553 sender rejected", serverOpts{mailErr: smtpErr(553, smtp.EnhancedCode{5, 7, 1}, "sender not allowed")}, true},
		{"RCPT 450 mailbox busy", serverOpts{rcptErr: smtpErr(450, smtp.EnhancedCode{4, 2, 1}, "mailbox busy")}, false},
		{"RCPT 550 no such user", serverOpts{rcptErr: smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "<dana.whitfield@fabrikam.example>: no such user")}, true},
		{"DATA 452 out of storage", serverOpts{dataErr: smtpErr(452, smtp.EnhancedCode{4, 3, 1}, "insufficient storage")}, false},
		{"DATA 554 rejected as spam", serverOpts{dataErr: smtpErr(554, smtp.EnhancedCode{5, 7, 1}, "message rejected")}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := startServer(t, c.opts)
			err := newTestSender(t, ts, nil).Send(context.Background(), confirmationMessage(t, harborview(), testInbox))
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := retry.IsPermanent(err); got != c.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, c.permanent, err)
			}
			if strings.Contains(err.Error(), "dana.whitfield@") {
				t.Errorf("error leaks the recipient's local part: %v", err)
			}
			if !strings.Contains(err.Error(), MessageID(nil, "REQ-1001", KindConfirmation, testIDHost)) {
				t.Errorf("error does not name the message: %v", err)
			}
			if len(ts.messages()) != 0 {
				t.Error("server stored a message it refused")
			}
		})
	}
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s, err := NewSender(Config{Host: "127.0.0.1", Port: port, TLSPolicy: TLSNone, From: testFrom, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), confirmationMessage(t, harborview(), testInbox))
	if err == nil || retry.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("the network error is not reachable through the chain: %v", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	ts := startServer(t, serverOpts{stall: true})
	s := newTestSender(t, ts, func(c *Config) { c.Timeout = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Send(ctx, confirmationMessage(t, harborview(), testInbox))
	elapsed := time.Since(start)
	if err == nil || retry.IsPermanent(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err does not carry the context's cause: %v", err)
	}
	// Without the context-bound connection, the stalled DATA would only end
	// at Config.Timeout (a minute).
	if elapsed > 20*time.Second {
		t.Errorf("Send returned after %s; the context ended after 200ms", elapsed)
	}
}

func TestSendCancelledContextDoesNotConnect(t *testing.T) {
	ts := startServer(t, serverOpts{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := newTestSender(t, ts, nil).Send(ctx, confirmationMessage(t, harborview(), testInbox))
	if !errors.Is(err, context.Canceled) || retry.IsPermanent(err) {
		t.Fatalf("err = %v", err)
	}
	if ts.sessionCount() != 0 {
		t.Error("connected despite a cancelled context")
	}
}

func TestMaskAddress(t *testing.T) {
	cases := map[string]string{
		"dana.whitfield@fabrikam.example":       "d***@fabrikam.example",
		"550 <jane@x.example>: no such user":    "550 <j***@x.example>: no such user",
		"no address here":                       "no address here",
		"a@b.example and c.d+tag@sub.e.example": "a***@b.example and c***@sub.e.example",
	}
	for in, want := range cases {
		if got := MaskAddress(in); got != want {
			t.Errorf("MaskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}
