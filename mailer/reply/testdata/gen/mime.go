package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// encodeCharset turns UTF-8 text into the bytes of charset; it fails on a
// character the charset cannot hold, so no fixture silently loses one.
func encodeCharset(s, charset string) []byte {
	var cm *charmap.Charmap
	switch strings.ToLower(charset) {
	case "utf-8", "us-ascii":
		if strings.EqualFold(charset, "us-ascii") {
			for i := 0; i < len(s); i++ {
				if s[i] >= 0x80 {
					panic(fmt.Sprintf("us-ascii cannot hold %q", s))
				}
			}
		}
		return []byte(s)
	case "iso-8859-1":
		cm = charmap.ISO8859_1
	case "iso-8859-15":
		cm = charmap.ISO8859_15
	case "windows-1252":
		cm = charmap.Windows1252
	default:
		panic("charset " + charset)
	}
	var out []byte
	for _, r := range s {
		b, ok := cm.EncodeRune(r)
		if !ok {
			panic(fmt.Sprintf("%s cannot hold %q in %q", charset, r, s))
		}
		out = append(out, b)
	}
	return out
}

// crlf turns "\n" line ends into CRLF.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// encodeBody applies a Content-Transfer-Encoding to already charset-encoded
// bytes whose lines end in LF.
func encodeBody(b []byte, cte string) string {
	switch cte {
	case "quoted-printable":
		var buf bytes.Buffer
		w := quotedprintable.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return crlf(buf.String())
	case "base64":
		enc := base64.StdEncoding.EncodeToString([]byte(crlf(string(b))))
		var out strings.Builder
		for len(enc) > 76 {
			out.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		out.WriteString(enc + "\r\n")
		return out.String()
	case "7bit", "8bit", "":
		s := crlf(string(b))
		if !strings.HasSuffix(s, "\r\n") {
			s += "\r\n"
		}
		return s
	}
	panic("cte " + cte)
}

// encodeWord writes a header value as RFC 2047 encoded words when it is not
// ASCII, folded onto continuation lines like mail clients do.
func encodeWord(s, charset string, b bool) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return s
	}
	enc := mime.QEncoding
	if b {
		enc = mime.BEncoding
	}
	if !strings.EqualFold(charset, "utf-8") {
		// mime.WordEncoder only writes UTF-8; encode by hand for legacy charsets.
		raw := encodeCharset(s, charset)
		if b {
			return "=?" + charset + "?B?" + base64.StdEncoding.EncodeToString(raw) + "?="
		}
		var q strings.Builder
		for _, c := range raw {
			switch {
			case c == ' ':
				q.WriteByte('_')
			case c >= 0x80 || c == '=' || c == '?' || c == '_' || c < ' ' || strings.IndexByte("()<>@,;:\"/[]", c) >= 0:
				fmt.Fprintf(&q, "=%02X", c)
			default:
				q.WriteByte(c)
			}
		}
		return foldWords("=?" + charset + "?Q?" + q.String() + "?=")
	}
	w := enc.Encode(charset, s)
	return strings.ReplaceAll(w, "?= =?", "?=\r\n =?")
}

// foldWords splits one long Q-encoded word into several of at most 75
// characters, on continuation lines.
func foldWords(w string) string {
	if len(w) <= 75 {
		return w
	}
	i := strings.Index(w[2:], "?") + 2
	j := strings.Index(w[i+1:], "?") + i + 1
	prefix, text := w[:j+1], w[j+1:len(w)-2]
	var words []string
	for len(text) > 0 {
		n := 75 - len(prefix) - 2
		if n > len(text) {
			n = len(text)
		}
		for n > 0 && n < len(text) && (text[n-1] == '=' || n > 1 && text[n-2] == '=') {
			n-- // never split "=XX"
		}
		words = append(words, prefix+text[:n]+"?=")
		text = text[n:]
	}
	return strings.Join(words, "\r\n ")
}

// addr writes a display-name address, encoding the name when needed.
func addr(name, email, charset string, b bool) string {
	if name == "" {
		return email
	}
	enc := encodeWord(name, charset, b)
	if enc == name && strings.ContainsAny(name, ",.;:()'") {
		enc = `"` + name + `"`
	}
	return enc + " <" + email + ">"
}

// header is one header field, value already encoded and folded.
type header struct{ k, v string }

func writeHeaders(hs []header) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.k + ": " + h.v + "\r\n")
	}
	return b.String()
}

// part is one leaf MIME part.
type part struct {
	ctype   string // "text/plain; charset=utf-8"
	cte     string
	payload []byte // charset-encoded, LF line ends
	extra   []header
}

func (p part) render() string {
	hs := []header{{"Content-Type", p.ctype}}
	if p.cte != "" {
		hs = append(hs, header{"Content-Transfer-Encoding", p.cte})
	}
	hs = append(hs, p.extra...)
	return writeHeaders(hs) + "\r\n" + encodeBody(p.payload, p.cte)
}

// multipart joins rendered parts under boundary.
func multipart(boundary string, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString("--" + boundary + "\r\n" + p)
		if !strings.HasSuffix(p, "\r\n") {
			b.WriteString("\r\n")
		}
		b.WriteString("\r\n")
	}
	b.WriteString("--" + boundary + "--\r\n")
	return b.String()
}
