package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestMasksEmailLocalParts(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("mail for jane.doe@northwind.example sent", "to", "Dana <dana.whitfield@fabrikam.example>",
		"err", errors.New("550 unknown user bob@x.example"))
	out := buf.String()
	for _, leak := range []string{"jane.doe", "dana.whitfield", "bob@"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q: %s", leak, out)
		}
	}
	for _, keep := range []string{"j***@northwind.example", "d***@fabrikam.example", "b***@x.example"} {
		if !strings.Contains(out, keep) {
			t.Errorf("log lacks %q: %s", keep, out)
		}
	}
	if _, err := New(&buf, "xml", slog.LevelInfo); err == nil {
		t.Error("xml format accepted")
	}
}

func TestOurMessageIDsAreNotMasked(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "text", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{
		"<9f86d081884c7d659a2feaa0.confirmation@acctflow.example>",
		"<REQ-1001.0a1b2c3d4e5f.confirmation@acctflow.example>",
		"<REQ..1.0A1B2C3D4E5F.clarification.3f2a@acctflow.example>",
	}
	for _, id := range ids {
		log.Info("email sent", "message_id", id, "to", "dana.whitfield@fabrikam.example",
			"err", errors.New("sending mail "+id+" to jane.doe@northwind.example: 451"))
	}
	out := buf.String()
	for _, id := range ids {
		if strings.Count(out, id) != 2 {
			t.Errorf("Message-ID %s masked or missing:\n%s", id, out)
		}
	}
	for _, leak := range []string{"dana.whitfield", "jane.doe"} {
		if strings.Contains(out, leak) {
			t.Errorf("log leaks %q", leak)
		}
	}
	// A Message-ID without a MAC (tickets, alerts) is logged whole as a
	// Verbatim value.
	buf.Reset()
	log.Info("email sent", "message_id", Verbatim("<CHG-1.ticket@acctflow.example>"), "to", Verbatim("x").String()+"@y.example")
	if !strings.Contains(buf.String(), "<CHG-1.ticket@acctflow.example>") || strings.Contains(buf.String(), "x@y.example") {
		t.Errorf("Verbatim masked, or a plain string not masked: %s", buf.String())
	}
	// Our reply address ends with the MAC: it is an address, and masked.
	if got := Mask("acct-replies+REQ-1001.0a1b2c3d4e5f@acctflow.example"); got != "a***@acctflow.example" {
		t.Errorf("reply address masked as %q", got)
	}
}

type contact struct {
	Name  string
	Email string
	Tags  map[string]string
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

type valuer struct{ s string }

func (v valuer) LogValue() slog.Value { return slog.StringValue(v.s) }

// Every way a value reaches a log line is masked, in both formats: the
// message, strings, errors, Stringers, LogValuers, []byte, structs, maps
// and slices, members of groups, With and WithGroup attributes, and the
// *log.Logger that net/http writes its errors to. Addresses may be
// non-ASCII; URL credentials never show.
func TestEveryLoggerPathIsMasked(t *testing.T) {
	secrets := []struct{ leak, want string }{
		{"jane.doe", "j***@northwind.example"},
		{"jürgen.müller", "j***@bücher.example"},
		{"μαρία", "μ***@παράδειγμα.δοκιμή"},
		{"用户名", "用***@例子.广告"},
		{"o'brien", "o***@x.example"},
		{"s3cret-pw", "nats://api:xxxxx@nats1:4222"},
	}
	addr := func(i int) string {
		return []string{"jane.doe@northwind.example", "jürgen.müller@bücher.example", "μαρία@παράδειγμα.δοκιμή",
			"用户名@例子.广告", "o'brien@x.example", "nats://api:s3cret-pw@nats1:4222"}[i]
	}
	for _, format := range []string{"text", "json"} {
		for i, sec := range secrets {
			a := addr(i)
			paths := map[string]func(*slog.Logger){
				"message":   func(l *slog.Logger) { l.Info("mail for " + a) },
				"string":    func(l *slog.Logger) { l.Info("m", "to", a) },
				"error":     func(l *slog.Logger) { l.Info("m", "err", fmt.Errorf("550 %s: unknown", a)) },
				"stringer":  func(l *slog.Logger) { l.Info("m", "to", stringer{a}) },
				"logvaluer": func(l *slog.Logger) { l.Info("m", "to", valuer{a}) },
				"bytes":     func(l *slog.Logger) { l.Info("m", "raw", []byte("From: "+a)) },
				"struct":    func(l *slog.Logger) { l.Info("m", "c", contact{Name: "x", Email: a}) },
				"map":       func(l *slog.Logger) { l.Info("m", "c", map[string]any{a: []string{a}}) },
				"nested":    func(l *slog.Logger) { l.Info("m", "c", contact{Tags: map[string]string{"cc": "\x01" + a}}) },
				"slice":     func(l *slog.Logger) { l.Info("m", "to", []string{"x", a}) },
				"group":     func(l *slog.Logger) { l.Info("m", slog.Group("mail", "to", a, slog.Group("inner", "cc", a))) },
				"with":      func(l *slog.Logger) { l.With("to", a).Info("m") },
				"withgroup": func(l *slog.Logger) { l.WithGroup("g").With("to", a).Info("m", "cc", a) },
				"attrs":     func(l *slog.Logger) { l.LogAttrs(context.Background(), slog.LevelWarn, "m", slog.Any("to", a)) },
				"loglogger": func(l *slog.Logger) {
					slog.NewLogLogger(l.Handler(), slog.LevelWarn).Printf("http: TLS error from %s", a)
				},
			}
			for name, log := range paths {
				var buf bytes.Buffer
				l, err := New(&buf, format, slog.LevelInfo)
				if err != nil {
					t.Fatal(err)
				}
				log(l)
				out := buf.String()
				if strings.Contains(out, sec.leak) {
					t.Errorf("%s %s: leaks %q: %s", format, name, sec.leak, out)
				}
				if format == "json" {
					var v map[string]any
					if err := json.Unmarshal(buf.Bytes(), &v); err != nil || strings.Contains(out, "!ERROR") {
						t.Errorf("json %s: not valid JSON (%v): %s", name, err, out)
					}
					if name != "nested" && name != "bytes" && !strings.Contains(out, sec.want) && !strings.Contains(out, jsonEscaped(sec.want)) {
						t.Errorf("json %s: lacks %q: %s", name, sec.want, out)
					}
				}
			}
		}
	}
}

func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
