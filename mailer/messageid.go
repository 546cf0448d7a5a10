package mailer

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"

	"github.com/acctflow/acctflow/events"
)

// MessageID returns the deterministic Message-ID (without angle brackets)
// of the mail of kind about id (a request id; a change id for tickets):
//
//	<encoded id>.<mac>.<kind>@<domain>
//
// The id is encoded by events.KeyOf and the mac is the reply token's, so a
// reply quoting the Message-ID in In-Reply-To or References proves it
// answers our email as much as the tokenised Reply-To does (only our email
// contained it). With a nil key (mail nobody answers: tickets, ops alerts)
// there is no mac. A redelivered event yields the same Message-ID, so a
// resend is recognisable downstream. Mail sent more than once per request
// must qualify kind with what triggered it, e.g. "clarification.<reply
// hash>". The kind keeps only [a-z0-9._-] (at most 40 characters); when that
// changes it, a digest of the whole kind keeps Message-IDs distinct.
func MessageID(key []byte, id, kind, domain string) string {
	local := events.KeyOf(id)
	if len(key) >= MinKeyLen {
		local += "." + mac(key, id)
	}
	return local + "." + idSuffix(kind) + "@" + strings.ToLower(domain)
}

// ThreadToken reads the token and the kind of one of our Message-IDs (of
// domain), as MessageID makes them; ok false means it carries none
// (another sender's, or the old scheme). Verify the token before trusting
// it.
func ThreadToken(msgID, domain string) (t Token, kind string, ok bool) {
	local, d, found := strings.Cut(strings.Trim(strings.TrimSpace(msgID), "<>"), "@")
	if !found || !strings.EqualFold(d, domain) {
		return Token{}, "", false
	}
	id, rest, found := strings.Cut(local, ".")
	if !found {
		return Token{}, "", false
	}
	macHex, kind, found := strings.Cut(rest, ".")
	if !found || kind == "" {
		return Token{}, "", false
	}
	t, ok = parseTag(id + "." + macHex)
	return t, kind, ok
}

// LegacyMessageID is the Message-ID scheme before tokens: a digest of the
// request id and the kind. A reply quoting one can be matched to the request
// its subject tag names, but proves nothing.
func LegacyMessageID(requestID, kind, domain string) string {
	sum := sha256.Sum256([]byte(requestID + "|" + kind))
	return hex.EncodeToString(sum[:12]) + "." + legacySuffix(kind) + "@" + strings.ToLower(domain)
}

// LegacyKind returns the kind of an old-scheme Message-ID of ours.
func LegacyKind(msgID, domain string) (kind string, ok bool) {
	local, d, found := strings.Cut(strings.Trim(strings.TrimSpace(msgID), "<>"), "@")
	if !found || !strings.EqualFold(d, domain) {
		return "", false
	}
	hash, kind, found := strings.Cut(local, ".")
	if !found || !isHex(hash, 24) || kind == "" {
		return "", false
	}
	return kind, true
}

func idSuffix(kind string) string {
	s := legacySuffix(kind)
	if s != kind {
		sum := sha256.Sum256([]byte(kind))
		s += "." + hex.EncodeToString(sum[:4])
	}
	return s
}

// legacySuffix is the readable kind: [a-z0-9._-], at most 40 characters, no
// empty dot-atom parts.
func legacySuffix(kind string) string {
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
