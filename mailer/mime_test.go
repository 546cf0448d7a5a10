package mailer

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
)

// parsed is a received message read back with go-message, the way a mail
// client (and our own inbox) would see it.
type parsed struct {
	Header      mail.Header
	ContentType string
	Text, HTML  string
}

func parseMIME(t *testing.T, raw []byte) parsed {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parsing message: %v\n%s", err, raw)
	}
	defer r.Close()
	p := parsed{Header: r.Header}
	p.ContentType, _, err = r.Header.ContentType()
	if err != nil {
		t.Fatalf("content type: %v", err)
	}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		h, ok := part.Header.(*mail.InlineHeader)
		if !ok {
			t.Fatalf("unexpected attachment part")
		}
		ct, _, err := h.ContentType()
		if err != nil {
			t.Fatalf("part content type: %v", err)
		}
		body, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatalf("reading %s part: %v", ct, err)
		}
		switch ct {
		case "text/plain":
			p.Text = string(body)
		case "text/html":
			p.HTML = string(body)
		default:
			t.Fatalf("unexpected part %s", ct)
		}
	}
	return p
}

func (p parsed) subject(t *testing.T) string {
	t.Helper()
	s, err := p.Header.Subject()
	if err != nil {
		t.Fatalf("subject: %v", err)
	}
	return s
}

func (p parsed) addresses(t *testing.T, key string) []string {
	t.Helper()
	l, err := p.Header.AddressList(key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	var out []string
	for _, a := range l {
		out = append(out, a.Address)
	}
	return out
}

// textLines splits a text part into lines without CR.
func textLines(s string) []string {
	return strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
}
