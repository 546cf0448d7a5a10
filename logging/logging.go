// Package logging builds the slog logger: text or JSON, with the local part
// of every email address masked so logs never hold a reseller's address, and
// the credentials of every URL redacted. Every attribute value is masked,
// whatever its kind: strings, errors, fmt.Stringers, members of groups,
// LogValuers, and any other value by its text or JSON form.
package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/acctflow/acctflow/secrets"
)

// email matches an address, ASCII or not (jürgen@bücher.example, an IDN
// domain in Unicode): a local part that starts with a letter or digit and
// goes on with the characters RFC 5322/6531 allow outside quotes (but '/',
// so that URL paths stay apart), then a domain of letters, digits, marks,
// dots and hyphens.
var email = regexp.MustCompile(`[\p{L}\p{N}][\p{L}\p{N}\p{M}.!#$%&'*+=?^_\x60{|}~\-]*@[\p{L}\p{N}\p{M}.\-]+`)

// Mask hides the local part of email addresses: jane.doe@x.example → j***@x.example.
// Our own Message-IDs are left whole, so that a sent email can be found in
// the mail server's log.
// The credentials of URLs are redacted whole (secrets.RedactURLs):
// nats://user:password@host shows as nats://user:xxxxx@host.
func Mask(s string) string {
	s = email.ReplaceAllStringFunc(s, func(m string) string {
		at := strings.IndexByte(m, '@')
		if ourMessageID(m[:at]) {
			return m
		}
		_, first := utf8.DecodeRuneInString(m)
		return m[:first] + "***" + m[at:]
	})
	return secrets.RedactURLs(s)
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
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, options(level, false))), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, options(level, true))), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}

// options masks every attribute: the handler calls ReplaceAttr for the
// message, for each attribute of a call or of With, and for each member of
// a group, after resolving LogValuers.
func options(level slog.Level, asJSON bool) *slog.HandlerOptions {
	return &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		a.Value = maskValue(a.Value, asJSON)
		return a
	}}
}

func maskValue(v slog.Value, asJSON bool) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(Mask(v.String()))
	case slog.KindAny:
	default:
		return v // numbers, booleans, times, durations; groups are masked member by member
	}
	switch x := v.Any().(type) {
	case Verbatim:
		return v
	case slog.Level:
		return v
	case error:
		return slog.StringValue(Mask(x.Error()))
	case fmt.Stringer:
		return slog.StringValue(Mask(x.String()))
	case []byte:
		return slog.StringValue(Mask(string(x)))
	case nil:
		return v
	default:
		// Structs, maps, slices: in JSON logs, their JSON form with every
		// string in it masked; in text logs, their text.
		if asJSON {
			if m, ok := maskJSON(x); ok {
				return slog.AnyValue(m)
			}
		}
		return slog.StringValue(Mask(fmt.Sprintf("%+v", x)))
	}
}

// maskJSON returns x as the JSON handler would write it, decoded, with every
// string and object key masked.
func maskJSON(x any) (any, bool) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return maskTree(v), true
}

func maskTree(v any) any {
	switch x := v.(type) {
	case string:
		return Mask(x)
	case []any:
		for i := range x {
			x[i] = maskTree(x[i])
		}
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[Mask(k)] = maskTree(e)
		}
		return m
	}
	return v
}
