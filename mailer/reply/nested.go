package reply

import "strings"

// maxNesting bounds how many messages down a reply is read: a reseller
// forwarding a customer who answered inside our forwarded email is three.
const maxNesting = 4

// readMessage reads one message's lines: the sender's own text first; when
// it leaves a field unsaid, the message below it may still hold the answer.
//
//   - Our own email, quoted: the sender typed answers into it, after our
//     numbered questions or our empty "Root email:" lines (Outlook, often in
//     colour). Only such lines are read there, so none of our own text (its
//     questions, its "Account name:" line, its signature) becomes an answer.
//   - Someone else's message, when it is forwarded (a "Forwarded message"
//     line, or a forward's subject: Fwd, WG, RV, TR, I, ENC…): the reseller
//     passes on their customer's answer. It is read as a whole message,
//     with its own history below it.
//
// What the sender wrote wins over what lies below, field by field.
func readMessage(ls []line, rc readCtx, level int) viewResult {
	own := cutSignature(cutHistory(ls))
	tiers := scanLines(own)
	f := resolve(&tiers)
	res := viewResult{fields: f, arn: roleARN(own)}
	res.score = saidCount(f)
	if res.score == 3 || level >= maxNesting {
		return res
	}
	m, ok := nextMessage(ls, rc.ourDomains)
	if !ok {
		return res
	}
	var inner viewResult
	switch {
	case m.ours:
		inner = inlineAnswers(m.body)
	case rc.forwarded || m.forward:
		inner = readMessage(m.body, readCtx{forwarded: isForwardSubject(m.subject), ourDomains: rc.ourDomains}, level+1)
	default:
		return res
	}
	return mergeResults(res, inner)
}

// saidCount counts the fields about which the text said anything, valid or not.
func saidCount(f fields) int {
	n := 0
	for _, p := range []string{f.rootProblem, f.nickProblem, f.supportProblem} {
		if p == "" || !strings.HasSuffix(p, "_missing") {
			n++
		}
	}
	return n
}

// mergeResults fills the fields the outer message left unsaid from the inner one.
func mergeResults(outer, inner viewResult) viewResult {
	f := outer.fields
	if strings.HasSuffix(f.rootProblem, "_missing") {
		f.root, f.rootProblem = inner.fields.root, inner.fields.rootProblem
	}
	if strings.HasSuffix(f.nickProblem, "_missing") {
		f.nick, f.nickProblem = inner.fields.nick, inner.fields.nickProblem
	}
	if strings.HasSuffix(f.supportProblem, "_missing") {
		f.support, f.supportProblem = inner.fields.support, inner.fields.supportProblem
	}
	arn := outer.arn
	if arn == "" {
		arn = inner.arn
	}
	return viewResult{fields: f, arn: arn, score: saidCount(f)}
}

// readCtx is what reading a message's lines needs from its header.
type readCtx struct {
	forwarded  bool     // the message was sent as a forward
	ourDomains []string // domains of the addresses it was sent to: ours
}

// nestedMsg is the message found below a reply's own text.
type nestedMsg struct {
	body    []line // its lines, re-based so that its own text is at depth 0
	subject string // from its header block, "" when it had none
	forward bool   // introduced by a forwarded-message line
	ours    bool   // our own email
}

// nextMessage finds the first message quoted or forwarded in ls: after a
// separator line, at a header block, or after an attribution line, at any
// quoting depth (Outlook on the web and Gmail quote inside containers).
func nextMessage(ls []line, ourDomains []string) (nestedMsg, bool) {
	for i := 0; i < len(ls); i++ {
		t := ls[i].text
		if t == "" {
			continue
		}
		start, fwd := -1, false
		if k := separatorKind(t); k != notSeparator {
			start, fwd = i+1, k == forwardSeparator
		} else if isHeaderBlock(ls, i) {
			start = i
		} else if end, ok := attribution(ls, i); ok {
			start = end + 1
		}
		if start < 0 {
			continue
		}
		body, subject, from := skipHeaderBlock(ls[start:])
		body = rebase(body)
		m := nestedMsg{body: body, subject: subject, forward: fwd}
		m.ours = fromOurDomain(from, ourDomains) || isOurs(subject, body)
		return m, true
	}
	return nestedMsg{}, false
}

// skipHeaderBlock skips the "From:/Sent:/To:/Subject:" lines at the top of a
// quoted or forwarded message and returns what follows, its subject and its
// From line's value.
func skipHeaderBlock(ls []line) ([]line, string, string) {
	i := nextNonBlank(ls, 0)
	if i < 0 {
		return nil, "", ""
	}
	depth, subject, from := ls[i].depth, "", ""
	inHeader := false
	for ; i < len(ls); i++ {
		l := ls[i]
		if l.depth != depth {
			break
		}
		if l.text == "" {
			if inHeader {
				i++
			}
			break
		}
		name := headerName(l.text)
		switch {
		case lex.fromNames[name] || lex.headerNames[name]:
			inHeader = true
			value := strings.TrimSpace(l.text[strings.IndexByte(l.text, ':')+1:])
			if lex.subjectNames[name] {
				subject = value
			}
			if lex.fromNames[name] && from == "" {
				from = value
			}
			continue
		case inHeader && (l.text[0] == ' ' || l.text[0] == '\t'):
			continue // a folded header value
		}
		break
	}
	return ls[min(i, len(ls)):], subject, from
}

// fromOurDomain: the quoted message's From address is in a domain the reply
// was sent to, that is ours: our clarification ("Re: …") forwarded back is
// still our email, whatever its subject says.
func fromOurDomain(from string, ours []string) bool {
	if from == "" || len(ours) == 0 {
		return false
	}
	for _, a := range scanAddresses(from) {
		d := strings.ToLower(a.addr[strings.LastIndexByte(a.addr, '@')+1:])
		for _, o := range ours {
			if sameOrgDomain(d, o) {
				return true
			}
		}
	}
	return false
}

// sameOrgDomain: equal, or one a subdomain of the other ("mail.x.example"
// and "x.example").
func sameOrgDomain(a, b string) bool {
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// recipientDomains are the domains a reply was sent to, but the sender's
// own: a colleague in copy is not us.
func recipientDomains(h Header) []string {
	own := h.From[strings.LastIndexByte(h.From, '@')+1:]
	var out []string
	for _, r := range h.Recipients {
		if at := strings.LastIndexByte(r, '@'); at >= 0 && at+1 < len(r) && !sameOrgDomain(r[at+1:], own) {
			out = appendUnique(out, r[at+1:])
		}
	}
	return out
}

// rebase lowers the quoting of a nested message so that its own text is at
// depth 0, and ends it where the text returns to a shallower depth (what
// follows a quote container is not part of the quoted message).
func rebase(ls []line) []line {
	i := nextNonBlank(ls, 0)
	if i < 0 {
		return nil
	}
	base := ls[i].depth
	out := make([]line, 0, len(ls)-i)
	for _, l := range ls[i:] {
		if l.text != "" && l.depth < base {
			break
		}
		out = append(out, line{text: l.text, depth: max(0, l.depth-base)})
	}
	return out
}

// isOurs recognises our own email below a reply: by its subject (ours carry
// the [request id] tag and are no reply or forward), or by what its own text
// says, above any history of its own: one of the sentences only our emails
// contain (lang/*.json, our_phrases), our three empty lines to fill in, or our
// question listing the support types.
func isOurs(subject string, body []line) bool {
	if subject != "" {
		rest, reply, fwd := stripSubjectPrefixes(subject)
		if !reply && !fwd && subjectTag(rest) != "" {
			return true
		}
	}
	own := make([]line, len(body))
	copy(own, body)
	own = cutHistory(own)
	empty := [4]bool{}
	for _, l := range own {
		if l.depth != 0 || l.text == "" {
			continue
		}
		if hasOurPhrase(l.text) {
			return true
		}
		if n, rest, ok := numbered(l.text); ok && itemField(n) == fSupport {
			if types, _ := supportTypes(rest); len(types) >= 3 {
				return true
			}
		}
		if labs := parseLabels(l.text); len(labs) == 1 && labs[0].value == "" {
			empty[labs[0].field] = true
		}
	}
	return empty[fRoot] && empty[fNick] && empty[fSupport]
}

func hasOurPhrase(text string) bool {
	if len(text) < 12 {
		return false
	}
	f := strings.Join(strings.Fields(fold(text)), " ")
	for _, p := range lex.ourPhrases {
		if strings.Contains(f, p) {
			return true
		}
	}
	return false
}

// stripSubjectPrefixes removes the "RE:", "AW:", "Fwd:", "TR :", "[EXT]"…
// a subject collected on its way and says whether the outermost was a reply
// or a forward.
func stripSubjectPrefixes(subject string) (rest string, reply, forward bool) {
	s := strings.TrimSpace(subject)
	first := true
	for n := 0; n < 10; n++ {
		if strings.HasPrefix(s, "[") {
			if j := strings.IndexByte(s, ']'); j > 0 && gatewayTags[strings.ToLower(strings.TrimSpace(s[1:j]))] {
				s = strings.TrimSpace(s[j+1:])
				continue
			}
		}
		c := strings.IndexByte(s, ':')
		if c <= 0 || c > 12 {
			break
		}
		p := fold(strings.TrimSpace(s[:c]))
		if i := strings.IndexByte(p, '['); i > 0 { // "Re[2]"
			p = p[:i]
		}
		isReply, isFwd := lex.replyPrefixes[p], lex.forwardPrefixes[p]
		if !isReply && !isFwd {
			break
		}
		if first {
			reply, forward, first = isReply && !isFwd, isFwd, false
		}
		s = strings.TrimSpace(s[c+1:])
	}
	return s, reply, forward
}

// isForwardSubject: the message was sent as a forward ("Fwd:", "WG:", "RV:",
// "TR :", "I:", "ENC:", "Doorst:").
func isForwardSubject(subject string) bool {
	_, _, fwd := stripSubjectPrefixes(subject)
	return fwd
}

// inlineAnswers reads the answers a sender typed into our quoted email: the
// line after one of our numbered questions (and its wrapped continuation),
// or after one of our empty fill-in lines, when it fits the question.
// Nothing else of our text is read, and the message ends at its own history.
func inlineAnswers(ls []line) viewResult {
	var tiers [numTiers]candidates
	ctx := fNone
	prev := ""
	for i, l := range ls {
		if l.text == "" {
			continue
		}
		if l.depth != 0 {
			ctx = fNone
			continue
		}
		t := l.text
		if i > 0 && (separatorKind(t) != notSeparator || isHeaderBlock(ls, i)) {
			break
		}
		if _, ok := attribution(ls, i); ok {
			break
		}
		if n, rest, ok := numbered(t); ok {
			ctx, prev = questionField(n, rest), t
			continue
		}
		if ctx != fNone && isContinuation(t, prev) {
			prev = t
			continue
		}
		prev = t
		if labs := parseLabels(t); len(labs) > 0 {
			ctx = fNone
			if len(labs) == 1 && labs[0].value == "" {
				ctx = labs[0].field
			}
			continue
		}
		if ctx != fNone && inlinePlausible(ctx, t) {
			tiers[tierLabel].add(ctx, cleanValue(t))
		}
		ctx = fNone
	}
	f := resolve(&tiers)
	return viewResult{fields: f, score: saidCount(f)}
}

// questionField: item n of our list asks for field n; the item must name it
// ("A new root email address", "Der Kontoname", "Il tipo di supporto"), so a
// numbered step of another email of ours is no question.
func questionField(n int, text string) field {
	f := itemField(n)
	if f == fNone || !lex.fields[f].mentions(joinEmail(words(fold(text)))) {
		return fNone
	}
	return f
}

// isContinuation: the line carries on the question above it — indented, as
// our plain-text emails wrap list items, or after a long line that did not
// end a sentence.
func isContinuation(t, prev string) bool {
	if t[0] == ' ' || t[0] == '\t' {
		return true
	}
	p := strings.TrimSpace(prev)
	return len(p) >= 60 && !strings.ContainsAny(p[len(p)-1:], ".:?!)")
}

// inlinePlausible is stricter than plausible: the line sits in our text, so
// it must look like an answer and like nothing we write.
func inlinePlausible(f field, v string) bool {
	v = strings.TrimSpace(v)
	if isQuestion(v) || isValediction(fold(v)) {
		return false
	}
	switch f {
	case fRoot:
		return strings.Contains(v, "@") || spelledOut(fold(v))
	case fSupport:
		types, _ := supportTypes(v)
		return len(types) > 0 && len(strings.Fields(v)) <= 6
	case fNick:
		n := len(strings.Fields(v))
		return plausible(fNick, v) && !strings.Contains(v, "@") && !(strings.HasSuffix(v, ".") && n > 3)
	}
	return false
}
