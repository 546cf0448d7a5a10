package devmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/acctflow/acctflow/retry"
	"github.com/emersion/go-smtp"
)

var (
	errTooLarge       = errors.New("message too large")
	errNoRecipients   = errors.New("no recipients")
	errManyRecipients = errors.New("too many recipients")
)

// Deliver puts raw into the INBOX of every recipient, exactly as mail
// received over SMTP: all of them or none, each copy with Return-Path and
// Delivered-To prepended. from and to are bare addresses ("a@b", no display
// name); from may be "" (a bounce). Errors that retrying cannot fix (bad
// address, too large) are marked retry.Permanent; a full mailbox or store
// is temporary.
func (s *Sandbox) Deliver(ctx context.Context, from string, to []string, raw []byte) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delivering message: %w", err)
	}
	if !s.gate.enter() {
		return fmt.Errorf("delivering message: %w", errClosed)
	}
	defer s.gate.leave()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("delivery panicked", "panic", v)
			err = fmt.Errorf("delivering message: panic: %v", v)
		}
	}()
	if err := s.deliver(from, to, raw); err != nil {
		err = fmt.Errorf("delivering message: %w", err)
		if smtpReply(err).Code >= 500 {
			return retry.Permanent(err)
		}
		return err
	}
	return nil
}

// deliver is the path shared by SMTP DATA and Deliver.
func (s *Sandbox) deliver(from string, to []string, raw []byte) error {
	if int64(len(raw)) > s.cfg.MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", errTooLarge, len(raw), s.cfg.MaxMessageBytes)
	}
	if from != "" {
		if _, err := normalizeAddress(from); err != nil {
			return fmt.Errorf("sender: %w", err)
		}
	}
	if len(to) == 0 {
		return errNoRecipients
	}
	if len(to) > maxRecipients {
		return fmt.Errorf("%w: %d, limit %d", errManyRecipients, len(to), maxRecipients)
	}
	// Refuse before making a copy per recipient: a hundred copies of a big
	// message must not be built only to be turned away.
	if s.store.used.Load()+int64(len(to))*int64(len(raw)) > s.store.maxBytes {
		return errStoreFull
	}
	seen := make(map[string]bool, len(to))
	items := make([]appendItem, 0, len(to))
	now := time.Now()
	for _, rcpt := range to {
		norm, err := normalizeAddress(rcpt)
		if err != nil {
			return fmt.Errorf("recipient: %w", err)
		}
		if seen[norm] {
			continue
		}
		seen[norm] = true
		owner, _ := foldAddress(norm) // norm is valid, so is owner
		u, err := s.store.user(owner, true)
		if err != nil {
			return err
		}
		inbox, err := u.inbox()
		if err != nil {
			return err
		}
		items = append(items, appendItem{mbox: inbox, raw: withTrace(from, norm, raw), date: now})
	}
	if _, err := s.store.appendMessages(items); err != nil {
		return err
	}
	s.log.Debug("delivered", "from", maskAddress(from), "recipients", len(items), "bytes", len(raw))
	return nil
}

// withTrace prepends the headers a final delivery adds (RFC 5321 §4.4):
// Return-Path, and Delivered-To with the +tag the sender used, which
// acctflow's inbox may match replies on.
func withTrace(from, rcpt string, raw []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(raw) + len(from) + len(rcpt) + 32)
	fmt.Fprintf(&b, "Return-Path: <%s>\r\nDelivered-To: %s\r\n", from, rcpt)
	b.Write(raw)
	return b.Bytes()
}

// smtpReply maps a delivery error to the reply an SMTP client gets.
func smtpReply(err error) *smtp.SMTPError {
	var full *mailboxFullError
	switch {
	case err == nil:
		return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "OK"}
	case errors.Is(err, errBadAddress):
		return &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: err.Error()}
	case errors.Is(err, errTooLarge):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Maximum message size exceeded"}
	case errors.Is(err, errNoRecipients):
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	case errors.Is(err, errManyRecipients):
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 5, 3}, Message: "Too many recipients"}
	case errors.As(err, &full):
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full: " + full.Error()}
	case errors.Is(err, errStoreFull), errors.Is(err, errTooManyUsers):
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "Insufficient system storage"}
	case errors.Is(err, errClosed):
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service shutting down"}
	default:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error in processing"}
	}
}

// Messages returns the raw messages in the INBOX of address (folded), with
// the trace headers the delivery added, oldest first. It is meant for tests.
func (s *Sandbox) Messages(address string) [][]byte {
	owner, err := foldAddress(address)
	if err != nil {
		return nil
	}
	u, _ := s.store.user(owner, false)
	if u == nil {
		return nil
	}
	mb, err := u.get("INBOX")
	if err != nil {
		return nil
	}
	mb.mu.Lock()
	msgs := slices.Clone(mb.msgs)
	mb.mu.Unlock()
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		raw, err := mb.body(m)
		if err != nil {
			continue // expunged meanwhile
		}
		out = append(out, bytes.Clone(raw))
	}
	return out
}
