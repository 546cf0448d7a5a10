package helpdesk

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 3, 15, 42, 10, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"0":                                0,
		" 120 ":                            2 * time.Minute,
		"3600":                             time.Hour,
		"86400":                            maxRetryAfter,
		"99999999999999999999999":          maxRetryAfter,
		"Thu, 03 Dec 2026 15:42:40 GMT":    30 * time.Second,
		"Thursday, 03-Dec-26 15:43:10 GMT": time.Minute, // RFC 850, still accepted by HTTP
		"Thu, 03 Dec 2026 15:00:00 GMT":    0,           // in the past: retry now
		"Fri, 01 Jan 2027 00:00:00 GMT":    maxRetryAfter,
	} {
		if got, ok := parseRetryAfter(in, now); !ok || got != want {
			t.Errorf("%q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-5", "1.5", "soon", "Thu, 03 Dec 2026", "0x10"} {
		if got, ok := parseRetryAfter(in, now); ok {
			t.Errorf("%q: accepted as %v", in, got)
		}
	}
}

func TestErrorText(t *testing.T) {
	for in, want := range map[string]string{
		`{"description":"Validation failed","errors":[{"field":"email","message":"It should be a valid email address","code":"invalid_value"}]}`: "Validation failed; email: It should be a valid email address (invalid_value)",
		`{"code":"invalid_credentials","message":"You have to be logged in to perform this action."}`:                                            "invalid_credentials: You have to be logged in to perform this action.",
		`{"code":"access_denied"}`:                  "access_denied",
		`{"description":"x","errors":{"code":403}}`: "x",
		`{}`: "{}",
		"<html>\r\n<b>Bad\tGateway</b>\r\n</html>\r\n": "<html> <b>Bad Gateway</b> </html>",
		"":             "",
		"\xff\xfeoops": "\uFFFDoops", // one mark per run of bad bytes
	} {
		if got := errorText([]byte(in)); got != want {
			t.Errorf("errorText(%.40q) = %q, want %q", in, got, want)
		}
	}
	long := errorText([]byte(strings.Repeat("é", 4000)))
	if len(long) > maxErrorText || !strings.HasSuffix(long, "…") || !utf8.ValidString(long) {
		t.Fatalf("long text: %d bytes, %q…", len(long), long[:20])
	}
}

// FuzzErrorText: whatever a help desk answers, the text is one line of valid
// UTF-8 within bounds, fit for a NATS header.
func FuzzErrorText(f *testing.F) {
	for _, seed := range []string{
		`{"description":"Validation failed","errors":[{"field":"tags","message":"m","code":"invalid_value"}]}`,
		`{"code":"invalid_credentials","message":"You have to be logged in"}`, `{"errors":[1,2]}`, `{"message":"a\r\nb"}`,
		"plain\r\ntext", "\x00\x1b[31m", "",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := errorText(body)
		if len(s) > maxErrorText || !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00") {
			t.Fatalf("errorText(%q) = %q", body, s)
		}
	})
}
