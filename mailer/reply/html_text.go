package reply

import (
	"bytes"
	"strings"
)

// Writing text into the lines being rendered.

func (c *htmlConv) effDepth() int {
	if c.history {
		return c.depth + 1
	}
	return c.depth
}

func (c *htmlConv) text(b []byte) {
	if c.pre > 0 {
		for {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				c.write(b)
				return
			}
			c.write(b[:i])
			c.breakLine()
			b = b[i+1:]
		}
	}
	for _, ch := range b {
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' {
			c.space = true
			continue
		}
		if c.space && len(c.cur) > 0 {
			c.cur = append(c.cur, ' ')
		}
		c.space = false
		c.write1(ch)
	}
}

func (c *htmlConv) write(b []byte) {
	for _, ch := range b {
		c.write1(ch)
	}
}

func (c *htmlConv) write1(ch byte) {
	if len(c.cur) == 0 {
		c.curDepth = c.effDepth()
	}
	c.cur = append(c.cur, ch)
}

func (c *htmlConv) breakLine() {
	c.space = false
	if len(c.cur) == 0 {
		return
	}
	c.emit(strings.TrimRight(cleanLine(string(c.cur)), " \t"), c.curDepth)
	c.cur = c.cur[:0]
}

func (c *htmlConv) emit(text string, depth int) {
	c.size += len(text) + 1
	c.out = append(c.out, line{text: strings.TrimLeft(text, " "), depth: depth})
}
