package reply

import "strings"

// roleARN finds the IAM role ARN the follow-up email asks for
// (arn:aws:iam::<12 digits>:role/<path/name>) in the sender's own lines; two
// different ARNs give "", as the inbox must not pick one.
func roleARN(ls []line) string {
	found := ""
	for _, l := range ls {
		if l.depth > 0 {
			continue
		}
		s := l.text
		for {
			i := strings.Index(s, "arn:aws")
			if i < 0 {
				break
			}
			if a := readARN(s[i:]); a != "" {
				if found != "" && found != a {
					return ""
				}
				found = a
			}
			s = s[i+len("arn:aws"):]
		}
	}
	return found
}

const maxRoleTail = 64 + 512 // role name and path, as IAM bounds them

func readARN(s string) string {
	var rest string
	var ok bool
	for _, p := range []string{"arn:aws:iam::", "arn:aws-us-gov:iam::", "arn:aws-cn:iam::"} {
		if rest, ok = strings.CutPrefix(s, p); ok {
			break
		}
	}
	if !ok || len(rest) < 12+len(":role/")+1 {
		return ""
	}
	for i := 0; i < 12; i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return ""
		}
	}
	tail, ok := strings.CutPrefix(rest[12:], ":role/")
	if !ok {
		return ""
	}
	n := 0
	for n < len(tail) && n < maxRoleTail && isRoleByte(tail[n]) {
		n++
	}
	name := strings.TrimRight(tail[:n], ".,/")
	if name == "" {
		return ""
	}
	return s[:len(s)-len(tail)] + name
}

func isRoleByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+=,.@_-/", c) >= 0
}
