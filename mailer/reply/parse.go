package reply

import (
	"strings"

	"github.com/emersion/go-message"
)

// parse is Parse without the recover, so that fuzzing sees every panic.
func parse(raw []byte) Reply {
	var r Reply
	r.Problems = []string{}
	e, ok := readEntity(raw)
	if !ok {
		r.Problems = append([]string{ProblemUnreadable}, fieldProblems(fields{})...)
		return r
	}
	r.Header = readHeader(e.Header)
	t, params := mediaType(e.Header)
	switch detectAuto(e.Header, r.Header, t, strings.ToLower(params["report-type"])) {
	case bounce:
		r.AutoReply, r.Bounce = true, true
		r.Problems = []string{ProblemBounce}
		return r
	case autoReply:
		r.AutoReply = true
		r.Problems = []string{ProblemAutoReply}
		return r
	}
	r.RequestRef = requestRef(r.Header)

	w := &walker{budget: maxTextBytes}
	v := w.entity(e, 0)
	own := make([]line, len(v.plain))
	copy(own, v.plain)
	mine := cutSignature(cutHistory(own))
	r.Declines, r.Affirms = declines(mine), affirms(mine)
	rc := readCtx{forwarded: isForwardSubject(r.Header.Subject), ourDomains: recipientDomains(r.Header)}
	res := readView(v, rc)
	if res.score == 0 {
		// Nothing from the sender's own text: a colleague may have forwarded
		// the customer's answer as an attachment. Our own confirmation,
		// attached back to us, is not an answer.
		for _, a := range w.attached {
			if isOurMessage(a.header) {
				continue
			}
			arc := readCtx{forwarded: isForwardSubject(decodeField(a.header.Get("Subject"))), ourDomains: rc.ourDomains}
			if ar := readView(a.body, arc); ar.score > 0 {
				res = ar
				break
			}
		}
	}
	var general []string
	if !v.hasText && res.score == 0 {
		general = append(general, ProblemNoTextBody)
	}
	f := res.fields
	r.RootEmail, r.Nickname, r.SupportType = f.root, f.nick, f.support
	r.Complete = f.root != nil && f.nick != nil && f.support != nil
	r.RoleARN = res.arn
	r.Problems = append(general, fieldProblems(f)...)
	if r.Problems == nil {
		r.Problems = []string{}
	}
	return r
}

// viewResult is what one rendering of a body yields.
type viewResult struct {
	fields fields
	arn    string
	score  int // fields about which the text said anything, valid or not
}

// readView reads the plain rendering and, when an HTML alternative exists,
// the rich one too, keeping whichever says more (plain on a tie: it is what
// the sender's client wrote as text).
func readView(v view, rc readCtx) viewResult {
	res := readLines(v.plain, rc)
	if res.score == 3 || sameLines(v.plain, v.rich) {
		return res
	}
	if rich := readLines(v.rich, rc); rich.score > res.score {
		return rich
	}
	return res
}

func sameLines(a, b []line) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// readLines reads one rendering of a body (on a copy: reading marks lines).
func readLines(src []line, rc readCtx) viewResult {
	ls := make([]line, len(src))
	copy(ls, src)
	return readMessage(ls, rc, 0)
}

// isOurMessage recognises our own confirmation (or any mail we sent):
// automatic, and titled like the confirmation rather than a reply to it.
func isOurMessage(h message.Header) bool {
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && v != "no" {
		return true
	}
	return strings.HasPrefix(fold(strings.TrimSpace(decodeField(h.Get("Subject")))), "customer account provision request")
}
