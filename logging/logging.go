// Package logging builds the slog logger: text or JSON, with the local part
// of every email address masked so logs never hold a reseller's address.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
)

var email = regexp.MustCompile(`([A-Za-z0-9][A-Za-z0-9._%+\-]*)@([A-Za-z0-9.\-]+)`)

// Mask hides the local part of email addresses: jane.doe@x.example → j***@x.example.
// Our own Message-IDs are left whole, so that a sent email can be found in
// the mail server's log.
func Mask(s string) string {
	return email.ReplaceAllStringFunc(s, func(m string) string {
		at := strings.LastIndexByte(m, '@')
		if ourMessageID(m[:at]) {
			return m
		}
		return m[:1] + "***" + m[at:]
	})
}

// ourMessageID reports whether local is the left part of a Message-ID we
// generate: a dot-separated part of at least 12 hex digits (the hash or the
// request's MAC) followed by another part (the kind), as in
// 3f2a…c9.confirmation or REQ-1001.0a1b2c3d4e5f.confirmation. A person's
// address does not look like that; our reply address
// (acct-replies+REQ-1001.<mac>) ends with the MAC and stays masked.
func ourMessageID(local string) bool {
	parts := strings.Split(local, ".")
	for i, p := range parts[:len(parts)-1] {
		if i+1 < len(parts) && len(p) >= 12 && isHex(p) && parts[i+1] != "" {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// Verbatim is a log value written as is, never masked: an identifier of our
// own that looks like an address, such as a Message-ID we generated, which
// must stay whole so that a send can be found in the mail server's log.
type Verbatim string

// String implements fmt.Stringer.
func (v Verbatim) String() string { return string(v) }

// MarshalText keeps text and JSON output a plain string.
func (v Verbatim) MarshalText() ([]byte, error) { return []byte(v), nil }

// New returns a logger writing format ("text" or "json") at level to w.
func New(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(Mask(a.Value.String()))
		case slog.KindAny:
			switch v := a.Value.Any().(type) {
			case Verbatim:
			case error:
				a.Value = slog.StringValue(Mask(v.Error()))
			case fmt.Stringer:
				a.Value = slog.StringValue(Mask(v.String()))
			}
		}
		return a
	}}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
