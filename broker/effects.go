package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/acctflow/acctflow/circuit"
	"github.com/acctflow/acctflow/events"
)

// publishFailed records on the request that one of its effects failed
// (acct.effect.failed) under a deterministic id, so a retried dead-lettering
// records it once.
func (o *outcome) publishFailed(ctx context.Context, hd Handler, m Msg, outcome, reason string, dlqSeq uint64, id string) error {
	requestID, changeID := requestRef(m.Data)
	if requestID == "" && changeID == "" {
		// A message about no request (an empty or broken payload): there
		// is nothing to record on, and the effect was never tried. Its
		// dead letter is the record.
		o.cfg.Logger.Info("dead letter about no request: no effect failure to record", "handler", hd.Name, "subject", m.Subject)
		return nil
	}
	ev := events.EffectFailed{
		RequestID: requestID, ChangeID: changeID,
		Effect: hd.Effect, Kind: effectKind(hd.EffectKind), Outcome: outcome, Handler: hd.Name,
		Input: m.Subject, Error: oneLine(reason, maxReason), DLQSeq: dlqSeq, FailedAt: events.Time(time.Now()),
	}
	if ev.Error == "" {
		ev.Error = "(no reason given)"
	}
	if _, err := events.Marshal(ev); err != nil {
		// The failure record itself does not fit its schema (an effect
		// name this build does not know): nothing a retry can fix. The
		// dead letter is stored; say so and move on.
		o.cfg.Logger.Error("cannot record the failed effect on its request", "handler", hd.Name, "err", err)
		return nil
	}
	_, err := events.Publish(ctx, o.conn.JS, ev, id, "acctflow/"+hd.Name, m.Env)
	return err
}

// noteBlocked reports whether err is an open circuit, and records once per
// (request, opening) that the handler's effect waits behind it
// (acct.effect.failed, outcome blocked).
func (o *outcome) noteBlocked(ctx context.Context, hd Handler, m Msg, err error) bool {
	var open *circuit.OpenError
	if !errors.As(err, &open) {
		return false
	}
	if hd.Effect == "" {
		return true
	}
	opening := open.Name + "|" + open.Since.UTC().Format(time.RFC3339Nano)
	if !o.blocked.first(opening, m.Env.ID) {
		return true
	}
	id := events.DerivedID("effect-blocked", hd.Name, m.Env.ID, opening)
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if perr := o.publishFailed(pctx, hd, m, events.OutcomeBlocked, open.Error(), 0, id); perr != nil {
		o.blocked.forget(opening, m.Env.ID) // try again on the next deferral
		o.cfg.Logger.Warn("recording a blocked effect failed", "handler", hd.Name, "err", perr)
	}
	return true
}

// blockedSet remembers which messages were reported blocked during which
// circuit opening. Only the latest opening per circuit is kept, and at most
// maxBlocked messages per opening: beyond that, JetStream's duplicate window
// still absorbs repeats.
type blockedSet struct {
	mu       sync.Mutex
	openings map[string]string              // circuit name → opening key
	seen     map[string]map[string]struct{} // opening key → message ids
}

const maxBlocked = 10000

func newBlockedSet() *blockedSet {
	return &blockedSet{openings: map[string]string{}, seen: map[string]map[string]struct{}{}}
}

// first reports whether id is new for this opening, and remembers it.
func (b *blockedSet) first(opening, id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	name, _, _ := strings.Cut(opening, "|")
	if prev, ok := b.openings[name]; ok && prev != opening {
		delete(b.seen, prev)
	}
	b.openings[name] = opening
	set := b.seen[opening]
	if set == nil {
		set = map[string]struct{}{}
		b.seen[opening] = set
	}
	if _, ok := set[id]; ok {
		return false
	}
	if len(set) < maxBlocked {
		set[id] = struct{}{}
	}
	return true
}

func (b *blockedSet) forget(opening, id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.seen[opening], id)
}

// requestRef reads the request id (or, for a support change without one,
// the change id) from an event's payload; values that could not be valid ids
// are left out.
func requestRef(data []byte) (requestID, changeID string) {
	var p struct {
		RequestID any `json:"request_id"`
		ChangeID  any `json:"change_id"`
	}
	if json.Unmarshal(data, &p) != nil {
		return "", ""
	}
	if s, ok := p.RequestID.(string); ok && events.ValidRequestID(s) {
		requestID = s
	}
	if s, ok := p.ChangeID.(string); ok && events.ValidRequestID(s) {
		changeID = s
	}
	return requestID, changeID
}

func effectKind(k string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(k) {
		if b.Len() == 64 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine makes s one line of at most n bytes without control characters,
// fit for a NATS header and the effect-failed schema.
func oneLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	space := false
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+len(string(r)) > n-len("…") {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
