// Package effect is the ledger of acctflow's side effects — an email, a
// support ticket, an AWS CreateAccount call — kept in a JetStream KV bucket,
// one record per effect: claim → perform → record the outcome.
//
// A worker claims an effect by writing its record in state pending with
// compare-and-swap, makes one attempt, and writes the outcome over its own
// claim. An effect that only one JetStream message ever asks for skips the
// claim on that message's first delivery (Effect.Asked): the broker hands a
// message to one worker at a time. A redelivery, a second replica or a restarted process reading the
// record finds the effect done, held by a live claim, failed and waiting for
// its next attempt, or in doubt — and Next says what to do, in one place.
//
// Leases and waits are measured on the NATS server's clock only: the age of
// a record is the server's time now (the timestamp of a stream info answer)
// minus the server's timestamp of the record's revision. No host compares
// its wall clock with another's.
//
// An attempt whose outcome may have happened although it reported an error
// (a timeout after the request left, a process killed during the call)
// leaves the record unknown. What happens next is the effect's own policy:
// an email is sent again with the same Message-ID (unless its event shows it
// went), a ticket is looked up by its tag before another is opened, and a
// CreateAccount is parked for ops (Policy.Park), because AWS offers no
// idempotency token.
//
// Retries are this package's: an attempt that fails for now is recorded with
// its count and a hold (capped exponential backoff with jitter), and the
// caller gets retry.After(err, hold) so the broker brings the message back
// then without counting a failed delivery; after Policy.Budget attempts, or
// on a permanent error, the record is dead and the caller gets
// retry.Permanent. An adapter error that is already a retry.After (an open
// circuit, a Retry-After) releases the claim without counting an attempt.
// One attempt per call: no retry loop here or around it.
package effect

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/acctflow/acctflow/events"
)

// State of an effect in its record.
type State string

const (
	// Queued: wanted but not attempted yet (a reopened effect).
	Queued State = "queued"
	// Pending: claimed; an attempt is under way, or its worker died
	// during it (then the lease tells).
	Pending State = "pending"
	// Failed: the last attempt failed and had no effect; the next one
	// waits for the record's hold.
	Failed State = "failed"
	// Unknown: an attempt may have had its effect; nobody can tell yet.
	Unknown State = "unknown"
	// Done: the effect happened.
	Done State = "done"
	// Dead: given up, on a permanent error or with the budget spent.
	Dead State = "dead"
)

// Record is an effect's entry in the ledger.
type Record struct {
	State State `json:"state"`
	// Attempts counts the attempts that failed or may have had the
	// effect since the budget was last renewed.
	Attempts int `json:"attempts,omitempty"`
	// HoldMS: no attempt before this many milliseconds after this
	// revision was written (backoff, Retry-After).
	HoldMS int64 `json:"hold_ms,omitempty"`
	// Doubt is the server's time when an attempt's outcome first became
	// unknown; it stays until the effect is known done.
	Doubt time.Time `json:"doubt,omitzero"`
	// Round counts reopenings by ops (see Ledger.Reopen).
	Round int    `json:"round,omitempty"`
	Owner string `json:"owner,omitempty"` // who wrote the claim (logs)
	Error string `json:"error,omitempty"` // the last failure, in the server's words
	// Result is what the effect left to remember (a ticket id, a
	// creation request id).
	Result json.RawMessage `json:"result,omitempty"`
	// Data is the caller's own state, kept with the effect.
	Data json.RawMessage `json:"data,omitempty"`
}

// Hold is the record's hold as a duration.
func (r Record) Hold() time.Duration { return time.Duration(r.HoldMS) * time.Millisecond }

func (r *Record) setHold(d time.Duration) { r.HoldMS = max(d, 0).Milliseconds() }

// Entry is a record as read, with what the server says about it.
type Entry struct {
	Record
	Revision uint64    // 0: no record
	Written  time.Time // the server's timestamp of this revision
}

// legacy maps the states of the records the outbox wrote in mail-sent
// before the ledger, so that an upgrade sends nothing twice.
var legacy = map[string]State{"sent": Done, "sending": Pending, "failed": Failed}

func decode(data []byte) (Record, error) {
	var r Record
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, err
	}
	if s, ok := legacy[string(r.State)]; ok {
		r.State = s
	}
	switch r.State {
	case Queued, Pending, Failed, Unknown, Done, Dead:
		return r, nil
	}
	return Record{}, fmt.Errorf("unknown state %q", r.State)
}

// Key is the ledger key of an effect: its kind (an email kind, "ticket",
// events.EffectCreateAccount) and the ids it is about. It is the one way
// effect keys are built: every part goes through events.KeyOf, so parts that
// contain dots (request ids may: "REQ..1", ".REQ2") never make two effects
// share a key, and the result is a valid KV key.
func Key(kind string, parts ...string) string {
	return events.JoinKey(append([]string{kind}, parts...)...)
}

var keyChars = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

// ValidKey reports whether k is a key NATS KV accepts: allowed characters,
// no empty token.
func ValidKey(k string) bool {
	return keyChars.MatchString(k) && !strings.HasPrefix(k, ".") && !strings.HasSuffix(k, ".") && !strings.Contains(k, "..")
}
