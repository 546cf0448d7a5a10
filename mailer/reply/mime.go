package reply

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset go-message knows, for bodies and headers
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
)

// view is a body rendered as lines twice: once preferring the text/plain
// alternative of each multipart/alternative, once preferring text/html.
type view struct {
	plain, rich []line
	hasText     bool // some text/plain or text/html part was read
}

// attachedMsg is a message/rfc822 part: a forwarded or attached message.
type attachedMsg struct {
	header message.Header
	body   view
}

// walker reads a MIME tree within the bounds on depth, parts and text.
type walker struct {
	budget   int // bytes of decoded text left to read
	parts    int
	attached []attachedMsg
}

// readEntity reads a message header leniently: an mbox "From " line is
// skipped, and a header go-message refuses is re-read field by field, keeping
// the fields that make sense. ok is false when no header field was found.
func readEntity(raw []byte) (*message.Entity, bool) {
	if bytes.HasPrefix(raw, []byte("From ")) {
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			raw = raw[i+1:]
		}
	}
	e, err := message.ReadWithOptions(bytes.NewReader(raw), &message.ReadOptions{MaxHeaderBytes: maxHeaderBytes})
	if e != nil && (err == nil || message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
		return e, e.Header.Len() > 0
	}
	h, body := lenientHeader(raw)
	if h.Len() == 0 {
		return nil, false
	}
	e, _ = message.New(message.Header{Header: h}, bytes.NewReader(body))
	return e, e != nil
}

// lenientHeader splits raw at the first empty line and keeps every
// well-formed "Key: value" field of the header, unfolded.
func lenientHeader(raw []byte) (textproto.Header, []byte) {
	var h textproto.Header
	end, body := len(raw), []byte(nil)
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		end, body = i, raw[i+2:]
	}
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 && i < end {
		end, body = i, raw[i+4:]
	}
	if end > maxHeaderBytes {
		end = maxHeaderBytes
	}
	var cur []byte
	add := func() {
		if c := bytes.IndexByte(cur, ':'); c > 0 && validKey(cur[:c]) {
			h.Add(string(bytes.TrimSpace(cur[:c])), string(bytes.TrimSpace(cur[c+1:])))
		}
		cur = cur[:0]
	}
	for _, l := range bytes.Split(raw[:end], []byte("\n")) {
		l = bytes.TrimRight(l, "\r")
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && len(cur) > 0 {
			cur = append(cur, ' ')
			cur = append(cur, bytes.TrimSpace(l)...)
			continue
		}
		add()
		cur = append(cur, l...)
	}
	add()
	return h, body
}

func validKey(k []byte) bool {
	k = bytes.TrimSpace(k)
	if len(k) == 0 || len(k) > 76 {
		return false
	}
	for _, c := range k {
		if c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}

// mediaType reads a Content-Type leniently: a type whose parameters do not
// parse is still the type it names.
func mediaType(h message.Header) (string, map[string]string) {
	t, params, err := h.ContentType()
	if err != nil {
		raw := h.Get("Content-Type")
		if i := strings.IndexByte(raw, ';'); i >= 0 {
			raw = raw[:i]
		}
		t = strings.ToLower(strings.TrimSpace(raw))
	}
	if t == "" {
		t = "text/plain"
	}
	return t, params
}

func isAttachment(h message.Header) bool {
	disp, _, _ := h.ContentDisposition()
	return strings.EqualFold(disp, "attachment")
}

// entity renders one MIME entity and what it contains.
func (w *walker) entity(e *message.Entity, depth int) view {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return view{}
	}
	t, _ := mediaType(e.Header)
	switch {
	case strings.HasPrefix(t, "multipart/"):
		mr := e.MultipartReader()
		if mr == nil {
			return view{}
		}
		var kids []view
		for w.parts < maxParts {
			p, err := mr.NextPart()
			if p == nil || err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
				break
			}
			kids = append(kids, w.entity(p, depth+1))
		}
		if t == "multipart/alternative" {
			return pickAlternative(kids)
		}
		return concatViews(kids)
	case t == "message/rfc822" || t == "message/global":
		if depth >= maxDepth {
			return view{}
		}
		raw, _ := io.ReadAll(io.LimitReader(e.Body, maxNestedBytes))
		if inner, ok := readEntity(raw); ok {
			body := w.entity(inner, depth+1)
			w.attached = append(w.attached, attachedMsg{header: inner.Header, body: body})
		}
		return view{}
	case isAttachment(e.Header):
		return view{}
	case t == "text/plain":
		ls := plainLines(w.read(e.Body))
		return view{plain: ls, rich: ls, hasText: true}
	case t == "text/html":
		ls := htmlLines(w.read(e.Body))
		return view{plain: ls, rich: ls, hasText: true}
	}
	return view{}
}

// read returns up to the remaining text budget of a decoded body. Bytes that
// are not UTF-8 (a mislabelled or missing charset) are read as windows-1252.
func (w *walker) read(body io.Reader) string {
	if w.budget <= 0 {
		return ""
	}
	b, err := io.ReadAll(io.LimitReader(body, int64(w.budget)))
	_ = err // a truncated or badly encoded body still yields what was decoded
	w.budget -= len(b)
	if !utf8.Valid(b) {
		if d, err := charmap.Windows1252.NewDecoder().Bytes(b); err == nil {
			return string(d)
		}
		return strings.ToValidUTF8(string(b), "")
	}
	return string(b)
}

// pickAlternative chooses among the parts of a multipart/alternative, which
// RFC 2046 orders from plainest to richest: the plain rendering takes the
// first part with text, the rich one the last.
func pickAlternative(kids []view) view {
	var out view
	for _, k := range kids {
		if k.hasText && hasContent(k.plain) {
			if out.plain == nil {
				out.plain = k.plain
			}
			out.rich = k.rich
			out.hasText = true
		}
	}
	return out
}

func hasContent(ls []line) bool {
	for _, l := range ls {
		if l.text != "" {
			return true
		}
	}
	return false
}

// concatViews joins the parts of multipart/mixed or related in order, as a
// client shows them one after the other.
func concatViews(kids []view) view {
	var out view
	for _, k := range kids {
		if !k.hasText {
			continue
		}
		if out.hasText {
			out.plain = append(out.plain, line{})
			out.rich = append(out.rich, line{})
		}
		out.plain = append(out.plain, k.plain...)
		out.rich = append(out.rich, k.rich...)
		out.hasText = true
	}
	return out
}
