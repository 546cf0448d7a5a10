package reply

import (
	"fmt"
	"strings"
	"testing"
)

func renderLines(ls []line) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%d|%s\n", l.depth, l.text)
	}
	return b.String()
}

func TestHTMLLines(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"blocks and entities", `<div>Root email:&nbsp;<a href="mailto:a@b.example">a@b.example</a></div><div>R&amp;D</div>`,
			"0|Root email: a@b.example\n0|R&D\n"},
		{"table cells", `<table><tr><td>Root email</td><td>a@b.example</td></tr></table>`,
			"0|Root email\ta@b.example\n0|\n"},
		{"ordered list", `<ol start="2"><li>x</li><li>y</li></ol>`, "0|2. x\n0|3. y\n0|\n"},
		{"blockquote", `<p>top</p><blockquote type="cite"><p>quoted<br>lines</p></blockquote>after`,
			"0|top\n0|\n1|quoted\n1|lines\n1|\n0|after\n"},
		{"outlook history", `<p>mine</p><div id="divRplyFwdMsg"><b>From:</b> x</div><p>theirs</p>`,
			"0|mine\n0|\n1|From: x\n1|theirs\n1|\n"},
		{"signature container", `<p>mine</p><div class="gmail_signature">Jo<br>jo@x.example</div>`,
			"0|mine\n0|\n0|-- \n0|Jo\n0|jo@x.example\n"},
		{"head, style, script skipped", `<head><title>t</title><style>p{}</style></head><body><script>x()</script>text</body>`,
			"0|text\n"},
		{"unclosed head", `<html><head><meta charset=utf-8><body>text`, "0|text\n"},
		{"pre keeps lines", "<pre>a\n  b</pre>", "0|a\n0|b\n0|\n"},
		{"whitespace collapses", "<p>a\n   b\t c</p>", "0|a b c\n0|\n"},
	} {
		if got := renderLines(htmlLines(c.in)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestPlainLines(t *testing.T) {
	in := "a\r\n> b\r\n>> c\r\n> > d\r\n   > e\r\n\r\n\r\n\r\n>\r\nzero\u200bwidth\u00a0nbsp  \r\n"
	want := "0|a\n1|b\n2|c\n2|d\n1|e\n0|\n0|zerowidth nbsp\n"
	if got := renderLines(plainLines(in)); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCutHistoryAndSignature(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"attribution before quote is quoted", "x\nOn Mon, A wrote:\n> q\ny\n", "0|x\n1|On Mon, A wrote:\n1|q\n0|y\n"},
		{"attribution without quote cuts", "x\nLe 25 nov., A a écrit :\nq\n", "0|x\n"},
		{"wrapped gmail attribution", "x\nOn Wed, Nov 25, 2026 at 10:41 AM A <\na@b.example> wrote:\n\n> q\n", "0|x\n1|On Wed, Nov 25, 2026 at 10:41 AM A <\n1|a@b.example> wrote:\n0|\n1|q\n"},
		{"original message", "x\n-----Original Message-----\ny\n", "0|x\n"},
		{"outlook block", "x\nFrom: A\nSent: B\nTo: C\nSubject: D\ny\n", "0|x\n"},
		{"french outlook block", "x\nDe : A\nEnvoyé : B\nÀ : C\nObjet : D\ny\n", "0|x\n"},
		{"lone From line is text", "From: the customer\nRoot email: a@b.example\n", "0|From: the customer\n0|Root email: a@b.example\n"},
		{"sig separator", "x\n-- \nJo\n", "0|x\n"},
		{"mobile footer", "x\nSent from my iPhone\n", "0|x\n"},
		{"valediction", "x\nThanks,\nJo\njo@x.example\n", "0|x\n"},
		{"valediction then answers", "Thanks!\n\nRoot email: a@b.example\n", "0|Thanks!\n0|\n0|Root email: a@b.example\n"},
		{"not a valediction", "Thanks for the quick turnaround, here it is:\n", "0|Thanks for the quick turnaround, here it is:\n"},
	} {
		ls := cutSignature(cutHistory(plainLines(c.in)))
		if got := renderLines(ls); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}
