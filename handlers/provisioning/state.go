package provisioning

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// States of a Creation. Queued waits for a slot; creating is claimed by a
// driver that is about to call (or is calling) CreateAccount; polling has
// the car- id stored. Succeeded and failed are final; unknown means a
// CreateAccount may or may not have reached AWS and ops must look (see
// doc.go).
const (
	StateQueued    = "queued"
	StateCreating  = "creating"
	StatePolling   = "polling"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateUnknown   = "unknown"
)

// Creation is the provisioning record of one request, kept in KV accounts
// under Key(request id) and written only with compare-and-swap.
type Creation struct {
	RequestID   string            `json:"request_id"`
	ApprovalID  string            `json:"approval_id"` // the acct.approved event that queued it
	Cause       events.Envelope   `json:"cause"`
	State       string            `json:"state"`
	Email       string            `json:"email"`
	AccountName string            `json:"account_name"`
	Tags        map[string]string `json:"tags,omitempty"`

	CarID          string `json:"car_id,omitempty"`
	AccountID      string `json:"account_id,omitempty"`
	FailureReason  string `json:"failure_reason,omitempty"`
	NewEmailNeeded bool   `json:"new_email_needed,omitempty"`
	Error          string `json:"error,omitempty"`

	// Owner is the driver working on it; Heartbeat its last sign of life.
	// A record whose heartbeat is older than the lease may be taken over.
	Owner     string    `json:"owner,omitempty"`
	Heartbeat time.Time `json:"heartbeat"`
	QueuedAt  time.Time `json:"queued_at"`
	StartedAt time.Time `json:"started_at"` // when CreateAccount was claimed
	NotBefore time.Time `json:"not_before"` // a throttled create waits until then
	Attempts  int       `json:"attempts,omitempty"`
	Alerted   bool      `json:"alerted,omitempty"`
}

// Key is the KV accounts key of a request's provisioning record.
func Key(requestID string) string { return "req." + requestID }

// Final reports whether nothing more will happen to c by itself.
func (c Creation) Final() bool {
	return c.State == StateSucceeded || c.State == StateFailed || c.State == StateUnknown
}

// records reads and writes Creations in KV accounts.
type records struct{ kv jetstream.KeyValue }

var errConflict = errors.New("provisioning record changed concurrently")

func (r records) get(ctx context.Context, id string) (Creation, uint64, error) {
	e, err := r.kv.Get(ctx, Key(id))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Creation{}, 0, nil
	}
	if err != nil {
		return Creation{}, 0, fmt.Errorf("reading provisioning record %s: %w", id, err)
	}
	var c Creation
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return Creation{}, 0, fmt.Errorf("decoding provisioning record %s: %w", id, err)
	}
	return c, e.Revision(), nil
}

// put writes c: rev 0 creates (failing with errConflict if it exists),
// otherwise it replaces revision rev.
func (r records) put(ctx context.Context, c Creation, rev uint64) (uint64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("encoding provisioning record %s: %w", c.RequestID, err)
	}
	if rev == 0 {
		rev, err = r.kv.Create(ctx, Key(c.RequestID), data)
	} else {
		rev, err = r.kv.Update(ctx, Key(c.RequestID), data, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || isWrongSequence(err) {
		return 0, fmt.Errorf("writing provisioning record %s: %w", c.RequestID, errConflict)
	}
	if err != nil {
		return 0, fmt.Errorf("writing provisioning record %s: %w", c.RequestID, err)
	}
	return rev, nil
}

// list returns the request ids that have a provisioning record.
func (r records) list(ctx context.Context) ([]string, error) {
	l, err := r.kv.ListKeysFiltered(ctx, "req.>")
	if err != nil {
		return nil, fmt.Errorf("listing provisioning records: %w", err)
	}
	defer func() { _ = l.Stop() }()
	seen := map[string]bool{}
	var ids []string
	for k := range l.Keys() {
		// The lister may report a key twice while it is being written.
		if id, ok := strings.CutPrefix(k, "req."); ok && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, ctx.Err()
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
