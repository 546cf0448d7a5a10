// Package auth holds the bearer tokens of the HTTP API and the ops console
// and what each may do. ACCTFLOW_API_TOKENS is a comma-separated list of
// tokens, each optionally scoped: "ops:secret1,read:secret2". A bare token
// means ops, so a deployment configured before scopes keeps working; an
// unknown scope ("raed:…") is an error, never part of an ops secret.
//
//   - read: show requests, follow them, every console view
//   - ops:  everything read may, and the actions (approve, reject, record,
//     replay, create a request, …)
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Scope is what a token may do; a higher scope includes the lower ones.
type Scope int

const (
	None Scope = iota
	Read
	Ops
)

func (s Scope) String() string {
	switch s {
	case Read:
		return "read"
	case Ops:
		return "ops"
	}
	return "none"
}

// Allows reports whether a holder of s may do what needs need.
func (s Scope) Allows(need Scope) bool { return s >= need && need > None }

// ParseScope reads "read" or "ops".
func ParseScope(s string) (Scope, bool) {
	switch s {
	case "read":
		return Read, true
	case "ops":
		return Ops, true
	}
	return None, false
}

// Needed is the scope a request needs by its method: reading is read,
// anything that may change something is ops. New routes get the right
// scope without declaring one.
func Needed(method string) Scope {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return Read
	}
	return Ops
}

// Token is one configured token; its secret never leaves this package.
type Token struct {
	Scope  Scope
	secret []byte
}

// MAC is HMAC-SHA256 of msg under the token's secret: what the console signs
// a session with, so a session ends when its token is removed.
func (t Token) MAC(msg string) []byte { return HMAC(t.secret, msg) }

// Tokens is the configured set; the zero value has none (no authentication,
// loopback only).
type Tokens struct{ list []Token }

// Parse reads ACCTFLOW_API_TOKENS.
func Parse(s string) (Tokens, error) {
	var t Tokens
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		scope, secret := Ops, part
		if p, rest, ok := strings.Cut(part, ":"); ok {
			sc, known := ParseScope(p)
			switch {
			case known:
				scope, secret = sc, rest
			case isWord(p):
				// A misspelt scope ("raed:…") would otherwise make an
				// ops token of the whole text.
				return Tokens{}, fmt.Errorf("ACCTFLOW_API_TOKENS: token %d has the unknown scope %q (read or ops)", i+1, p)
			}
		}
		if secret == "" {
			return Tokens{}, fmt.Errorf("ACCTFLOW_API_TOKENS: token %d has a scope but no secret", i+1)
		}
		if strings.ContainsAny(secret, " \t\r\n") {
			return Tokens{}, fmt.Errorf("ACCTFLOW_API_TOKENS: token %d contains white space", i+1)
		}
		t.list = append(t.list, Token{Scope: scope, secret: []byte(secret)})
	}
	return t, nil
}

// isWord reports whether s is a few letters, as a scope is.
func isWord(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// MustParse is Parse for tests and constants.
func MustParse(s string) Tokens {
	t, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

// Enabled reports whether any token is configured.
func (t Tokens) Enabled() bool { return len(t.list) > 0 }

// Len is how many tokens are configured.
func (t Tokens) Len() int { return len(t.list) }

// All returns the tokens, for checking a signature against each.
func (t Tokens) All() []Token { return t.list }

// Match finds the token equal to secret, comparing with every configured
// token in constant time so the time taken says nothing about which.
func (t Tokens) Match(secret string) (Token, bool) {
	var found Token
	ok := 0
	for _, tok := range t.list {
		eq := subtle.ConstantTimeCompare([]byte(secret), tok.secret)
		if eq == 1 {
			found = tok
		}
		ok |= eq
	}
	return found, ok == 1 && secret != ""
}

// Bearer returns the token of an "Authorization: Bearer …" header.
func Bearer(r *http.Request) (string, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(tok), ok && strings.TrimSpace(tok) != ""
}

// ErrNoTokens explains what to do when the API would listen beyond
// loopback with nobody authenticated.
var ErrNoTokens = errors.New("no API tokens configured")

// HMAC is HMAC-SHA256 of msg under key.
func HMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
