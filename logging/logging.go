// Package logging builds the slog logger: text or JSON, with the local part
// of every email address masked so logs never hold a reseller's address.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
)

var email = regexp.MustCompile(`([A-Za-z0-9])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+)`)

// Mask hides the local part of email addresses: jane.doe@x.example → j***@x.example.
func Mask(s string) string { return email.ReplaceAllString(s, "$1***@$2") }

// New returns a logger writing format ("text" or "json") at level to w.
func New(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Value.Kind() {
		case slog.KindString:
			a.Value = slog.StringValue(Mask(a.Value.String()))
		case slog.KindAny:
			if err, ok := a.Value.Any().(error); ok {
				a.Value = slog.StringValue(Mask(err.Error()))
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
