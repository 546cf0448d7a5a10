package mailer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/acctflow/acctflow/events"
)

// MinKeyLen is the shortest reply key accepted: a shorter HMAC secret would
// make the 48-bit tokens guessable offline from a handful of samples.
const MinKeyLen = 16

// macLen is how many hex digits of the HMAC the token carries (48 bits): the
// fixtures and every address already sent depend on it.
const macLen = 12

// requestIDPattern is DESIGN §3's request id; nothing else may reach an
// address, a subject tag or a Message-ID.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// localPattern is a dot-atom local part made of the characters mailbox
// operators actually use; quoted local parts are refused on purpose.
var localPattern = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*$`)

var domainPattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

func mac(key []byte, requestID string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(requestID))
	return hex.EncodeToString(h.Sum(nil))[:macLen]
}

// Token is what proves a reply answers our email: the request id and the
// MAC of it under the reply key, found after the last '+' of a reply
// address or in one of our Message-IDs.
type Token struct {
	RequestID string
	MAC       string // lower-case hex
}

// tokenOf is the token text of a request: its id as events.KeyOf encodes
// it (no dots, so any valid id makes a valid dot-atom) and the MAC.
func tokenOf(key []byte, requestID string) string {
	return events.KeyOf(requestID) + "." + mac(key, requestID)
}

// ParseToken reads the token of a reply address: the last '+' of the local
// part, the encoded request id, a dot and 12 hex digits in either case. It
// checks the shape only (Keys.Verify decides): ok false means there is no
// token-shaped tag after the last '+'.
func ParseToken(addr string) (Token, bool) {
	if len(addr) > 320 {
		return Token{}, false
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return Token{}, false
	}
	local := addr[:at]
	plus := strings.LastIndexByte(local, '+')
	if plus <= 0 {
		return Token{}, false
	}
	return parseTag(local[plus+1:])
}

// parseTag reads "<encoded id>.<12 hex>".
func parseTag(tag string) (Token, bool) {
	dot := strings.LastIndexByte(tag, '.')
	if dot < 0 || !isHex(tag[dot+1:], macLen) {
		return Token{}, false
	}
	// Addresses sent before ids were encoded carry the dots as they are;
	// both forms decode to the same id.
	id, ok := events.IDOfKey(tag[:dot])
	if !ok {
		return Token{}, false
	}
	return Token{RequestID: id, MAC: strings.ToLower(tag[dot+1:])}, true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Keys verifies tokens: the current key signs new mail; previous keys (a
// rotation, ACCTFLOW_REPLY_KEY_PREVIOUS) still verify what was sent before.
type Keys struct {
	Current  []byte
	Previous [][]byte
}

// NewKeys checks every key's length: a key too short is an error, never
// replaced, since replacing it would invalidate every address already sent.
func NewKeys(current []byte, previous ...[]byte) (Keys, error) {
	if len(current) < MinKeyLen {
		return Keys{}, fmt.Errorf("reply key shorter than %d bytes", MinKeyLen)
	}
	for i, p := range previous {
		if len(p) < MinKeyLen {
			return Keys{}, fmt.Errorf("previous reply key %d shorter than %d bytes", i+1, MinKeyLen)
		}
	}
	return Keys{Current: current, Previous: previous}, nil
}

// Verify reports, in constant time per key, whether t was made by one of
// the keys. Upper-case hex was lowered by ParseToken: some relays change the
// case of local parts; the request id must be the exact one.
func (k Keys) Verify(t Token) bool {
	if !events.ValidRequestID(t.RequestID) || len(t.MAC) != macLen {
		return false
	}
	ok := false
	for _, key := range append([][]byte{k.Current}, k.Previous...) {
		if len(key) >= MinKeyLen && hmac.Equal([]byte(mac(key, t.RequestID)), []byte(strings.ToLower(t.MAC))) {
			ok = true
		}
	}
	return ok
}

// VerifyToken reports whether macHex is the token of requestID under key.
func VerifyToken(key []byte, requestID, macHex string) bool {
	return Keys{Current: key}.Verify(Token{RequestID: requestID, MAC: macHex})
}

// ReplyAddress returns the plus-address <local>+<token>@<domain> of mailbox
// (a bare address such as "acct-replies@example.com") that lets the inbox
// match a reply to its request without trusting the sender.
func ReplyAddress(key []byte, requestID, mailbox string) (string, error) {
	if len(key) < MinKeyLen {
		return "", fmt.Errorf("building reply address: key shorter than %d bytes", MinKeyLen)
	}
	if !events.ValidRequestID(requestID) {
		return "", fmt.Errorf("building reply address: invalid request id %q", oneLine(requestID))
	}
	local, domain, err := splitMailbox(mailbox)
	if err != nil {
		return "", fmt.Errorf("building reply address for %s: %w", requestID, err)
	}
	return local + "+" + tokenOf(key, requestID) + "@" + domain, nil
}

// ParseReplyAddress extracts the request id and mac from a reply address.
// It checks the shape only: verify before trusting it.
func ParseReplyAddress(addr string) (requestID, macHex string, ok bool) {
	t, ok := ParseToken(addr)
	return t.RequestID, t.MAC, ok
}

// splitMailbox checks that mailbox is a bare, plain address we can extend.
func splitMailbox(mailbox string) (local, domain string, err error) {
	at := strings.LastIndexByte(mailbox, '@')
	if at <= 0 || at == len(mailbox)-1 || len(mailbox) > 254 {
		return "", "", errors.New("mailbox must be a bare address like box@example.com")
	}
	local, domain = mailbox[:at], mailbox[at+1:]
	if !localPattern.MatchString(local) || len(local) > 64 {
		return "", "", fmt.Errorf("mailbox local part %q is not a plain dot-atom", oneLine(local))
	}
	if !domainPattern.MatchString(domain) {
		return "", "", fmt.Errorf("mailbox domain %q is not a host name", oneLine(domain))
	}
	return local, domain, nil
}

// Tag reports whether addr is mailbox (a bare address of ours) or mailbox
// plus-tagged, and returns the tag. Local parts compare case-insensitively,
// as mail servers deliver them.
func Tag(addr, mailbox string) (tag string, ours bool) {
	at, mat := strings.LastIndexByte(addr, '@'), strings.LastIndexByte(mailbox, '@')
	if at <= 0 || mat <= 0 || !strings.EqualFold(addr[at+1:], mailbox[mat+1:]) {
		return "", false
	}
	local, base := addr[:at], mailbox[:mat]
	switch {
	case strings.EqualFold(local, base):
		return "", true
	case len(local) > len(base) && local[len(base)] == '+' && strings.EqualFold(local[:len(base)], base):
		return local[len(base)+1:], true
	}
	return "", false
}
