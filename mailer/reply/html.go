package reply

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Limits of the HTML walk: the open-element stack is bounded so that a flood
// of unclosed tags costs constant work per tag.
const (
	maxHTMLStack  = 512
	maxCloseSeek  = 64
	maxListNumber = 10000
)

// htmlElem is an open element and what it changed when it was opened.
type htmlElem struct {
	name    string
	quote   bool // raised the quoting level (blockquote, Gmail/Yahoo/… quote containers)
	skip    bool // its text is not shown (head, style, script…)
	pre     bool
	ordered bool // an <ol>
	list    bool // an <ol> or <ul>
	counter int  // next <li> number of an <ol>
}

// htmlConv renders HTML as lines: block elements and table rows become lines,
// cells are separated by a tab, quoted containers raise the quoting level, and
// signature containers are announced with a "-- " line.
type htmlConv struct {
	out      []line
	cur      []byte
	curDepth int
	space    bool // collapsed whitespace waiting to be written
	depth    int  // open quoting containers
	history  bool // an Outlook-style marker: everything after it is quoted history
	skip     int
	pre      int
	stack    []htmlElem
	size     int
}

// htmlLines renders an HTML body as lines; never more than about maxTextBytes of output.
func htmlLines(src string) []line {
	c := &htmlConv{}
	z := html.NewTokenizer(strings.NewReader(src))
	z.SetMaxBuf(maxTextBytes)
	for c.size < maxTextBytes {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			c.breakLine()
			return squeezeBlank(c.out)
		case html.TextToken:
			if c.skip == 0 {
				c.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			var cls, id string
			start := 1
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "class":
					cls = strings.ToLower(string(v))
				case "id":
					id = strings.ToLower(string(v))
				case "start":
					if n, err := strconv.Atoi(strings.TrimSpace(string(v))); err == nil && n > 0 && n < maxListNumber {
						start = n
					}
				}
			}
			c.start(string(name), cls, id, start, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			c.end(string(name))
		}
	}
	c.breakLine()
	return squeezeBlank(c.out)
}

func containsAny(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func (c *htmlConv) start(name, cls, id string, listStart int, selfClosing bool) {
	switch name {
	case "body":
		// A <head> left open must not hide the whole body.
		for i := len(c.stack) - 1; i >= 0; i-- {
			if c.stack[i].name == "head" {
				c.popTo(i)
				break
			}
		}
		return
	case "br":
		if len(c.cur) == 0 {
			c.emit("", c.effDepth())
		}
		c.breakLine()
		return
	case "td", "th":
		if len(c.cur) > 0 {
			c.cur = append(c.cur, '\t')
			c.space = false
		}
	}
	if id == "divrplyfwdmsg" || id == "x_divrplyfwdmsg" || id == "appendonsend" || id == "stopspelling" ||
		id == "olk_src_body_section" {
		c.breakLine()
		c.history = true
	}
	if blockElems[name] {
		c.breakLine()
	}
	sig := strings.Contains(cls, "gmail_signature") || strings.Contains(cls, "moz-signature") ||
		id == "signature" || id == "x_signature"
	if sig {
		c.breakLine()
		c.emit("-- ", c.effDepth())
	}
	if name == "li" {
		if l := c.nearestList(); l != nil && l.ordered {
			c.cur = append(c.cur, strconv.Itoa(l.counter)...)
			c.cur = append(c.cur, ". "...)
			c.curDepth = c.effDepth()
			if l.counter < maxListNumber {
				l.counter++
			}
		} else if l != nil {
			c.cur = append(c.cur, "- "...)
			c.curDepth = c.effDepth()
		}
	}
	if voidElems[name] || selfClosing || len(c.stack) >= maxHTMLStack {
		return
	}
	e := htmlElem{name: name}
	if name == "blockquote" || containsAny(cls, quoteClasses) || id == "mail-editor-reference-message-container" {
		e.quote = true
		c.depth++
	}
	if skipElems[name] {
		e.skip = true
		c.skip++
	}
	if name == "pre" {
		e.pre = true
		c.pre++
	}
	if name == "ol" || name == "ul" {
		e.list, e.ordered, e.counter = true, name == "ol", listStart
	}
	c.stack = append(c.stack, e)
}

func (c *htmlConv) nearestList() *htmlElem {
	for i := len(c.stack) - 1; i >= 0 && i >= len(c.stack)-maxCloseSeek; i-- {
		if c.stack[i].list {
			return &c.stack[i]
		}
	}
	return nil
}

func (c *htmlConv) end(name string) {
	if name == "br" {
		c.breakLine()
		return
	}
	for i := len(c.stack) - 1; i >= 0 && i >= len(c.stack)-maxCloseSeek; i-- {
		if c.stack[i].name == name {
			c.popTo(i)
			break
		}
	}
	if blockElems[name] {
		c.breakLine()
	}
	if paraElems[name] {
		c.emit("", c.effDepth())
	}
}

// popTo closes the element at index i and everything opened inside it.
func (c *htmlConv) popTo(i int) {
	for j := len(c.stack) - 1; j >= i; j-- {
		e := c.stack[j]
		if e.quote {
			c.breakLine()
			c.depth--
		}
		if e.skip {
			c.skip--
		}
		if e.pre {
			c.pre--
		}
	}
	c.stack = c.stack[:i]
}
