// Package secrets keeps secrets from working by accident or showing by
// accident: it refuses the placeholder values the documentation ships
// (compose.yaml, .env.example, the README), and it redacts the credentials
// of URLs in text bound for an error message or a log line.
package secrets

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Placeholders are the documented example values, matched anywhere in a
// secret and regardless of case, so "ops:change-me-ops,read:<another>" is
// refused as a whole: every "change-me…" of compose.yaml, .env.example and
// deploy/nats.conf, and the README's "<long random secret>" and "<another>".
var Placeholders = []string{"change-me", "<long random secret>", "<another>"}

// Generate is how the refusal tells the operator to make a real secret.
const Generate = "openssl rand -hex 32"

// IsPlaceholder reports whether v contains a documented placeholder.
func IsPlaceholder(v string) bool {
	v = strings.ToLower(v)
	for _, p := range Placeholders {
		if strings.Contains(v, p) {
			return true
		}
	}
	return false
}

// Check refuses a secret that is still a documented placeholder, naming
// the variable and how to make a real one. An empty value passes: whether a
// secret is required is the caller's business.
func Check(name, value string) error {
	if !IsPlaceholder(value) {
		return nil
	}
	return fmt.Errorf("%s is still the documented placeholder (it contains %q), which anyone can read: "+
		"replace it with a real secret, for example the output of `%s`", name, placeholderIn(value), Generate)
}

func placeholderIn(v string) string {
	lv := strings.ToLower(v)
	for _, p := range Placeholders {
		if strings.Contains(lv, p) {
			return p
		}
	}
	return ""
}

// Redacted stands in for a credential in a URL.
const Redacted = "xxxxx"

// urlish finds anything that looks like a URL with user information:
// scheme://…@. The credentials end at the first '@' before a path, space,
// comma or quote.
var urlish = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s/?#@,"'<>]*@[^\s,"'<>]*`)

// RedactURLs hides the credentials of every URL in s: a password becomes
// xxxxx (net/url's URL.Redacted), and so does a user part alone, which for
// NATS is a token. A comma-separated list of URLs, as --nats-url takes, is
// redacted URL by URL. Text without credentials is returned unchanged.
func RedactURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlish.ReplaceAllStringFunc(s, redactURL)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		// Not a URL net/url can read: drop everything between the scheme
		// and the last '@' of the user part.
		scheme, rest, _ := strings.Cut(raw, "://")
		at := strings.LastIndexByte(rest, '@')
		return scheme + "://" + Redacted + rest[at:]
	}
	if _, has := u.User.Password(); has {
		return u.Redacted()
	}
	u.User = url.User(Redacted)
	return u.String()
}
