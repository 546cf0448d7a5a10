package tickets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
)

// KV is the part of a JetStream key-value bucket the account history uses.
type KV interface {
	Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error)
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
}

// Account is the record in KV accounts (key: the AWS account id): its
// support type and the history of changes with their tickets.
type Account struct {
	AccountID   string          `json:"account_id"`
	SupportType string          `json:"support_type"`
	Changes     []AccountChange `json:"changes"`
}

// AccountChange is one support type change of an account.
type AccountChange struct {
	ChangeID  string `json:"change_id"`
	RequestID string `json:"request_id,omitempty"`
	From      string `json:"from"`
	To        string `json:"to"`
	At        string `json:"at"`
	System    string `json:"system,omitempty"`
	TicketID  string `json:"ticket_id,omitempty"`
	TicketURL string `json:"ticket_url,omitempty"`
}

// maxAccountChanges bounds a record that upstream systems could grow at will.
const maxAccountChanges = 200

// record folds one change and its ticket into the account, idempotently: the
// change id is the key within the history, and the support type is the
// destination of the latest change by time.
func (a *Account) record(c AccountChange) {
	i := slices.IndexFunc(a.Changes, func(x AccountChange) bool { return x.ChangeID == c.ChangeID })
	if i >= 0 {
		a.Changes[i] = c
	} else {
		a.Changes = append(a.Changes, c)
	}
	slices.SortStableFunc(a.Changes, func(x, y AccountChange) int {
		return parseTime(x.At).Compare(parseTime(y.At))
	})
	if n := len(a.Changes); n > maxAccountChanges {
		a.Changes = slices.Delete(a.Changes, 0, n-maxAccountChanges)
	}
	a.SupportType = a.Changes[len(a.Changes)-1].To
}

// updateAccount records c in KV accounts with compare-and-swap.
func updateAccount(ctx context.Context, kv KV, accountID string, c AccountChange) error {
	for attempt := 0; attempt < 20; attempt++ {
		var a Account
		var rev uint64
		e, err := kv.Get(ctx, accountID)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("reading account %s: %w", accountID, err)
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &a); err != nil {
				return fmt.Errorf("decoding account %s: %w", accountID, err)
			}
		}
		a.AccountID = accountID
		a.record(c)
		data, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encoding account %s: %w", accountID, err)
		}
		if rev == 0 {
			_, err = kv.Create(ctx, accountID, data)
		} else {
			_, err = kv.Update(ctx, accountID, data, rev)
		}
		if err == nil {
			return nil
		}
		if !events.Conflict(err) {
			return fmt.Errorf("writing account %s: %w", accountID, err)
		}
	}
	return fmt.Errorf("writing account %s: too many concurrent writers", accountID)
}

func accountChange(ev events.SupportChanged, system string, o Opened) AccountChange {
	return AccountChange{
		ChangeID: ev.ChangeID, RequestID: ev.RequestID, From: ev.From, To: ev.To, At: ev.ChangedAt,
		System: system, TicketID: o.ID, TicketURL: o.URL,
	}
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
