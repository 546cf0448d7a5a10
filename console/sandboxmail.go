package console

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"strings"

	"github.com/acctflow/acctflow/events"
)

// Mailboxes is the dev mail sandbox (devmail.Sandbox): each address's
// INBOX, raw.
type Mailboxes interface {
	Messages(address string) [][]byte
}

// SandboxMail finds the emails sent about a request in the sandbox's
// mailboxes: ours carry the request in their Message-ID
// (<request_id>.<mac>.<kind>@domain) or its [request_id] subject tag.
type SandboxMail struct{ Box Mailboxes }

var wordDecoder = new(mime.WordDecoder)

func (m SandboxMail) About(_ context.Context, requestID string, recipients []string) ([]Email, error) {
	var out []Email
	for _, to := range recipients {
		for _, raw := range m.Box.Messages(to) {
			h, ok := header(raw)
			if !ok {
				continue
			}
			mid := strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
			subject, err := wordDecoder.DecodeHeader(h.Get("Subject"))
			if err != nil {
				subject = h.Get("Subject")
			}
			if !ours(mid, requestID) && !strings.Contains(subject, "["+requestID+"]") {
				continue
			}
			out = append(out, Email{To: to, MessageID: mid, Subject: subject, Date: h.Get("Date")})
		}
	}
	return out, nil
}

func (m SandboxMail) Text(_ context.Context, recipient, messageID string) ([]byte, error) {
	for _, raw := range m.Box.Messages(recipient) {
		if h, ok := header(raw); ok && strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>") == messageID {
			return raw, nil
		}
	}
	return nil, ErrNoText
}

func header(raw []byte) (mail.Header, bool) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, false
	}
	return msg.Header, true
}

// ours reports whether a Message-ID is one acctflow made for the request.
func ours(mid, requestID string) bool {
	return mid != "" && strings.HasPrefix(mid, events.KeyOf(requestID)+".")
}
