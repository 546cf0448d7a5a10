package freshdesktest

import (
	"strconv"
	"strings"
)

// matcher reports whether a ticket satisfies a search query.
type matcher func(StoredTicket) bool

// parseQuery reads the inside of a search query, a subset of Freshdesk's
// language: terms tag:'x', tag:null, status:N, priority:N (with :> and :< for
// "at least" and "at most"), joined by AND and OR, AND binding tighter, with
// parentheses.
func parseQuery(q string) (matcher, *fieldError) {
	p := &queryParser{s: q}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, p.invalid("unexpected " + strconv.Quote(p.s[p.pos:]))
	}
	return m, nil
}

type queryParser struct {
	s   string
	pos int
}

func (p *queryParser) invalid(why string) *fieldError {
	return &fieldError{Field: "query", Message: "Invalid query: " + why, Code: "invalid_value"}
}

func (p *queryParser) space() {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
}

// keyword consumes AND or OR when it stands alone at the cursor.
func (p *queryParser) keyword(k string) bool {
	p.space()
	rest := p.s[p.pos:]
	if !strings.HasPrefix(rest, k) || (len(rest) > len(k) && rest[len(k)] != ' ' && rest[len(k)] != '(') {
		return false
	}
	p.pos += len(k)
	return true
}

func (p *queryParser) or() (matcher, *fieldError) {
	left, err := p.and()
	for err == nil && p.keyword("OR") {
		var right matcher
		if right, err = p.and(); err == nil {
			l := left
			left = func(t StoredTicket) bool { return l(t) || right(t) }
		}
	}
	if err != nil {
		return nil, err
	}
	return left, nil
}

func (p *queryParser) and() (matcher, *fieldError) {
	left, err := p.term()
	for err == nil && p.keyword("AND") {
		var right matcher
		if right, err = p.term(); err == nil {
			l := left
			left = func(t StoredTicket) bool { return l(t) && right(t) }
		}
	}
	if err != nil {
		return nil, err
	}
	return left, nil
}

func (p *queryParser) term() (matcher, *fieldError) {
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == '(' {
		p.pos++
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return nil, p.invalid("missing )")
		}
		p.pos++
		return m, nil
	}
	start := p.pos
	for p.pos < len(p.s) && (p.s[p.pos] == '_' || p.s[p.pos] >= 'a' && p.s[p.pos] <= 'z') {
		p.pos++
	}
	field := p.s[start:p.pos]
	if field == "" || p.pos >= len(p.s) || p.s[p.pos] != ':' {
		return nil, p.invalid("expected field:value at " + strconv.Itoa(start))
	}
	p.pos++
	op := byte(':')
	if p.pos < len(p.s) && (p.s[p.pos] == '>' || p.s[p.pos] == '<') {
		op = p.s[p.pos]
		p.pos++
	}
	switch field {
	case "tag":
		return p.tag(op)
	case "status":
		return p.number(op, func(t StoredTicket) int { return t.Status })
	case "priority":
		return p.number(op, func(t StoredTicket) int { return t.Priority })
	default:
		return nil, &fieldError{Field: field, Message: "Unexpected/invalid field in request", Code: "invalid_field"}
	}
}

func (p *queryParser) tag(op byte) (matcher, *fieldError) {
	if op != ':' {
		return nil, p.invalid("tag takes no :> or :<")
	}
	if strings.HasPrefix(p.s[p.pos:], "null") {
		p.pos += len("null")
		return func(t StoredTicket) bool { return len(t.Tags) == 0 }, nil
	}
	if p.pos >= len(p.s) || p.s[p.pos] != '\'' {
		return nil, p.invalid("tag value must be in single quotes")
	}
	end := strings.IndexByte(p.s[p.pos+1:], '\'')
	if end < 0 {
		return nil, p.invalid("unterminated string")
	}
	want := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return func(t StoredTicket) bool { return hasTag(t.Tags, want) }, nil
}

func (p *queryParser) number(op byte, get func(StoredTicket) int) (matcher, *fieldError) {
	start := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	n, err := strconv.Atoi(p.s[start:p.pos])
	if err != nil {
		return nil, p.invalid("expected a number at " + strconv.Itoa(start))
	}
	switch op {
	case '>':
		return func(t StoredTicket) bool { return get(t) >= n }, nil
	case '<':
		return func(t StoredTicket) bool { return get(t) <= n }, nil
	default:
		return func(t StoredTicket) bool { return get(t) == n }, nil
	}
}
