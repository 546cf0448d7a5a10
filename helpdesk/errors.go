package helpdesk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/acctflow/acctflow/retry"
)

// ErrOutcomeUnknown marks a create that may have succeeded although it
// reported an error (timeout, broken connection, 5xx, unreadable answer).
var ErrOutcomeUnknown = errors.New("outcome unknown, the ticket may exist")

// APIError is a non-2xx answer of the help desk. Text is the help desk's own
// error, condensed to one bounded line fit for a log or a dead-letter header.
type APIError struct {
	Status int
	Text   string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("help desk answered HTTP %d: %s", e.Status, e.Text)
}

const (
	maxErrorBody  = 64 << 10
	maxErrorText  = 512
	maxRetryAfter = time.Hour // Freshdesk limits some plans per hour
)

// classify returns nil for a 2xx answer and otherwise an *APIError marked for
// the retry package: 401 and 403 a configuration error (the API key is wrong
// or lacks a permission: every ticket would fail alike, so the help desk's
// circuit opens instead of dead-lettering them), 429 with its Retry-After, 408
// and 5xx temporary, any other status (3xx, 4xx) permanent.
func (f *Freshdesk) classify(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	apiErr := &APIError{Status: resp.StatusCode, Text: errorText(raw)}
	if apiErr.Text == "" {
		apiErr.Text = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return retry.Configuration(apiErr)
	case resp.StatusCode == http.StatusTooManyRequests:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), f.now()); ok {
			return retry.After(apiErr, d)
		}
		return apiErr
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return apiErr
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		apiErr.Text = "unexpected redirect to " + clean(resp.Header.Get("Location")) + " (check the help desk URL)"
		return retry.Permanent(apiErr)
	default:
		return retry.Permanent(apiErr)
	}
}

// parseRetryAfter reads delay-seconds or an HTTP-date (RFC 9110 §10.2.3),
// clamped to [0, maxRetryAfter] so that a hostile value cannot park a worker.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true // only digits, just too many of them
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// freshdeskError covers both shapes Freshdesk answers with:
// {"description":"Validation failed","errors":[{"field","message","code"}]}
// and {"code":"invalid_credentials","message":"…"}.
type freshdeskError struct {
	Description string          `json:"description"`
	Code        string          `json:"code"`
	Message     string          `json:"message"`
	Errors      json.RawMessage `json:"errors"`
}

type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code"`
}

// errorText condenses an error body to one line: the JSON fields when the
// body is Freshdesk's error JSON, else the body's text.
func errorText(body []byte) string {
	var fe freshdeskError
	if json.Unmarshal(body, &fe) != nil {
		return clean(string(body))
	}
	var parts []string
	head := fe.Description
	if head == "" {
		head = fe.Message
	}
	switch {
	case fe.Code != "" && head != "":
		head = fe.Code + ": " + head
	case fe.Code != "":
		head = fe.Code
	}
	if head != "" {
		parts = append(parts, head)
	}
	var fields []fieldError
	if len(fe.Errors) > 0 && json.Unmarshal(fe.Errors, &fields) == nil {
		for _, e := range fields {
			s := e.Message
			if e.Field != "" {
				s = e.Field + ": " + s
			}
			if e.Code != "" {
				s += " (" + e.Code + ")"
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return clean(string(body))
	}
	return clean(strings.Join(parts, "; "))
}

// clean makes s a single line of valid UTF-8 of at most maxErrorText bytes:
// the text ends up in logs and in NATS headers, where a CR or LF would inject.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		need := utf8.RuneLen(r)
		if space {
			need++
		}
		if b.Len()+need > maxErrorText-len("…") {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
