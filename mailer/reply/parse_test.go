package reply

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestJSONHasExactlyTheSevenKeys(t *testing.T) {
	for _, r := range []Reply{{}, Parse(nil), Parse([]byte("From: a@b.example\r\n\r\nRoot email: x@y.example\r\n"))} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		want := []string{"root_email", "nickname", "support_type", "request_ref", "auto_reply", "complete", "problems"}
		if len(m) != len(want) {
			t.Errorf("keys of %s: want exactly %v", b, want)
		}
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Errorf("%s lacks %q", b, k)
			}
		}
		if p, ok := m["problems"].([]any); !ok || p == nil {
			t.Errorf("problems not a JSON array in %s", b)
		}
	}
	b, _ := json.Marshal(Reply{})
	if !bytes.Contains(b, []byte(`"problems":[]`)) {
		t.Errorf("nil problems marshal as %s", b)
	}
}

// TestRenderingsAgree: where a message has both text/plain and text/html, each
// rendering on its own yields the same extraction, so the HTML reader is
// exercised on every multipart/alternative of the corpora too.
func TestRenderingsAgree(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(ownCorpus, "*.eml"))
	examples, _ := filepath.Glob(filepath.Join(examplesCorpus, "*.eml"))
	n := 0
	for _, path := range append(files, examples...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		e, ok := readEntity(raw)
		if !ok {
			continue
		}
		w := &walker{budget: maxTextBytes}
		v := w.entity(e, 0)
		if sameLines(v.plain, v.rich) {
			continue
		}
		h := readHeader(e.Header)
		rc := readCtx{forwarded: isForwardSubject(h.Subject), ourDomains: recipientDomains(h)}
		n++
		p, r := readLines(v.plain, rc), readLines(v.rich, rc)
		if !sameFields(p.fields, r.fields) {
			t.Errorf("%s: plain %s, html %s", filepath.Base(path), showFields(p.fields), showFields(r.fields))
		}
	}
	if n < 8 {
		t.Errorf("only %d messages with both renderings", n)
	}
}

func sameFields(a, b fields) bool {
	eq := func(x, y *string) bool { return x == nil && y == nil || x != nil && y != nil && *x == *y }
	return eq(a.root, b.root) && eq(a.nick, b.nick) && eq(a.support, b.support) &&
		a.rootProblem == b.rootProblem && a.nickProblem == b.nickProblem && a.supportProblem == b.supportProblem
}

func showFields(f fields) string {
	s := func(p *string) string {
		if p == nil {
			return "null"
		}
		return *p
	}
	return s(f.root) + "|" + s(f.nick) + "|" + s(f.support) + "|" + f.rootProblem + f.nickProblem + f.supportProblem
}

func TestRoleARN(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(ownCorpus, "52-role-arn-follow-up.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := Parse(raw).RoleARN; got != "arn:aws:iam::210987654321:role/MeridianBillingAccess" {
		t.Errorf("RoleARN = %q", got)
	}
	for in, want := range map[string]string{
		"Role ARN: arn:aws:iam::123456789012:role/ops/Billing.":                 "arn:aws:iam::123456789012:role/ops/Billing",
		"arn:aws-us-gov:iam::123456789012:role/X":                               "arn:aws-us-gov:iam::123456789012:role/X",
		"arn:aws:iam::12345678901:role/X":                                       "",
		"arn:aws:iam::123456789012:user/X":                                      "",
		"arn:aws:iam::123456789012:role/A and arn:aws:iam::123456789012:role/B": "",
		"arn:aws:iam::123456789012:role/":                                       "",
	} {
		if got := roleARN([]line{{text: in}}); got != want {
			t.Errorf("roleARN(%q) = %q, want %q", in, got, want)
		}
	}
	if got := roleARN([]line{{text: "arn:aws:iam::123456789012:role/X", depth: 1}}); got != "" {
		t.Errorf("ARN taken from a quoted line: %q", got)
	}
}

// TestHostileShapes: nesting, part floods, huge bodies and garbage are
// answered within bounds, without a panic. How fast is
// BenchmarkHostileShapes' business: no timed assertions here.
func TestHostileShapes(t *testing.T) {
	for name, in := range hostileShapes() {
		t.Run(name, func(t *testing.T) { checkInvariants(t, parse([]byte(in))) })
	}
	if r := Parse([]byte("From someone@x Mon Jan  1 00:00:00 2026\nFrom: a@b.example\n\nRoot email: mbox@x.example\n")); r.RootEmail == nil {
		t.Errorf("mbox From_ line: %+v", r.Extraction)
	}
	if r := Parse([]byte("\r\n\r\nRoot email: a@b.example")); !hasProblem(r, ProblemUnreadable) {
		t.Errorf("headerless input: %+v", r.Extraction)
	}
}

// BenchmarkHostileShapes times each hostile shape: a shape that parses in
// more than linear time shows here (go test -run '^$' -bench Hostile).
func BenchmarkHostileShapes(b *testing.B) {
	for name, in := range hostileShapes() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for range b.N {
				parse([]byte(in))
			}
		})
	}
}

func hostileShapes() map[string]string {
	var deep strings.Builder
	deep.WriteString("From: a@b.example\r\n")
	for i := 0; i < 200; i++ {
		deep.WriteString("Content-Type: multipart/mixed; boundary=b" + itoa(i) + "\r\n\r\n--b" + itoa(i) + "\r\n")
	}
	deep.WriteString("Content-Type: text/plain\r\n\r\nRoot email: deep@x.example\r\n")

	var flood strings.Builder
	flood.WriteString("From: a@b.example\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n")
	for i := 0; i < 5000; i++ {
		flood.WriteString("--z\r\nContent-Type: text/plain\r\n\r\nSupport type: Business\r\n")
	}
	flood.WriteString("--z--\r\n")

	var nested strings.Builder
	for i := 0; i < 50; i++ {
		nested.WriteString("From: a@b.example\r\nContent-Type: message/rfc822\r\n\r\n")
	}
	nested.WriteString("From: c@d.example\r\n\r\nRoot email: nested@x.example\r\n")

	big := "From: a@b.example\r\nContent-Type: text/html\r\n\r\n" + strings.Repeat("<div><blockquote><p>Root email: x@y.example ", 200000)
	long := "From: a@b.example\r\n\r\n" + strings.Repeat("Thanks, ", 300000) + strings.Repeat("a@", 200000)
	unclosed := "From: a@b.example\r\nContent-Type: text/html\r\n\r\n" + strings.Repeat("<ol><li>", 100000)
	headerFlood := strings.Repeat("To: x"+strings.Repeat("+a", 100)+"@y.example\r\n", 3000) + "\r\nhi"
	plain := "From: a@b.example\r\n\r\n"
	htmlHdr := "From: a@b.example\r\nContent-Type: text/html\r\n\r\n"

	return map[string]string{
		"deep multipart": deep.String(), "part flood": flood.String(), "nested rfc822": nested.String(),
		"big html": big, "long line": long, "unclosed lists": unclosed, "header flood": headerFlood,
		"empty": "", "garbage": "\x00\xff\xfe<<<>>>\r\n\r\n", "no header": "\r\n\r\nRoot email: a@b.example",
		"mbox line":         "From someone@x Mon Jan  1 00:00:00 2026\nFrom: a@b.example\n\nRoot email: mbox@x.example\n",
		"label flood":       plain + strings.Repeat(",root email:", 90000),
		"tab flood":         plain + strings.Repeat("support\t", 130000),
		"at-sign flood":     plain + strings.Repeat("a@b.c ", 170000),
		"spelled flood":     plain + "Root email: " + strings.Repeat("x at y ", 150000),
		"prose flood":       plain + strings.Repeat("call it the root support business developer, ", 20000),
		"valediction flood": plain + strings.Repeat("Thanks,\n> Root email:\n1. x\n", 30000),
		"quote flood":       plain + strings.Repeat(">", 1000000),
		"container flood":   htmlHdr + strings.Repeat("<blockquote><div class=gmail_signature><td>x", 25000),
		"closing flood":     plain + strings.Repeat("Thanks,\n", 100000) + "Root email: a@b.example\n",
		"forward nesting": "From: a@b.example\r\nSubject: Fwd: x\r\n\r\n" +
			strings.Repeat("---------- Forwarded message ---------\nFrom: a <a@b.example>\nSubject: Fwd: x\n\nhi\n", 20000),
		"quoted attributions": plain + strings.Repeat("> Am 25.11.2026 um 10:15 schrieb X <x@y.example>:\n", 50000),
		"trigger sentences":   plain + strings.Repeat("als namen bitte el alias será o apelido é noem het ", 20000),
		"numbered one line":   plain + strings.Repeat("1. a 2. b 3. c ", 60000),
		"our email flood": "From: a@b.example\r\nSubject: Fwd: x\r\n\r\nOn Mon, 1 Jan 2026 X wrote:\n" +
			strings.Repeat("> 1. A new root email address\n> x@y.example\n> Root email:\n", 30000),
	}
}

func TestImageOnlyMessage(t *testing.T) {
	if r := Parse([]byte("From: a@b.example\r\nContent-Type: image/png\r\n\r\nxx")); !hasProblem(r, ProblemNoTextBody) {
		t.Errorf("image-only message: %+v", r.Extraction)
	}
}

func hasProblem(r Reply, p string) bool {
	for _, x := range r.Problems {
		if x == p {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	return strings.TrimLeft(string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}), "0") + "x"
}

// A refusal above the quoted original is a refusal, in any language; a
// plain yes, or a no inside the quote, is not.
func TestDeclines(t *testing.T) {
	quoted := "\r\n\r\nOn Mon, 1 Dec 2026, Account Provisioning wrote:\r\n> If you did not send it, ignore this email.\r\n> No, nothing changes.\r\n"
	for body, want := range map[string]bool{
		"No, that was not me!":          true,
		"Nein, das war ich nicht.":      true,
		"Non, ce n'est pas moi.":        true,
		"That wasn't me.":               true,
		"I did not send this":           true,
		"Yes, confirmed.":               false,
		"Confirmed, thanks":             false,
		"Ja, bestätigt.":                false,
		"Sí, confirmo.\r\nSupport: dev": false,
	} {
		r := Parse([]byte("From: a@b.example\r\nSubject: Re: Please confirm\r\n\r\n" + body + quoted))
		if r.Declines != want {
			t.Errorf("%q: declines %v", body, r.Declines)
		}
	}
}

// Only a yes confirms a held reply: a refusal, a question, a no in other
// words or nothing at all does not.
func TestAffirms(t *testing.T) {
	quoted := "\r\n\r\nOn Mon, 1 Dec 2026, Account Provisioning wrote:\r\n> Reply yes to confirm.\r\n"
	for body, want := range map[string]bool{
		"Yes, that was me.":                   true,
		"Confirmed, thanks":                   true,
		"Ja, bestätigt.":                      true,
		"Sí, confirmo.":                       true,
		"Sim, fui eu.":                        true,
		"Oui, c'est moi.":                     true,
		"OK":                                  true,
		"Confermato.":                         true,
		"Bevestigd, dank u":                   true,
		"Bestätigt":                           true,
		"Confirmé":                            true,
		"I never sent this.":                  false,
		"Yo no envié esto.":                   false,
		"Ich habe das nie geschickt.":         false,
		"Who sent this? I don't recognise it": false,
		"Yes, but I did not send it":          false,
		"No.":                                 false,
		"":                                    false,
	} {
		r := Parse([]byte("From: a@b.example\r\nSubject: Re: Please confirm\r\n\r\n" + body + quoted))
		if r.Affirms != want {
			t.Errorf("%q: affirms %v", body, r.Affirms)
		}
	}
}
