package lifecycle

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/acctflow/acctflow/events"
)

// maxHistory bounds a record: past it, the oldest events that can never
// move the stage (reply rejections, tickets, …) give up their place.
const maxHistory = 400

// Apply folds one event into the record. seq is the event's position in the
// stream, which is causal order (a handler publishes its output only after
// its input is stored), unlike the publishers' clocks. Apply is idempotent
// (an event id seen before changes nothing) and independent of the order
// events arrive in: a late event is put at its place in the history and the
// record is folded again. A payload its schema refuses changes nothing and
// is an error.
func Apply(r *Record, subject string, data []byte, env events.Envelope, seq uint64) error {
	id := appliedID(env.ID)
	if slices.ContainsFunc(r.History, func(e Entry) bool { return e.ID == id }) {
		return nil
	}
	schema, ok := events.SchemaFor(subject)
	if !ok {
		return fmt.Errorf("no event type for subject %s", subject)
	}
	data, err := normalise(schema, data, env)
	if err != nil {
		return err
	}
	e := Entry{Seq: seq, ID: id, Event: schema, Data: data}
	// After every entry of a lower or equal position: equal positions only
	// happen when events are folded outside a stream (tests, tools).
	i := sort.Search(len(r.History), func(k int) bool { return r.History[k].Seq > seq })
	if i == len(r.History) {
		r.History = append(r.History, e)
		if err := foldEntry(r, &r.History[i]); err != nil {
			r.History = r.History[:i]
			return err
		}
	} else {
		r.History = slices.Insert(r.History, i, e)
		if err := r.refold(); err != nil {
			return err
		}
	}
	r.trim()
	return nil
}

// refold derives the record from its history again.
func (r *Record) refold() error {
	fresh := Record{RequestID: r.RequestID, History: r.History}
	for i := range fresh.History {
		if err := foldEntry(&fresh, &fresh.History[i]); err != nil {
			return fmt.Errorf("folding %s again: %w", fresh.History[i].Event, err)
		}
	}
	*r = fresh
	return nil
}

// trim drops the oldest annotations once the history is too long: first
// those about nothing ops may still act on (rejected replies, reminders,
// …), held replies and their outcome only when nothing else is left, so a
// flood of junk replies cannot push a waiting held reply out.
func (r *Record) trim() {
	for _, droppable := range []func(Entry) bool{
		func(e Entry) bool { return !movesStage(e.Event) && !aboutHeld(e.Event) },
		func(e Entry) bool { return !movesStage(e.Event) },
	} {
		for len(r.History) > maxHistory {
			i := slices.IndexFunc(r.History, droppable)
			if i < 0 {
				break
			}
			r.History = slices.Delete(r.History, i, i+1)
		}
	}
}

// aboutHeld reports whether an event holds, releases or discards a reply.
func aboutHeld(schema string) bool {
	return schema == "reply-held" || schema == "reply-released" || schema == "reply-discarded"
}

// normalise validates a payload once, on arrival, and returns the form kept
// in the history. An AccountRequested may come from upstream without its
// optional fields; it is kept as routing reads it.
func normalise(schema string, data []byte, env events.Envelope) ([]byte, error) {
	if schema != evRequested {
		var probe json.RawMessage
		if err := events.Unmarshal(schema, data, &probe); err != nil {
			return nil, err
		}
		return data, nil
	}
	now, err := time.Parse(time.RFC3339, env.Time)
	if err != nil {
		now = time.Now()
	}
	req, err := events.ParseAccountRequested(data, events.IDFromHash(data), now)
	if err != nil {
		return nil, err
	}
	return json.Marshal(req)
}

// appliedID is how an event id is kept in the history. The record lives in
// KV as JSON, which turns invalid UTF-8 (possible in a header) into U+FFFD:
// such an id would then miss its own redelivery and match other events'
// ids, so it is kept as a digest instead.
func appliedID(id string) string {
	if utf8.ValidString(id) && len(id) <= 64 {
		return id
	}
	return "sha256:" + events.DerivedID(id)
}

// RequestIDOf returns the request an event belongs to, "" if none. An
// AccountRequested without an id gets the one routing gives it.
func RequestIDOf(subject string, data []byte) string {
	var probe struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return ""
	}
	if probe.RequestID == "" && subject == events.SubjectRequested {
		return events.IDFromHash(data)()
	}
	if !events.ValidRequestID(probe.RequestID) {
		return ""
	}
	return probe.RequestID
}
