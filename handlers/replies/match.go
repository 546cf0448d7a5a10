package replies

import (
	"slices"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
)

// matched is the request a reply is about and how much the match proves,
// or why the reply is refused at matching.
type matched struct {
	RequestID string
	By        string // events.Matched*: token and thread are verified
	Reason    string // set when the reply is rejected at matching
	Detail    string
	// Confirms lists the kinds of our Message-IDs the reply quotes (verified
	// ones only), e.g. "held.<reply id>" for a confirmation of a held reply.
	Confirms []string
}

// Verified reports whether the match proves the sender read our email.
func (m matched) Verified() bool { return m.By == events.MatchedToken || m.By == events.MatchedThread }

// Mailboxes are the addresses of ours that replies are sent to: the
// workflow inbox and the regional support mailboxes.
type Mailboxes []string

// match finds the request, in DESIGN §5's order: a verified token in a
// recipient address of one of our mailboxes; our Message-IDs in
// In-Reply-To/References (verified tokens, or the old scheme together with
// the subject tag); the [request_id] subject tag. A token that is malformed
// or fails verification is a forgery and ends the search: a reply must not
// reach by its subject what its token was denied.
func match(r reply.Reply, keys mailer.Keys, boxes Mailboxes, domain string) matched {
	var verified []string
	for _, rcpt := range r.Header.Recipients {
		for _, box := range boxes {
			tag, ours := mailer.Tag(rcpt, box)
			if !ours || tag == "" {
				continue
			}
			// Recipients are lower-cased; the parser's tokens keep the
			// request id's case.
			i := slices.IndexFunc(r.Header.Tokens, func(t reply.Token) bool { return t.Address == rcpt })
			if i < 0 {
				return matched{Reason: events.ReplyForgedToken, Detail: "malformed reply token in " + clip(rcpt, 120)}
			}
			t := mailer.Token{RequestID: r.Header.Tokens[i].RequestID, MAC: r.Header.Tokens[i].MAC}
			if !keys.Verify(t) {
				return matched{Reason: events.ReplyForgedToken, Detail: "reply token for " + clip(t.RequestID, 64) + " fails verification"}
			}
			if !slices.Contains(verified, t.RequestID) {
				verified = append(verified, t.RequestID)
			}
		}
	}
	thread := threadOf(r, keys, domain)
	if thread.Reason != "" {
		return thread
	}
	switch {
	case len(verified) > 1:
		return matched{Reason: events.ReplyUnmatched, Detail: "reply tokens of several requests"}
	case len(verified) == 1:
		m := matched{RequestID: verified[0], By: events.MatchedToken}
		if thread.RequestID == m.RequestID {
			m.Confirms = thread.Confirms
		}
		return m
	case thread.RequestID != "":
		return thread
	}
	if tag := reply.SubjectTag(r.Header.Subject); tag != "" {
		for _, id := range threadIDs(r) {
			if kind, ok := mailer.LegacyKind(id, domain); ok && mailer.LegacyMessageID(tag, kind, domain) == id {
				return matched{RequestID: tag, By: events.MatchedLegacy}
			}
		}
		return matched{RequestID: tag, By: events.MatchedSubject}
	}
	return matched{Reason: events.ReplyUnmatched, Detail: "no reply token, thread or subject tag of a known request"}
}

// threadOf reads our Message-IDs quoted by the reply: tokens in them are
// verified like reply addresses.
func threadOf(r reply.Reply, keys mailer.Keys, domain string) matched {
	var m matched
	for _, id := range threadIDs(r) {
		t, kind, ok := mailer.ThreadToken(id, domain)
		if !ok {
			continue
		}
		if !keys.Verify(t) {
			return matched{Reason: events.ReplyForgedToken, Detail: "Message-ID token for " + clip(t.RequestID, 64) + " fails verification"}
		}
		switch {
		case m.RequestID == "":
			m = matched{RequestID: t.RequestID, By: events.MatchedThread}
		case m.RequestID != t.RequestID:
			return matched{Reason: events.ReplyUnmatched, Detail: "quotes the emails of several requests"}
		}
		m.Confirms = append(m.Confirms, kind)
	}
	return m
}

// maxThreadIDs bounds the ids looked at: a hostile References header may
// list thousands (the parser keeps at most 64 anyway).
const maxThreadIDs = 32

// threadIDs lists In-Reply-To, then References newest first: the nearest
// ancestor is ours more often than the thread's root.
func threadIDs(r reply.Reply) []string {
	ids := slices.Clone(r.Header.InReplyTo)
	refs := slices.Clone(r.Header.References)
	slices.Reverse(refs)
	ids = append(ids, refs...)
	if len(ids) > maxThreadIDs {
		ids = ids[:maxThreadIDs]
	}
	return ids
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
