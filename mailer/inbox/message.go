package inbox

import (
	"context"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Message is one message taken from the folder, handed to the Sink.
type Message struct {
	Account, Folder  string // Account is the IMAP URL of the account, imap://user@host:port
	UIDValidity, UID uint32
	Size             int64  // as reported by the server (RFC822.SIZE)
	Raw              []byte // whole message, or only the header section when Oversize; the Sink may keep it
	Oversize         bool
}

// Sink makes a message durable (object store + announcement). Deliver may be
// called again for a message it already accepted (after a crash between
// Deliver and the cursor save, or after UIDVALIDITY changed), so it must
// deduplicate by content.
type Sink interface {
	Deliver(ctx context.Context, m Message) error // durable when it returns nil
}

// Cursor remembers, per folder, how far the folder has been read.
type Cursor interface {
	Load(ctx context.Context, key string) (uidValidity, lastUID uint32, found bool, err error)
	Save(ctx context.Context, key string, uidValidity, lastUID uint32) error
}

// accountURL names the account the way RFC 5092 IMAP URLs do, so that the same
// user on two servers never shares a cursor.
func accountURL(username, addr string) string {
	u := url.URL{Scheme: "imap", User: url.User(username), Host: addr}
	return u.String()
}

// cursorKey is Account + "/" + Folder with each part escaped so that the key
// only uses characters NATS KV accepts ([-/_=.A-Za-z0-9]) and no two
// (account, folder) pairs collide: every byte outside [A-Za-z0-9_-] becomes
// "=XX", "/" included, so the one unescaped "/" is the separator.
func cursorKey(account, folder string) string {
	return escapeKey(account) + "/" + escapeKey(folder)
}

func escapeKey(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// maskUser hides the local part of an address-like user name for logs
// (DESIGN §7): "jane@example.com" → "j***@example.com".
func maskUser(u string) string {
	if u == "" {
		return ""
	}
	_, n := utf8.DecodeRuneInString(u)
	at := strings.LastIndexByte(u, '@')
	switch {
	case at < 0:
		return u[:n] + "***"
	case at == 0:
		return "***" + u
	default:
		return u[:n] + "***" + u[at:]
	}
}
