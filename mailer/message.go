package mailer

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Address is a recipient: Name is shown, Email receives.
type Address struct{ Name, Email string }

// Message is one outbound mail, already rendered. Auto-Submitted and
// X-Auto-Response-Suppress are always added by Send.
type Message struct {
	MessageID  string // without angle brackets (see MessageID); required
	To         Address
	ReplyTo    string // bare address, usually ReplyAddress's result; optional
	Subject    string
	Text       string // text/plain part; required
	HTML       string // text/html alternative; optional
	InReplyTo  string // threading, without brackets; invalid values are dropped
	References []string
}

const (
	maxBodyBytes   = 1 << 20 // far above any template; stops a runaway render
	maxReferences  = 20      // newest kept: enough for any thread we take part in
	maxNameRunes   = 120
	maxEmailLength = 254
)

// Header names go-mail has no constants for.
const (
	headerAutoSubmitted gomail.Header = "Auto-Submitted"
)

// errInvalid marks messages no retry can fix.
var errInvalid = errors.New("invalid message")

// build turns m into a go-mail message. Every value that reaches a header is
// validated (addresses, IDs) or made single-line (names, subject).
func (m Message) build(from *mail.Address, now time.Time) (*gomail.Msg, error) {
	id, ok := cleanMsgID(m.MessageID)
	if !ok {
		return nil, fmt.Errorf("%w: Message-ID %q", errInvalid, oneLine(m.MessageID))
	}
	to, err := recipient(m.To)
	if err != nil {
		return nil, err
	}
	subject := oneLine(m.Subject)
	if subject == "" {
		return nil, fmt.Errorf("%w: empty subject", errInvalid)
	}
	if strings.TrimSpace(m.Text) == "" {
		return nil, fmt.Errorf("%w: empty text part", errInvalid)
	}
	if len(m.Text) > maxBodyBytes || len(m.HTML) > maxBodyBytes {
		return nil, fmt.Errorf("%w: body larger than %d bytes", errInvalid, maxBodyBytes)
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.ToMailAddress(to)
	if m.ReplyTo != "" {
		rt, err := bareAddress(m.ReplyTo)
		if err != nil {
			return nil, fmt.Errorf("%w: Reply-To: %v", errInvalid, err)
		}
		msg.ReplyToMailAddress(rt)
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(now)
	msg.SetGenHeader(headerAutoSubmitted, "auto-generated")
	msg.SetGenHeader(gomail.HeaderXAutoResponseSuppress, "All")
	if irt, ok := cleanMsgID(m.InReplyTo); ok {
		msg.SetGenHeader(gomail.HeaderInReplyTo, "<"+irt+">")
	}
	if refs := references(m.References); refs != "" {
		msg.SetGenHeader(gomail.HeaderReferences, refs)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// recipient validates the address strictly (it becomes RCPT TO) and cleans
// the display name (it becomes part of the To header).
func recipient(a Address) (*mail.Address, error) {
	addr, err := bareAddress(a.Email)
	if err != nil {
		return nil, fmt.Errorf("%w: recipient: %v", errInvalid, err)
	}
	name := oneLine(a.Name)
	if r := []rune(name); len(r) > maxNameRunes {
		name = string(r[:maxNameRunes])
	}
	addr.Name = name
	return addr, nil
}

// bareAddress accepts exactly one address with no display name or comments.
func bareAddress(s string) (*mail.Address, error) {
	if s == "" || len(s) > maxEmailLength || hasUnsafe(s) || strings.ContainsAny(s, " <>,") {
		return nil, fmt.Errorf("address %q is not a bare address", maskAddresses(oneLine(s)))
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || strings.Count(s, "@") != 1 {
		return nil, fmt.Errorf("address %q does not parse as a plain address", maskAddresses(oneLine(s)))
	}
	return &mail.Address{Address: a.Address}, nil
}

// references keeps the valid IDs (the newest maxReferences) in References
// syntax: bracketed and space-separated, not go-mail's comma list.
func references(ids []string) string {
	var ok []string
	for _, id := range ids {
		if c, valid := cleanMsgID(id); valid {
			ok = append(ok, "<"+c+">")
		}
	}
	if len(ok) > maxReferences {
		ok = ok[len(ok)-maxReferences:]
	}
	return strings.Join(ok, " ")
}
