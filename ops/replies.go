package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// ReleaseReply applies a held reply of a request as if it had proven its
// sender: ops checked, out of band, that the contact sent it. replyID may
// be a prefix of the held reply's id, or empty when exactly one waits. A
// request that ended (rejected, expired) takes no reply any more: its held
// replies can only be discarded.
func (o *Ops) ReleaseReply(ctx context.Context, requestID, replyID, by string) (events.ReplyReleased, error) {
	rec, held, err := o.heldReply(ctx, requestID, replyID)
	if err != nil {
		return events.ReplyReleased{}, err
	}
	if rec.Stage.Ended() {
		return events.ReplyReleased{}, &HeldError{RequestID: requestID, Detail: "the request is " + string(rec.Stage) +
			": reply " + held.ReplyID[:min(16, len(held.ReplyID))] + " can no longer apply; discard it"}
	}
	e := events.ReplyReleased{ReplyID: held.ReplyID, RequestID: requestID, By: events.ReleasedByOps,
		Operator: clipText(by), ReleasedAt: events.Time(o.Now())}
	// The id a confirmation by the contact would have: one release per reply.
	return e, o.publish(ctx, e, "reply-released", held.ReplyID)
}

// DiscardReply drops a held reply for good.
func (o *Ops) DiscardReply(ctx context.Context, requestID, replyID, by, reason string) (events.ReplyDiscarded, error) {
	_, held, err := o.heldReply(ctx, requestID, replyID)
	if err != nil {
		return events.ReplyDiscarded{}, err
	}
	if len(reason) > maxText {
		return events.ReplyDiscarded{}, fmt.Errorf("%w: a reason of at most %d characters", ErrInvalid, maxText)
	}
	e := events.ReplyDiscarded{ReplyID: held.ReplyID, RequestID: requestID, Operator: clipText(by),
		Reason: strings.TrimSpace(reason), DiscardedAt: events.Time(o.Now())}
	return e, o.publish(ctx, e, "reply-discarded", held.ReplyID)
}

// HeldError says which held reply a command cannot act on, and why.
type HeldError struct{ RequestID, Detail string }

func (e *HeldError) Error() string { return "request " + e.RequestID + ": " + e.Detail }

// heldReply finds the request and the waiting held reply a command is about.
func (o *Ops) heldReply(ctx context.Context, requestID, replyID string) (lifecycle.Record, lifecycle.HeldReply, error) {
	rec, err := o.Show(ctx, requestID)
	if err != nil {
		return rec, lifecycle.HeldReply{}, err
	}
	h, err := findHeld(rec, replyID)
	return rec, h, err
}

// findHeld picks the waiting held reply replyID names (a prefix; "" when
// exactly one waits).
func findHeld(rec lifecycle.Record, replyID string) (lifecycle.HeldReply, error) {
	requestID := rec.RequestID
	replyID = strings.ToLower(strings.TrimSpace(replyID))
	var waiting, match []lifecycle.HeldReply
	for _, h := range rec.Held {
		if h.Status != lifecycle.HeldWaiting {
			if replyID != "" && strings.HasPrefix(h.ReplyID, replyID) {
				return lifecycle.HeldReply{}, &HeldError{RequestID: requestID, Detail: "reply " + h.ReplyID + " was already " + h.Status}
			}
			continue
		}
		waiting = append(waiting, h)
		if replyID != "" && strings.HasPrefix(h.ReplyID, replyID) {
			match = append(match, h)
		}
	}
	if replyID == "" {
		match = waiting
	}
	switch {
	case len(match) == 1:
		return match[0], nil
	case len(waiting) == 0:
		return lifecycle.HeldReply{}, &HeldError{RequestID: requestID, Detail: "no held reply is waiting"}
	case len(match) == 0:
		return lifecycle.HeldReply{}, &HeldError{RequestID: requestID, Detail: "no held reply " + replyID + " is waiting"}
	}
	ids := make([]string, len(match))
	for i, h := range match {
		ids[i] = h.ReplyID[:16]
	}
	return lifecycle.HeldReply{}, &HeldError{RequestID: requestID, Detail: "several held replies wait; name one: " + strings.Join(ids, ", ")}
}

func clipText(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
