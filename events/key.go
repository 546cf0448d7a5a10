package events

import (
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// KeyOf is the one way an id (request, change or account id) reaches a KV
// key, an object name, a Message-ID, a reply token or an idempotency key.
// Ids are 1–64 of [A-Za-z0-9._-] (DESIGN §3), so "REQ..1", ".REQ2" and
// "REQ3." are valid, but a dot is a token separator in NATS keys and empty
// tokens are refused, and a dot-atom may not start, end or double a dot.
// '=' never occurs in an id and is valid in all of those places, so
// replacing '.' by '=' is injective and always yields one valid token.
func KeyOf(id string) string { return strings.ReplaceAll(id, ".", "=") }

// IDOfKey inverts KeyOf; ok is false when k is not the key of a valid id.
func IDOfKey(k string) (string, bool) {
	id := strings.ReplaceAll(k, "=", ".")
	return id, ValidRequestID(id)
}

// JoinKey builds a multi-part key (kind, request id, ...) from parts that
// are each encoded with KeyOf, joined by dots: as no part contains a dot
// after encoding, two different part lists never share a key.
func JoinKey(parts ...string) string {
	enc := make([]string, len(parts))
	for i, p := range parts {
		enc[i] = KeyOf(p)
	}
	return strings.Join(enc, ".")
}

// Conflict says a compare-and-swap write to a KV key (or a stream subject)
// lost: another writer got there first, and the write should start again
// from a fresh read. A single server answers "wrong last sequence" (10071),
// a replicated stream 10164; the KV client wraps either as ErrKeyExists
// (Create) or ErrKeyRevisionMismatch (Update), while a Delete with
// LastRevision or a publish with an expected sequence returns them as they
// are.
func Conflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}
