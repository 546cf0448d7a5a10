package mailer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
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

// tokenPattern is what follows the last '+' of a reply address.
var tokenPattern = regexp.MustCompile(`^([A-Za-z0-9._-]{1,64})\.([0-9A-Fa-f]{12})$`)

func mac(key []byte, requestID string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(requestID))
	return hex.EncodeToString(h.Sum(nil))[:macLen]
}

// ReplyAddress returns the plus-address <local>+<requestID>.<mac>@<domain> of
// mailbox (a bare address such as "acct-replies@example.com") that lets the
// inbox match a reply to its request without trusting the sender.
func ReplyAddress(key []byte, requestID, mailbox string) (string, error) {
	if len(key) < MinKeyLen {
		return "", fmt.Errorf("building reply address: key shorter than %d bytes", MinKeyLen)
	}
	if !requestIDPattern.MatchString(requestID) {
		return "", fmt.Errorf("building reply address: invalid request id %q", oneLine(requestID))
	}
	local, domain, err := splitMailbox(mailbox)
	if err != nil {
		return "", fmt.Errorf("building reply address for %s: %w", requestID, err)
	}
	return local + "+" + requestID + "." + mac(key, requestID) + "@" + domain, nil
}

// VerifyToken reports, in constant time, whether mac is the token of
// requestID under key. Upper-case hex is accepted because some relays change
// the case of local parts; the request id itself must be the canonical one.
func VerifyToken(key []byte, requestID, macHex string) bool {
	if len(key) < MinKeyLen || !requestIDPattern.MatchString(requestID) || len(macHex) != macLen {
		return false
	}
	want := mac(key, requestID)
	return hmac.Equal([]byte(want), []byte(strings.ToLower(macHex)))
}

// ParseReplyAddress extracts the request id and mac from a reply address
// (bare, as found in To/Cc/Delivered-To after address parsing). The token is
// what follows the last '+', so mailboxes that already use sub-addressing
// still work. It checks the shape only: call VerifyToken before trusting it.
func ParseReplyAddress(addr string) (requestID, macHex string, ok bool) {
	if len(addr) > 320 {
		return "", "", false
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return "", "", false
	}
	local := addr[:at]
	plus := strings.LastIndexByte(local, '+')
	if plus <= 0 {
		return "", "", false
	}
	m := tokenPattern.FindStringSubmatch(local[plus+1:])
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
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
