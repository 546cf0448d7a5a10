package reply

import (
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	"github.com/emersion/go-message/charset"
	"golang.org/x/text/encoding/charmap"

	"github.com/acctflow/acctflow/mailer"
)

// wordDecoder decodes RFC 2047 encoded words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeField turns a raw header value into readable UTF-8: raw 8-bit bytes
// that are not UTF-8 are read as windows-1252 (what such senders nearly always
// mean, and a superset of Latin-1), then encoded words are decoded.
func decodeField(v string) string {
	v = toUTF8(truncate(v, 4*maxFieldChars))
	if strings.Contains(v, "=?") {
		if s, err := wordDecoder.DecodeHeader(v); err == nil {
			v = s
		}
	}
	return v
}

// cleanHeaderText keeps a decoded header value as written, minus control
// characters (a decoded encoded word may carry CR/LF) and invalid UTF-8.
func cleanHeaderText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			return ' '
		case r < ' ' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// toUTF8 reads raw 8-bit header bytes that are not UTF-8 as windows-1252.
func toUTF8(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	if s, err := charmap.Windows1252.NewDecoder().String(v); err == nil {
		return s
	}
	return strings.ToValidUTF8(v, "")
}

// readHeader builds the Header of a reply from its raw header fields.
func readHeader(h message.Header) Header {
	var out Header
	if from := addresses(h, "From"); len(from) > 0 {
		out.From = strings.ToLower(from[0].Address)
		out.FromName = truncate(strings.TrimSpace(cleanHeaderText(from[0].Name)), maxFieldChars)
	}
	seen := map[string]bool{}
	for _, key := range []string{"To", "Cc", "Delivered-To", "X-Original-To"} {
		for _, a := range addresses(h, key) {
			lower := strings.ToLower(a.Address)
			if seen[lower] || len(out.Recipients) >= maxListItems {
				continue
			}
			seen[lower] = true
			out.Recipients = append(out.Recipients, lower)
			if t, ok := parseToken(a.Address); ok {
				out.Tokens = append(out.Tokens, t)
			}
		}
	}
	if ids := msgIDs(h.Get("Message-Id")); len(ids) > 0 {
		out.MessageID = ids[0]
	}
	out.InReplyTo = msgIDs(h.Get("In-Reply-To"))
	out.References = msgIDs(h.Get("References"))
	out.Subject = truncate(strings.TrimSpace(cleanHeaderText(decodeField(h.Get("Subject")))), maxFieldChars)
	return out
}

// addresses reads every address of every field named key, tolerating what
// net/mail refuses: a malformed list falls back to scanning for addr-specs.
func addresses(h message.Header, key string) []*mail.Address {
	var out []*mail.Address
	fields := h.FieldsByKey(key)
	for fields.Next() && len(out) < maxListItems {
		// The parser decodes encoded words in display names itself; decoding
		// them first could turn "Doe, Jane" into two broken addresses.
		v := toUTF8(truncate(fields.Value(), 4*maxFieldChars))
		if list, err := (&mail.AddressParser{WordDecoder: wordDecoder}).ParseList(v); err == nil {
			out = append(out, list...)
			continue
		}
		for _, t := range scanAddresses(v) {
			if strings.Contains(t.addr[strings.IndexByte(t.addr, '@'):], ".") && utf8.ValidString(t.addr) {
				out = append(out, &mail.Address{Address: t.addr})
			}
		}
	}
	if len(out) > maxListItems {
		out = out[:maxListItems]
	}
	return out
}

// msgIDs reads a Message-ID list: the contents of each <…>, or bare tokens
// when a client left the brackets out.
func msgIDs(v string) []string {
	v = truncate(v, 64*maxListItems*4)
	var out []string
	if strings.Contains(v, "<") {
		for len(out) < maxListItems {
			i := strings.IndexByte(v, '<')
			if i < 0 {
				break
			}
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				break
			}
			if id := strings.TrimSpace(v[i+1 : i+j]); id != "" && !strings.ContainsAny(id, " \t") {
				out = append(out, id)
			}
			v = v[i+j+1:]
		}
		return out
	}
	for _, f := range strings.Fields(v) {
		if len(out) >= maxListItems {
			break
		}
		if strings.Contains(f, "@") {
			out = append(out, f)
		}
	}
	return out
}

// parseToken reads `<local>+<request_id>.<mac>@<domain>`; the request id keeps
// its case, since the MAC was computed over it.
func parseToken(addr string) (Token, bool) {
	t, ok := mailer.ParseToken(addr) // the one token parser
	if !ok {
		return Token{}, false
	}
	return Token{RequestID: t.RequestID, MAC: t.MAC, Address: strings.ToLower(addr)}, true
}

// validRequestID: 1–64 of [A-Za-z0-9._-] (DESIGN §3).
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// gatewayTags are bracketed subject prefixes that mail gateways add and that
// would otherwise pass for a request id.
var gatewayTags = map[string]bool{
	"external": true, "ext": true, "spam": true, "caution": true, "warning": true, "secure": true,
	"encrypt": true, "encrypted": true, "suspicious": true, "bulk": true, "fwd": true, "fw": true,
	"externe": true, "attention": true, "important": true, "urgent": true,
}

// subjectTag returns the last `[request_id]` of the subject.
func subjectTag(subject string) string {
	for end := len(subject); end > 0; {
		j := strings.LastIndexByte(subject[:end], ']')
		if j < 0 {
			return ""
		}
		i := strings.LastIndexByte(subject[:j], '[')
		if i < 0 {
			return ""
		}
		tag := strings.TrimSpace(subject[i+1 : j])
		if validRequestID(tag) && !gatewayTags[strings.ToLower(tag)] {
			return tag
		}
		end = i
	}
	return ""
}

// requestRef prefers the plus-address token, which the inbox can verify, and
// falls back to the subject tag.
func requestRef(h Header) *string {
	tag := subjectTag(h.Subject)
	for _, t := range h.Tokens {
		if t.RequestID == tag {
			return &tag
		}
	}
	if len(h.Tokens) > 0 {
		id := h.Tokens[0].RequestID
		return &id
	}
	if tag != "" {
		return &tag
	}
	return nil
}
