package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer/inbox"
)

// Objects is the part of the mail-raw object store the sink uses.
type Objects interface {
	GetInfo(ctx context.Context, name string, opts ...jetstream.GetObjectInfoOpt) (*jetstream.ObjectInfo, error)
	PutBytes(ctx context.Context, name string, data []byte) (*jetstream.ObjectInfo, error)
}

// Source is the ce-source of the events the sink publishes.
const Source = "acctflow/inbox"

// DefaultMaxStoreAttempts is how often storing one message may fail before
// it is recorded as unreadable and skipped, so that one message the store
// keeps refusing cannot hold up the folder forever.
const DefaultMaxStoreAttempts = 8

// Sink implements mailer/inbox.Sink.
type Sink struct {
	Objects Objects
	JS      events.Publisher
	Logger  *slog.Logger
	Now     func() time.Time
	// MaxStoreAttempts: see DefaultMaxStoreAttempts (0 means the default).
	MaxStoreAttempts int

	mu       sync.Mutex
	failures map[string]int // by object name; bounded by the folders' backlog
}

var _ inbox.Sink = (*Sink)(nil)

// Deliver stores m, then announces it. Delivering the same message again
// rewrites nothing and publishes the same event id, which JetStream drops
// inside its duplicate window and the replies handler absorbs after it.
func (s *Sink) Deliver(ctx context.Context, m inbox.Message) (err error) {
	ctx, span := startDeliver(ctx, m) // see trace.go
	defer func() { events.EndSpan(span, err) }()
	obj := ObjectName(m.Raw)
	msgID, from := headerIDs(m.Raw)
	ev := events.ReplyReceived{
		ReplyID:     ReplyID(msgID, from, m.Raw),
		Mailbox:     mailboxName(m),
		UIDValidity: m.UIDValidity,
		UID:         m.UID,
		Object:      obj,
		Size:        max(m.Size, int64(len(m.Raw))),
		Oversize:    m.Oversize,
		MessageID:   msgID,
		ReceivedAt:  events.Time(s.Now()),
	}
	noteReply(span, ev.ReplyID)
	if err := s.store(ctx, obj, m.Raw); err != nil {
		if !s.giveUp(obj) {
			return err
		}
		// Recorded instead of stored: the folder moves on, ops see why.
		s.Logger.Error("message could not be stored; recording it as unreadable", "object", obj, "err", err)
		rej := events.ReplyRejected{
			ReplyID: ev.ReplyID, Reason: events.ReplyUnreadable, MessageID: msgID,
			Detail:     clip("could not store the raw message: "+err.Error(), 500),
			RejectedAt: ev.ReceivedAt,
		}
		_, perr := events.Publish(ctx, s.JS, rej, events.DerivedID("reply-rejected", ev.ReplyID), Source, events.Envelope{})
		if perr != nil {
			return fmt.Errorf("recording unstorable message %s: %w", obj, perr)
		}
		s.forget(obj)
		return nil
	}
	s.forget(obj)
	if _, err := events.Publish(ctx, s.JS, ev, events.DerivedID("reply-received", ev.ReplyID), Source, events.Envelope{}); err != nil {
		return fmt.Errorf("announcing message %s: %w", obj, err)
	}
	return nil
}

// store puts the bytes under their hash unless an earlier delivery did.
func (s *Sink) store(ctx context.Context, name string, raw []byte) error {
	if _, err := s.Objects.GetInfo(ctx, name); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("checking object %s: %w", name, err)
	}
	if _, err := s.Objects.PutBytes(ctx, name, raw); err != nil {
		return fmt.Errorf("storing object %s: %w", name, err)
	}
	return nil
}

func (s *Sink) giveUp(obj string) bool {
	limit := s.MaxStoreAttempts
	if limit <= 0 {
		limit = DefaultMaxStoreAttempts
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]int{}
	}
	s.failures[obj]++
	return s.failures[obj] >= limit
}

func (s *Sink) forget(obj string) {
	s.mu.Lock()
	delete(s.failures, obj)
	s.mu.Unlock()
}

// ObjectName is where raw bytes are kept: their SHA-256, so the same bytes
// are stored once however often they are delivered.
func ObjectName(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256-" + hex.EncodeToString(sum[:])
}

// ReplyID identifies a message across mailboxes: the same reply copied to
// the workflow inbox and a support mailbox differs in its trace headers but
// not in its Message-ID. The sender is mixed in so that a stranger reusing a
// Message-ID he saw cannot make a reseller's reply a "duplicate" of his own.
// Without a Message-ID the content decides.
func ReplyID(messageID, from string, raw []byte) string {
	if messageID != "" {
		return events.DerivedID("message-id", strings.ToLower(messageID), strings.ToLower(from))
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// headerIDs reads Message-ID (without brackets, only when it is a single
// clean token) and the bare From address from the header section.
func headerIDs(raw []byte) (msgID, from string) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", ""
	}
	id := strings.TrimSpace(m.Header.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	if id != "" && len(id) <= 250 && !strings.ContainsAny(id, " \t\r\n<>\x00\x7f") && isPrintable(id) {
		msgID = id
	}
	if a, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		from = strings.ToLower(a.Address)
	}
	return msgID, from
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// mailboxName is account URL + folder, clipped to the schema's line.
func mailboxName(m inbox.Message) string {
	name := m.Account + "/" + m.Folder
	if name == "/" {
		name = "unknown"
	}
	return clip(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, name), 200)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n]
}
