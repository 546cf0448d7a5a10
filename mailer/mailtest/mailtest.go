// Package mailtest reads sent mail as a mail client would and points a real
// mailer.Sender at a test SMTP server (sandbox or smtptest).
package mailtest

import (
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/sandbox/devmail"
)

// Parts parses raw and returns its header and the decoded body of each
// inline part by content type (text/plain, text/html).
func Parts(t testing.TB, raw []byte) (*mail.Header, map[string]string) {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing mail: %v", err)
	}
	bodies := map[string]string{}
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading mail part: %v", err)
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			ct, _, _ := h.ContentType()
			b, err := io.ReadAll(p.Body)
			if err != nil {
				t.Fatalf("reading %s part: %v", ct, err)
			}
			bodies[ct] += string(b)
		}
	}
	return &r.Header, bodies
}

// Text is raw's decoded text/plain body.
func Text(t testing.TB, raw []byte) string {
	t.Helper()
	_, bodies := Parts(t, raw)
	return bodies["text/plain"]
}

// Texts is Text of every message.
func Texts(t testing.TB, raws [][]byte) []string {
	t.Helper()
	out := make([]string, 0, len(raws))
	for _, raw := range raws {
		out = append(out, Text(t, raw))
	}
	return out
}

// Sandbox starts a sandbox mail server (loopback, random ports unless cfg
// says otherwise) and closes it when the test ends.
func Sandbox(t testing.TB, cfg devmail.Config) *devmail.Sandbox {
	t.Helper()
	sb, err := devmail.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting sandbox: %v", err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	return sb
}

// Sender is a real mailer.Sender to the plain SMTP server at addr
// ("host:port"), sending as from.
func Sender(t testing.TB, addr, from string) *mailer.Sender {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("smtp address %q: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("smtp port %q: %v", port, err)
	}
	s, err := mailer.NewSender(mailer.Config{Host: host, Port: p, TLSPolicy: mailer.TLSNone, From: from, Timeout: 5 * time.Second, Logger: brokertest.Logger(t)})
	if err != nil {
		t.Fatalf("smtp sender: %v", err)
	}
	return s
}
