package devmail

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFoldAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"acct-replies+REQ-1.abc@acctflow.localhost", "acct-replies@acctflow.localhost"},
		{"Jane.Doe@Northwind.Example", "jane.doe@northwind.example"},
		{"a+b+c@d.example", "a@d.example"},
		{"+only@d.example", "+only@d.example"}, // no base to fold into
		{`"quoted+x"@d.example`, `"quoted@d.example`},
		{"user@[127.0.0.1]", "user@[127.0.0.1]"},
		{"ÉLODIE+x@exemple.ca", "élodie@exemple.ca"},
	} {
		got, err := foldAddress(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("foldAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "nobody", "@d", "a@", "a b@d", "a@d\r\nX-Injected: 1", "<a@d>",
		"a\x00@d", strings.Repeat("x", 250) + "@d.ex", "\xff@d"} {
		if got, err := foldAddress(bad); err == nil {
			t.Errorf("foldAddress(%q) = %q, want an error", bad, got)
		}
	}
}

func TestMaskAddress(t *testing.T) {
	for in, want := range map[string]string{
		"jane@northwind.example": "j***@northwind.example",
		"élodie@exemple.ca":      "é***@exemple.ca",
		"nobody":                 "***",
		"":                       "***",
	} {
		if got := maskAddress(in); got != want {
			t.Errorf("maskAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

// Addresses come from the network and become directory names.
func FuzzFoldAddress(f *testing.F) {
	for _, s := range []string{"acct-replies+REQ-1.abc@acctflow.localhost", "A@B", "+x@y", "../../etc@x",
		".hidden@x", "a/b@c", "%41@x", "é@ü.de", "a@b\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		owner, err := foldAddress(in)
		if err != nil {
			return
		}
		if again, err := foldAddress(owner); err != nil || again != owner {
			t.Fatalf("folding %q is not idempotent: %q → %q (%v)", in, owner, again, err)
		}
		if !utf8.ValidString(owner) || len(owner) > maxAddressLen {
			t.Fatalf("bad owner %q", owner)
		}
		name := escapeName(owner)
		if !safePathElement(name) {
			t.Fatalf("unsafe directory name %q for %q", name, owner)
		}
		if back, err := unescapeName(name); err != nil || back != owner {
			t.Fatalf("escape round trip: %q → %q → %q (%v)", owner, name, back, err)
		}
	})
}

// safePathElement: only [a-z0-9._@-] and %XX escapes with upper-case hex,
// no leading dot: nothing a file system could read as a path or fold.
func safePathElement(name string) bool {
	if name == "" || name[0] == '.' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '%':
			if i+2 >= len(name) || !isUpperHex(name[i+1]) || !isUpperHex(name[i+2]) {
				return false
			}
			i += 2
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', strings.IndexByte("._@-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func isUpperHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'F' }
