package events

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/acctflow/acctflow/schemas"
)

// AccountRequested is published by an upstream platform, the HTTP API or the
// CLI when a reseller asks for a new AWS account.
type AccountRequested struct {
	RequestID   string    `json:"request_id"`
	RequestedAt string    `json:"requested_at"`
	Provider    string    `json:"provider"`
	Reseller    Reseller  `json:"reseller"`
	Customer    Customer  `json:"customer"`
	Pricebook   Pricebook `json:"pricebook"`
}

type Reseller struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Country           string   `json:"country"`
	PrimaryContact    Party    `json:"primary_contact"`
	AuthorisedSenders []string `json:"authorised_senders,omitempty"`
}

type Party struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type Customer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type Pricebook struct {
	Present                 bool   `json:"present"`
	InvoiceCurrency         string `json:"invoice_currency,omitempty"`
	ProviderEnabledInPortal bool   `json:"provider_enabled_in_portal"`
	PassRIOptimization      *bool  `json:"pass_ri_optimization,omitempty"`
}

func (AccountRequested) Subject() string { return SubjectRequested }
func (AccountRequested) Schema() string  { return "account-requested" }
func (e AccountRequested) Key() string   { return e.RequestID }

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidRequestID reports whether s may be used as a request id (it is also
// used in subjects, KV keys and mail addresses).
func ValidRequestID(s string) bool { return requestIDPattern.MatchString(s) }

// crockford is Crockford's base32 alphabet: no I, L, O, U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns prefix, a dash and ten random Crockford base32 characters,
// the form of generated request ids (REQ-) and change ids (CHG-).
func NewID(prefix string) string {
	var b [10]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	var sb strings.Builder
	sb.WriteString(prefix + "-")
	for _, c := range b {
		sb.WriteByte(crockford[int(c)%32])
	}
	return sb.String()
}

// NewRequestID returns "REQ-" and ten random Crockford base32 characters.
func NewRequestID() string { return NewID("REQ") }

// ParseAccountRequested reads a request as a client or upstream submitted it:
// it fills what may be left out (request_id: newID(); requested_at: now;
// provider: aws), tidies case, and validates against the schema, so the
// error (a *schemas.ValidationError) names every wrong field at once.
func ParseAccountRequested(data []byte, newID func() string, now time.Time) (AccountRequested, error) {
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return AccountRequested{}, &schemas.ValidationError{Schema: "account-requested",
			Fields: []schemas.FieldError{{Field: "/", Message: "not a JSON object"}}}
	}
	// Only a missing or empty id is generated; a wrong type is the
	// schema's to report.
	if v, present := raw["request_id"]; !present || v == "" || v == nil {
		raw["request_id"] = newID()
	}
	if _, ok := raw["requested_at"]; !ok {
		raw["requested_at"] = Time(now)
	}
	if _, ok := raw["provider"]; !ok {
		raw["provider"] = "aws"
	}
	if r, ok := raw["reseller"].(map[string]any); ok {
		tidy(r, "country", strings.ToUpper)
		if c, ok := r["primary_contact"].(map[string]any); ok {
			tidy(c, "email", strings.ToLower)
		}
	}
	if p, ok := raw["pricebook"].(map[string]any); ok {
		tidy(p, "invoice_currency", strings.ToUpper)
	}
	norm, err := json.Marshal(raw)
	if err != nil {
		return AccountRequested{}, fmt.Errorf("re-encoding request: %w", err)
	}
	var e AccountRequested
	if err := Unmarshal("account-requested", norm, &e); err != nil {
		return AccountRequested{}, err
	}
	return e, nil
}

func tidy(m map[string]any, key string, f func(string) string) {
	if s, ok := m[key].(string); ok {
		m[key] = f(strings.TrimSpace(s))
	}
}

// IDFromHash derives a request id from content, for upstream events that carry
// none, so a redelivered copy gets the same id.
func IDFromHash(data []byte) func() string {
	return func() string {
		sum := sha256.Sum256(data)
		var sb strings.Builder
		sb.WriteString("REQ-")
		for _, c := range sum[:10] {
			sb.WriteByte(crockford[int(c)%32])
		}
		return sb.String()
	}
}

// SameRequest reports whether two AccountRequested say the same thing:
// every field but requested_at, which a client or the API fills in when it
// is left out, so the same fixture published twice is the same request.
func SameRequest(a, b AccountRequested) bool {
	a.RequestedAt, b.RequestedAt = "", ""
	if len(a.Reseller.AuthorisedSenders) == 0 && len(b.Reseller.AuthorisedSenders) == 0 {
		a.Reseller.AuthorisedSenders, b.Reseller.AuthorisedSenders = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
