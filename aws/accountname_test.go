package aws

import (
	"slices"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/mailer/reply"
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
		// Québec
		{"Érablière Saint-Jérôme – Prod", "Erabliere Saint-Jerome - Prod"},
		{"Œuvres d’art Lévis", "OEuvres d'art Levis"},
		{"Cœur-de-Ville — Ça roule", "Coeur-de-Ville - Ca roule"},
		{"« Fromagerie Ouellet » prod", `" Fromagerie Ouellet " prod`},
		{"Hôtel Château-Frontenac 🍁", "Hotel Chateau-Frontenac"},
		// Germany: umlauts lose their dots (see AccountName), ß is spelled
		{"Müller & Söhne – Bäckerei", "Muller & Sohne - Backerei"},
		{"ÄÖÜ äöü", "AOU aou"},
		{"Straßenbau Groß GmbH", "Strassenbau Gross GmbH"},
		{"„Schäfer Logistik“ Prod", `"Schafer Logistik" Prod`},
		// Brazil and Portugal
		{"Padaria São João – Produção", "Padaria Sao Joao - Producao"},
		{"Açaí & Cia. Ltda", "Acai & Cia. Ltda"},
		{"Confeitaria Pão de Açúcar ‘Matriz’", "Confeitaria Pao de Acucar 'Matriz'"},
		// Spain, Italy, the Netherlands
		{"Peña Ibérica − Niño", "Pena Iberica - Nino"},
		{"Caffè Nerò dell’Arte", "Caffe Nero dell'Arte"},
		{"Brouwerij ’t IJ – Productie", "Brouwerij 't IJ - Productie"},
		{"O´Hare", "O'Hare"},
		// Nothing meaningful left: the caller asks again.
		{"— ! —", ""},
		{"🎉🎉 !!!", ""},
		{"«»", ""},
		{"① Prod", "1 Prod"},
		// Decomposed input, as some Apple clients send it.
		{"E\u0301rable Me\u0301dia", "Erable Media"},
		// The cut at 50 happens after transliteration and never leaves a space at the end.
		{"Société Générale d’Équipement – Région Nord-Pas-de-Calais", "Societe Generale d'Equipement - Region Nord-Pas-de"},
		{strings.Repeat("ß", 30), strings.Repeat("s", 50)},
	}
	for _, c := range cases {
		if got := AccountName(c.in); got != c.want {
			t.Errorf("AccountName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzAccountName(f *testing.F) {
	for _, s := range []string{"Café Étoile", "東京商事", "a\x00b", " x ", "🚀", strings.Repeat("ß", 40), "\u0301\u0301",
		"Érablière – Prod", "„Müller“", "— ! —", "O´Hare", "Padaria São João – Produção"} {
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
		if got != "" && !strings.ContainsFunc(got, isASCIIAlnum) {
			t.Fatalf("AccountName(%q) = %q: no letter or digit", s, got)
		}
		if again := AccountName(got); again != got {
			t.Fatalf("not idempotent: %q → %q → %q", s, got, again)
		}
	})
}

// TestParserAgreesOnUsableNicknames: the reply parser keeps a nickname as
// typed and asks again (nickname_unusable) exactly when AccountName would
// leave AWS nothing to show, so no accepted nickname reaches CreateAccount
// as an empty name.
func TestParserAgreesOnUsableNicknames(t *testing.T) {
	for _, nick := range []string{
		"Érablière – Prod", "Müller & Söhne", "東京 Trading", "Ｓａｌｅｓ", "ß", "Œ", "ø", "① ② ③", "Açaí 🍓",
		"🚀🚀", "—", "東京商事", "!!!", "« »", "🇧🇷 🇩🇪", "° ° °", "½", "Ω Ψ", "™", "ı", "æ",
	} {
		r := reply.Parse([]byte("From: a@b.example\r\nSubject: x\r\n\r\nRoot email: aws@b.example\r\nAccount nickname: " +
			nick + "\r\nSupport type: Basic\r\n"))
		unusable := slices.Contains(r.Problems, reply.ProblemNicknameUnusable)
		missing := slices.Contains(r.Problems, reply.ProblemNicknameMissing) // "—", "« »": nothing typed
		switch empty := AccountName(nick) == ""; {
		case empty && r.Nickname != nil, empty && !unusable && !missing:
			t.Errorf("%q: AWS name empty, parser kept %v with %q", nick, r.Nickname, r.Problems)
		case !empty && (r.Nickname == nil || unusable):
			t.Errorf("%q: AWS name %q, parser refused it: %q", nick, AccountName(nick), r.Problems)
		}
		if r.Nickname != nil && *r.Nickname != nick {
			t.Errorf("%q kept as %q", nick, *r.Nickname)
		}
	}
}

// FuzzNicknameAgreement: whatever a reply says, a nickname the parser
// accepts gives a non-empty AWS account name.
func FuzzNicknameAgreement(f *testing.F) {
	for _, s := range []string{"Érablière – Prod", "🚀", "—", "東京商事", "a", "« x »", "ﬁ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, nick string) {
		r := reply.Parse([]byte("From: a@b.example\r\n\r\nAccount nickname: " + nick + "\r\n"))
		if r.Nickname != nil && AccountName(*r.Nickname) == "" {
			t.Fatalf("parser accepted %q, AWS name empty", *r.Nickname)
		}
	})
}
