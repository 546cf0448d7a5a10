package reply

import "strings"

// stripBullet removes list markers and emphasis in front of a line.
func stripBullet(s string) string {
	s = strings.TrimSpace(s)
	for {
		t := strings.TrimLeft(s, "-*•·–>#+ \t")
		if n, rest, ok := numbered(t); ok && n >= 1 {
			t = rest
		}
		if t == s {
			return s
		}
		s = t
	}
}

// cleanValue trims what surrounds a value: spaces, separators repeated by
// the sender ("Root email:: x", "Nickname: - y"), emphasis, and the
// "<mailto:…>"/"<http…>" Outlook appends to links in its text version.
func cleanValue(v string) string {
	v = stripLinkTargets(v)
	v = strings.TrimLeft(v, " \t:=*-")
	v = strings.TrimRight(v, " \t,;|*")
	return strings.TrimSpace(v)
}

// stripLinkTargets removes "<mailto:…>" and "<http…>" link targets.
func stripLinkTargets(v string) string {
	for {
		i := strings.Index(v, "<mailto:")
		if i < 0 {
			i = strings.Index(v, "<http")
		}
		if i < 0 {
			return v
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return v[:i]
		}
		v = v[:i] + v[i+j+1:]
	}
}

// numbered reads a list item number 1–99 at the start of a line: "1. x",
// "2) x", "#3: x", "1 - x". It returns the number and the rest.
func numbered(s string) (int, string, bool) {
	t := strings.TrimLeft(s, " \t#")
	i := 0
	for i < len(t) && i < 2 && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 || i >= len(t) {
		return 0, "", false
	}
	n := int(t[0] - '0')
	if i == 2 {
		n = n*10 + int(t[1]-'0')
	}
	j := i
	for j < len(t) && t[j] == ' ' {
		j++
	}
	if j >= len(t) {
		return 0, "", false
	}
	switch t[j] {
	case '.', ')', ':', '-':
		rest := t[j+1:]
		if t[j] == '.' && (rest == "" || rest[0] != ' ' && rest[0] != '\t') {
			return 0, "", false // "1.5 TB", "3.example"
		}
		return n, strings.TrimSpace(rest), true
	}
	return 0, "", false
}
