package console

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"strings"

	gomessage "github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // legacy charsets in resellers' replies
	gomail "github.com/emersion/go-message/mail"
)

// message is an email as the console shows it: the headers people read and
// the text (the text/plain part, else the HTML part as source).
type message struct {
	Headers []fact
	Text    string
	Note    string
}

const maxShown = 256 << 10

func readMessage(raw []byte) message {
	var m message
	e, err := gomessage.Read(bytes.NewReader(raw))
	if e == nil || err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		m.Note = "The message could not be read as MIME; this is its raw text."
		m.Text = clipText(string(raw))
		return m
	}
	h := gomail.Header{Header: e.Header}
	for _, k := range []string{"Date", "From", "To", "Cc", "Reply-To", "Subject", "Message-Id", "In-Reply-To", "Auto-Submitted"} {
		v, err := h.Text(k)
		if err != nil || v == "" {
			v = h.Get(k)
		}
		if v != "" {
			m.Headers = append(m.Headers, fact{k, v})
		}
	}
	plain, html := "", ""
	_ = e.Walk(func(_ []int, part *gomessage.Entity, err error) error {
		if err != nil {
			return nil
		}
		t, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if t == "" {
			t = "text/plain"
		}
		if t != "text/plain" && t != "text/html" {
			return nil
		}
		body, err := io.ReadAll(io.LimitReader(part.Body, maxShown))
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if t == "text/plain" && plain == "" {
			plain = string(body)
		}
		if t == "text/html" && html == "" {
			html = string(body)
		}
		return nil
	})
	switch {
	case plain != "":
		m.Text = plain
	case html != "":
		m.Text, m.Note = html, "HTML only: shown as its source."
	default:
		m.Note = "No text part."
	}
	m.Text = clipText(strings.ReplaceAll(m.Text, "\r\n", "\n"))
	return m
}

func clipText(s string) string {
	if len(s) > maxShown {
		return s[:maxShown] + "\n…"
	}
	return s
}
