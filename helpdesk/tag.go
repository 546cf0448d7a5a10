package helpdesk

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// MaxTagLen is Freshdesk's limit on one tag ("It should only contain elements
// that have maximum of 32 characters").
const MaxTagLen = 32

const (
	changeTagPrefix = "acctflow-chg-"
	tagHashLen      = 8 // base32 characters: 40 bits of SHA-256
	// What is left of a tag for the readable part of the change id.
	tagReadableLen = MaxTagLen - len(changeTagPrefix) - 1 - tagHashLen
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ChangeTag is the tag that marks the ticket of one support change, so that
// the ticket can be found again after a create with an unknown outcome:
// "acctflow-chg-" + up to 10 characters of the id, lower-cased, anything but
// [a-z0-9] turned into '-', a leading "chg-" dropped + "-" + 8 characters of
// a hash of the exact id. The hash keeps ids that differ only in case,
// punctuation or beyond the 10th character apart; the result always fits
// Freshdesk's 32 characters and uses only [a-z0-9-].
//
//	ChangeTag("CHG-8M2K5W9QXD") == "acctflow-chg-8m2k5w9qxd-" + 8 hash characters
func ChangeTag(changeID string) string {
	sum := sha256.Sum256([]byte(changeID))
	hash := lowerBase32.EncodeToString(sum[:5]) // 5 bytes = exactly 8 characters
	readable := readablePart(changeID)
	if readable == "" {
		return changeTagPrefix + hash
	}
	return changeTagPrefix + readable + "-" + hash
}

// readablePart sanitises the id for a person scanning tags in the help desk.
func readablePart(id string) string {
	var b strings.Builder
	dash := false
	for _, r := range id {
		// "chg-" may be stripped below, so keep enough to fill the part after.
		if b.Len() >= len("chg-")+tagReadableLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
	}
	s := strings.TrimPrefix(b.String(), "chg-")
	s = s[:min(len(s), tagReadableLen)]
	return strings.Trim(s, "-")
}
