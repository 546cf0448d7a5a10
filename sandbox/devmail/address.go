package devmail

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAddressLen follows RFC 5321 §4.5.3.1.3 (a 256-octet path minus the
// angle brackets).
const maxAddressLen = 254

var errBadAddress = errors.New("malformed address")

// normalizeAddress validates an envelope address and lower-cases it, keeping
// any +tag: this is the recipient as the sender wrote it (for Delivered-To).
func normalizeAddress(addr string) (string, error) {
	if len(addr) > maxAddressLen {
		return "", fmt.Errorf("%w: longer than %d bytes", errBadAddress, maxAddressLen)
	}
	if !utf8.ValidString(addr) {
		return "", fmt.Errorf("%w: not UTF-8", errBadAddress)
	}
	for _, r := range addr {
		// Spaces, brackets and control characters would let an address
		// smuggle text into the trace headers or escape a path.
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '<' || r == '>' {
			return "", fmt.Errorf("%w: forbidden character %q", errBadAddress, r)
		}
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", fmt.Errorf("%w: want local@domain", errBadAddress)
	}
	return strings.ToLower(addr), nil
}

// foldAddress returns the owner of the mailbox that mail for addr lands in:
// normalised, with a "+tag" cut from the local part (recipient delimiter).
func foldAddress(addr string) (string, error) {
	norm, err := normalizeAddress(addr)
	if err != nil {
		return "", err
	}
	at := strings.LastIndexByte(norm, '@')
	local, domain := norm[:at], norm[at:]
	// "+x@d" has no base to fold into; real servers keep it whole too.
	if base, _, ok := strings.Cut(local, "+"); ok && base != "" {
		local = base
	}
	return local + domain, nil
}

// maskAddress hides the local part for logs (DESIGN §7): "j***@example.com".
func maskAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	first, _ := utf8.DecodeRuneInString(addr)
	return string(first) + "***" + addr[at:]
}
