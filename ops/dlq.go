package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/events"
)

// DLQ lists, shows and replays dead letters (stream ACCOUNTS_DLQ), for both
// `acctflow dlq` and /v1/dlq.
//
// A replay publishes the original payload and headers on the original
// subject for the handler that gave up on it, then removes the dead letter.
// The event keeps its ce-id, so every id a handler derives from it (output
// events, Message-IDs, effect keys) is the same as the first time and the
// effect ledger sees the same effect: a replayed confirmation whose email
// never left is sent once, one that did leave is not sent again. Only
// Nats-Msg-Id changes: JetStream would otherwise drop the replay as a
// duplicate of the original inside its duplicate window. The replay's
// Nats-Msg-Id is derived from the dead letter's sequence, so replaying the
// same dead letter twice (a double click, a retried HTTP call) publishes it
// once.
type DLQ struct {
	JS jetstream.JetStream
}

// DeadLetter is one message in ACCOUNTS_DLQ.
type DeadLetter struct {
	Seq        uint64    `json:"seq"`
	Subject    string    `json:"subject"` // the original subject
	Handler    string    `json:"handler"`
	Error      string    `json:"error"`
	Deliveries uint64    `json:"deliveries"`
	Failures   uint64    `json:"failures"` // failed deliveries before giving up; 0 when permanent
	RequestID  string    `json:"request_id,omitempty"`
	EventID    string    `json:"event_id,omitempty"` // ce-id
	StreamSeq  uint64    `json:"stream_seq,omitempty"`
	DeadAt     time.Time `json:"dead_lettered_at"`
	// Show only: every header and the payload (JSON when it is JSON).
	Header  map[string][]string `json:"headers,omitempty"`
	Payload any                 `json:"payload,omitempty"`
}

// Replayed is the outcome of one replay.
type Replayed struct {
	DLQSeq    uint64 `json:"dlq_seq"`
	Subject   string `json:"subject"`
	Handler   string `json:"handler"`
	StreamSeq uint64 `json:"stream_seq"` // where the replay landed in ACCOUNTS
	Duplicate bool   `json:"duplicate"`  // replayed before, inside the duplicate window
	Error     string `json:"error,omitempty"`
}

// ErrDeadLetterNotFound: no dead letter with that sequence.
var ErrDeadLetterNotFound = errors.New("dead letter not found")

// dlqFilter turns a subject as the user gives it (acct.routed.us, acct.>,
// dlq.acct.routed.*) into a filter on ACCOUNTS_DLQ.
func dlqFilter(subject string) (string, error) {
	s := strings.TrimSpace(subject)
	if s == "" {
		return broker.DLQSubjectPrefix + ">", nil
	}
	if strings.ContainsAny(s, " \t\r\n") || strings.Contains(s, "..") || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return "", fmt.Errorf("%w: subject %q", errBadDLQInput, subject)
	}
	if !strings.HasPrefix(s, broker.DLQSubjectPrefix) {
		s = broker.DLQSubjectPrefix + s
	}
	return s, nil
}

var errBadDLQInput = errors.New("bad input")

// IsBadDLQInput reports an unusable subject filter or sequence.
func IsBadDLQInput(err error) bool { return errors.Is(err, errBadDLQInput) }

// ParseSeq reads a dead letter's sequence number.
func ParseSeq(s string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%w: %q is not a dead letter sequence number", errBadDLQInput, s)
	}
	return n, nil
}

// List returns the dead letters whose original subject matches subject
// (empty: all), oldest first.
func (d *DLQ) List(ctx context.Context, subject string) ([]DeadLetter, error) {
	filter, err := dlqFilter(subject)
	if err != nil {
		return nil, err
	}
	out := []DeadLetter{}
	err = events.Scan(ctx, d.JS, events.DLQStream, jetstream.ConsumerConfig{
		FilterSubjects: []string{filter}, HeadersOnly: true,
	}, 0, func(m jetstream.Msg) bool {
		if md, err := m.Metadata(); err == nil {
			out = append(out, deadLetter(md.Sequence.Stream, m.Subject(), m.Headers(), md.Timestamp))
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Show returns one dead letter with its headers and payload.
func (d *DLQ) Show(ctx context.Context, seq uint64) (DeadLetter, error) {
	raw, err := d.get(ctx, seq)
	if err != nil {
		return DeadLetter{}, err
	}
	dl := deadLetter(raw.Sequence, raw.Subject, raw.Header, raw.Time)
	dl.Header = raw.Header
	if dl.RequestID == "" {
		dl.RequestID = requestIDIn(raw.Data)
	}
	if json.Valid(raw.Data) {
		dl.Payload = json.RawMessage(raw.Data)
	} else {
		dl.Payload = string(raw.Data)
	}
	return dl, nil
}

func (d *DLQ) get(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, error) {
	stream, err := d.JS.Stream(ctx, events.DLQStream)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", events.DLQStream, err)
	}
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("%w: %d", ErrDeadLetterNotFound, seq)
	}
	if err != nil {
		return nil, fmt.Errorf("reading dead letter %d: %w", seq, err)
	}
	if !strings.HasPrefix(raw.Subject, broker.DLQSubjectPrefix) {
		return nil, fmt.Errorf("%w: %d", ErrDeadLetterNotFound, seq)
	}
	return raw, nil
}

func deadLetter(seq uint64, subject string, h nats.Header, at time.Time) DeadLetter {
	orig := strings.TrimPrefix(subject, broker.DLQSubjectPrefix)
	dl := DeadLetter{
		Seq: seq, Subject: orig, Handler: h.Get(broker.HeaderHandler), Error: h.Get(broker.HeaderError),
		RequestID: h.Get(events.HeaderSubject), EventID: h.Get(events.HeaderID), DeadAt: at.UTC(),
	}
	dl.Deliveries, _ = strconv.ParseUint(h.Get(broker.HeaderDeliveries), 10, 64)
	dl.Failures, _ = strconv.ParseUint(h.Get(broker.HeaderFailures), 10, 64)
	dl.StreamSeq, _ = strconv.ParseUint(h.Get(broker.HeaderStreamSeq), 10, 64)
	return dl
}

func requestIDIn(data []byte) string {
	var p struct {
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(data, &p) == nil && events.ValidRequestID(p.RequestID) {
		return p.RequestID
	}
	return ""
}

// dlqOnly are the headers the broker added when it dead-lettered: a replay
// leaves them behind.
var dlqOnly = []string{
	broker.HeaderError, broker.HeaderHandler, broker.HeaderDeliveries, broker.HeaderFailures,
	broker.HeaderStreamSeq, broker.HeaderDeadAt, broker.HeaderReplayFor, broker.HeaderReplayOf,
	events.HeaderMsgID, "Nats-Expected-Stream", "Nats-Expected-Last-Sequence",
	"Nats-Expected-Last-Subject-Sequence", "Nats-Expected-Last-Msg-Id",
}

// Replay republishes one dead letter for the handler that gave up on it and
// removes it from the DLQ.
func (d *DLQ) Replay(ctx context.Context, seq uint64) (Replayed, error) {
	raw, err := d.get(ctx, seq)
	if err != nil {
		return Replayed{DLQSeq: seq}, err
	}
	orig := strings.TrimPrefix(raw.Subject, broker.DLQSubjectPrefix)
	handler := raw.Header.Get(broker.HeaderHandler)
	r := Replayed{DLQSeq: seq, Subject: orig, Handler: handler}
	if !strings.HasPrefix(orig, "acct.") {
		return r, fmt.Errorf("dead letter %d: original subject %q is not an acct.> event", seq, orig)
	}
	h := nats.Header{}
	for k, v := range raw.Header {
		h[k] = append([]string(nil), v...)
	}
	for _, k := range dlqOnly {
		h.Del(k)
	}
	// Keep the event's id. The broker stores ce-id with every dead letter;
	// for a producer that sent none, it is what handlers derived it from.
	id := h.Get(events.HeaderID)
	if id == "" {
		id = events.Read(orig, h, raw.Data).ID
		h.Set(events.HeaderID, id)
	}
	h.Set(events.HeaderMsgID, events.DerivedID("replay", strconv.FormatUint(seq, 10), id))
	h.Set(broker.HeaderReplayOf, strconv.FormatUint(seq, 10))
	if handler != "" {
		h.Set(broker.HeaderReplayFor, handler)
	}
	ack, err := d.JS.PublishMsg(ctx, &nats.Msg{Subject: orig, Header: h, Data: raw.Data}, jetstream.WithExpectStream(events.Stream))
	if err != nil {
		return r, fmt.Errorf("replaying dead letter %d on %s: %w", seq, orig, err)
	}
	r.StreamSeq, r.Duplicate = ack.Sequence, ack.Duplicate
	stream, err := d.JS.Stream(ctx, events.DLQStream)
	if err == nil {
		err = stream.DeleteMsg(ctx, seq)
	}
	if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		// Published but still listed: a second replay inside the duplicate
		// window is dropped, and after it the effect ledger absorbs it.
		return r, fmt.Errorf("dead letter %d replayed (ACCOUNTS seq %d) but not removed from the DLQ: %w", seq, ack.Sequence, err)
	}
	return r, nil
}

// ReplayAll replays every dead letter whose original subject matches subject
// (empty: all), oldest first, and goes on past individual failures.
func (d *DLQ) ReplayAll(ctx context.Context, subject string) ([]Replayed, error) {
	list, err := d.List(ctx, subject)
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Seq < list[j].Seq })
	var errs []error
	out := make([]Replayed, 0, len(list))
	for _, dl := range list {
		r, err := d.Replay(ctx, dl.Seq)
		if err != nil {
			r.Error = err.Error()
			errs = append(errs, err)
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}
