package aws

import (
	"strings"
	"testing"
)

func TestAccountName(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Café Étoile", "Cafe Etoile"},
		{"Acme Corp", "Acme Corp"},
		{"  Acme   Corp  ", "Acme Corp"},
		{"Acme 🚀 Labs", "Acme Labs"},
		{"🚀🚀", ""},
		{"東京商事", ""},
		{"東京 Trading", "Trading"},
		{"", ""},
		{"Acme\tCorp\r\nEMEA", "Acme Corp EMEA"},
		{"Acme\x00Corp\x07\x1b\x7f", "AcmeCorp"},
		{"Straße Müller & Søn", "Strasse Muller & Son"},
		{"Łódź Œuvre Æther", "Lodz OEuvre AEther"},
		{"Smith’s “Best” Co — Ltd", `Smith's "Best" Co - Ltd`},
		{"Ｆｕｌｌｗｉｄｔｈ ﬁx", "Fullwidth fix"},
		{"Crème\u00a0brûlée", "Creme brulee"},
		{"Zero\u200bWidth", "ZeroWidth"},
		{strings.Repeat("a", 60), strings.Repeat("a", 50)},
		{strings.Repeat("abcd ", 20), strings.TrimSpace(strings.Repeat("abcd ", 10))},
		{strings.Repeat("é", 100), strings.Repeat("e", 50)},
		{"São Paulo <Tech> Ltda.", "Sao Paulo <Tech> Ltda."},
	}
	for _, c := range cases {
		if got := AccountName(c.in); got != c.want {
			t.Errorf("AccountName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzAccountName(f *testing.F) {
	for _, s := range []string{"Café Étoile", "東京商事", "a\x00b", " x ", "🚀", strings.Repeat("ß", 40), "\u0301\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AccountName(s)
		if len(got) > maxAccountName || strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("AccountName(%q) = %q: bad length or spacing", s, got)
		}
		for _, c := range []byte(got) {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("AccountName(%q) = %q: not printable ASCII", s, got)
			}
		}
		if again := AccountName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
	})
}
