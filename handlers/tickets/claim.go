package tickets

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

// KV is the part of a JetStream key-value bucket the handler uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// States of a claim in KV tickets.
const (
	StateCreating = "creating" // a worker is calling the desk (or died doing so)
	StateUnknown  = "unknown"  // a call ended without telling whether it opened the ticket
	StateFailed   = "failed"   // a call definitely opened nothing
	StateDone     = "done"
)

// Claim is the record in KV tickets, keyed by change id: the idempotency
// guard of the one ticket per change. The help desk's search lags its
// writes, so this record, not the search, is what keeps tickets unique.
type Claim struct {
	ChangeID  string `json:"change_id"`
	AccountID string `json:"account_id"`
	Tag       string `json:"tag"`
	System    string `json:"system"`
	State     string `json:"state"`
	Since     string `json:"since"` // when State was entered
	Attempts  int    `json:"attempts"`
	// UnknownSince is when a ticket may first have been opened without us
	// knowing; search results younger than the settle time are not trusted.
	UnknownSince string `json:"unknown_since,omitempty"`
	NotBefore    string `json:"not_before,omitempty"` // Retry-After of the desk
	Error        string `json:"error,omitempty"`
	TicketID     string `json:"ticket_id,omitempty"`
	TicketURL    string `json:"ticket_url,omitempty"`
	OpenedAt     string `json:"opened_at,omitempty"`
}

// claimKey is the change id when it is a valid KV key, else a hash of it
// (a change id may start or end with a dot, which KV keys may not).
func claimKey(changeID string) string {
	if changeID != "" && !strings.HasPrefix(changeID, ".") && !strings.HasSuffix(changeID, ".") && !strings.Contains(changeID, "..") {
		return changeID
	}
	return "h-" + events.DerivedID("change", changeID)
}

// claims reads and writes Claims with compare-and-swap.
type claims struct{ kv KV }

// get returns the claim and its revision; revision 0 means none yet.
func (c claims) get(ctx context.Context, changeID string) (Claim, uint64, error) {
	e, err := c.kv.Get(ctx, claimKey(changeID))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Claim{}, 0, nil
	}
	if err != nil {
		return Claim{}, 0, fmt.Errorf("reading ticket claim %s: %w", changeID, err)
	}
	var cl Claim
	if err := json.Unmarshal(e.Value(), &cl); err != nil {
		return Claim{}, 0, fmt.Errorf("decoding ticket claim %s: %w", changeID, err)
	}
	return cl, e.Revision(), nil
}

// errLost means another worker wrote the claim first.
var errLost = errors.New("ticket claim changed under us")

// put writes cl over revision rev (0: create), returning the new revision;
// errLost when someone else got there first.
func (c claims) put(ctx context.Context, cl Claim, rev uint64) (uint64, error) {
	data, err := json.Marshal(cl)
	if err != nil {
		return 0, fmt.Errorf("encoding ticket claim %s: %w", cl.ChangeID, err)
	}
	key := claimKey(cl.ChangeID)
	if rev == 0 {
		rev, err = c.kv.Create(ctx, key, data)
	} else {
		rev, err = c.kv.Update(ctx, key, data, rev)
	}
	// ErrKeyExists also matches a failed compare-and-swap.
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, fmt.Errorf("writing ticket claim %s: %w", cl.ChangeID, errLost)
	}
	if err != nil {
		return 0, fmt.Errorf("writing ticket claim %s: %w", cl.ChangeID, err)
	}
	return rev, nil
}

// settle writes the outcome of our own call, a few times if NATS hiccups:
// losing it would cost a search (done) or a wait (unknown), never a ticket.
func (c claims) settle(ctx context.Context, cl Claim, rev uint64) error {
	ctx = context.WithoutCancel(ctx)
	var err error
	for i := range 3 {
		if _, err = c.put(ctx, cl, rev); err == nil || errors.Is(err, errLost) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 50 * time.Millisecond)
	}
	return err
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
