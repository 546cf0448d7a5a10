package replies

import (
	"context"
	"slices"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/mailer"
	"github.com/acctflow/acctflow/mailer/reply"
)

// matched is the request a reply is about, or why none could be trusted.
type matched struct {
	RequestID string
	Reason    string // set when the reply is rejected at matching
	Detail    string
	By        string // token, thread or subject
}

// match finds the request, in DESIGN §5's order: a verified plus-address
// token; our Message-IDs in In-Reply-To/References; the [request_id]
// subject tag. A token that fails verification is a forgery and ends the
// search: a reply must not reach by its subject what its token was denied.
func (h *Handler) match(ctx context.Context, r reply.Reply) (matched, error) {
	var verified []string
	for _, t := range r.Header.Tokens {
		if !mailer.VerifyToken(h.ReplyKey, t.RequestID, t.MAC) {
			return matched{Reason: events.ReplyForgedToken, Detail: "reply token for " + clip(t.RequestID, 64) + " fails verification"}, nil
		}
		if !slices.Contains(verified, t.RequestID) {
			verified = append(verified, t.RequestID)
		}
	}
	switch len(verified) {
	case 1:
		return matched{RequestID: verified[0], By: "token"}, nil
	case 0:
	default:
		return matched{Reason: events.ReplyUnmatched, Detail: "reply tokens of several requests"}, nil
	}
	ids := append(slices.Clone(r.Header.InReplyTo), reversed(r.Header.References)...)
	for i, id := range ids {
		if i == 2*maxThreadLookups {
			break
		}
		req, ok, err := h.threads().Lookup(ctx, id)
		if err != nil {
			return matched{}, err
		}
		if ok {
			return matched{RequestID: req, By: "thread"}, nil
		}
	}
	if r.RequestRef != nil && events.ValidRequestID(*r.RequestRef) {
		return matched{RequestID: *r.RequestRef, By: "subject"}, nil
	}
	return matched{Reason: events.ReplyUnmatched, Detail: "no reply token, thread or subject tag of a known request"}, nil
}

// maxThreadLookups bounds KV reads per reply: a hostile References header
// may list thousands of ids (the parser keeps at most 64 anyway).
const maxThreadLookups = 16

// reversed lists References newest first: the nearest ancestor is ours more
// often than the thread's root.
func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
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
