package mailer

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// MessageID returns the deterministic Message-ID (without angle brackets)
// of the mail of kind about requestID:
//
//	<24 hex of SHA-256(requestID "|" kind)>.<kind>@<domain>
//
// A redelivered event therefore yields the same Message-ID, so a resend is
// recognisable downstream, and a reply's In-Reply-To can be recomputed and
// compared. Mail sent more than once per request (a clarification per reply,
// a role rejection per submission) must qualify kind with what triggered it,
// e.g. "clarification.<reply hash>". The readable suffix keeps only
// [a-z0-9._-] of kind (at most 40 characters); the hash covers all of it.
func MessageID(requestID, kind, domain string) string {
	sum := sha256.Sum256([]byte(requestID + "|" + kind))
	return hex.EncodeToString(sum[:12]) + "." + idSuffix(kind) + "@" + strings.ToLower(domain)
}

func idSuffix(kind string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(kind) {
		if b.Len() == 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), ".")
	for strings.Contains(s, "..") {
		s = strings.ReplaceAll(s, "..", ".")
	}
	if s == "" {
		return "mail"
	}
	return s
}

// msgIDPattern is RFC 5322's msg-id without brackets, restricted to
// dot-atom-text on both sides: the only form we emit and the only form we
// copy from a hostile reply into In-Reply-To/References.
var msgIDPattern = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*@[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)

// cleanMsgID trims one pair of angle brackets and reports whether what is
// left is a safe msg-id.
func cleanMsgID(id string) (string, bool) {
	id = strings.TrimSpace(id)
	if strings.HasPrefix(id, "<") && strings.HasSuffix(id, ">") {
		id = id[1 : len(id)-1]
	}
	if len(id) == 0 || len(id) > 250 || !msgIDPattern.MatchString(id) {
		return "", false
	}
	return id, true
}
