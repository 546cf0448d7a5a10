package reply

import (
	"strings"
	"testing"
)

// TestExtractBodies runs the text pipeline on text/plain bodies: root,
// nickname, support, and the problems of the fields left out ("" when none).
func TestExtractBodies(t *testing.T) {
	for _, c := range []struct {
		name, body          string
		root, nick, support string
		problems            string
	}{
		{"labels", "Root email: A@B.example\nAccount nickname: Foo\nSupport type: Biz\n",
			"a@b.example", "Foo", "business", ""},
		{"next line after one blank", "Root email:\n\na@b.example\n\nNickname:\nFoo\nSupport type:\n\nDev\n",
			"a@b.example", "Foo", "developer", ""},
		{"empty label then label", "Root email: a@b.example\nAccount nickname:\nSupport type: Basic\n",
			"a@b.example", "", "basic", "nickname_missing"},
		{"prose", "Hi, use x@y.example as the root email, call it Z, Developer support.\n",
			"x@y.example", "Z", "developer", ""},
		{"prose wrapped and quoted nickname", "Please make the root\nemail x@y.example. The nickname should be \"Acme, Prod\" and we want Business support.\n",
			"x@y.example", "Acme, Prod", "business", ""},
		{"thanks before prose", "Thanks!\n\nPlease use x@y.example as the root email, name it Acme Prod, no support.\n",
			"x@y.example", "Acme Prod", "basic", ""},
		{"numbered answers", "1) x@y.example\n2) Acme Prod\n3) Enterprise\n", "x@y.example", "Acme Prod", "enterprise", ""},
		{"own numbered questions are not answers", "Two questions:\n1. Can we pay in CAD?\n2. Who creates the IAM role?\n",
			"", "", "", "root_email_missing nickname_missing support_type_missing"},
		{"label beats prose", "Root email: a@b.example\nOr maybe use c@b.example as the root.\nNickname: N\nSupport: Basic\n",
			"a@b.example", "N", "basic", ""},
		{"two labels disagree", "Root email: a@b.example\nRoot email: c@b.example\nNickname: N\nSupport: Basic\n",
			"", "N", "basic", "root_email_ambiguous"},
		{"same address twice is fine", "Root email: A@b.example\nRoot email: a@B.example\nNickname: N\nSupport: Basic\n",
			"a@b.example", "N", "basic", ""},
		{"placeholders are missing", "Root email: TBD\nNickname: n/a\nSupport type: ?\n",
			"", "", "", "root_email_missing nickname_missing support_type_missing"},
		{"address attempt without domain", "Root email: aws-root.fabrikam\nNickname: N\nSupport: Basic\n",
			"", "N", "basic", "root_email_invalid"},
		{"quoted values are never taken", "> Root email: a@b.example\n> Account nickname: N\n> Support type: Basic\n",
			"", "", "", "root_email_missing nickname_missing support_type_missing"},
		{"inline under quoted labels", "> Root email:\na@b.example\n> Account nickname:\n>\nN\n> Support type:\nBiz\n",
			"a@b.example", "N", "business", ""},
		{"greeting under quoted label is not a nickname", "> Account nickname:\nHave a nice weekend, all of you over there!\n",
			"", "", "", "root_email_missing nickname_missing support_type_missing"},
		{"signature after separator", "Nickname: N\nSupport: Basic\n-- \nRoot email: sig@b.example\n",
			"", "N", "basic", "root_email_missing"},
		{"support sentence without type", "Root email: a@b.example\nNickname: N\nWe don't know the support level yet.\n",
			"a@b.example", "N", "", "support_type_missing"},
		{"negated prose support", "Root email: a@b.example\nNickname: N\nWe do not want Enterprise support.\n",
			"a@b.example", "N", "", "support_type_missing"},
		{"nickname kept as typed", "Root email: a@b.example\nNickname: « Érablière – Prod 🍁 »\nSupport: Basic\n",
			"a@b.example", "Érablière – Prod 🍁", "basic", ""},
		{"decomposed accents are one nickname", "Root email: a@b.example\nNickname: E\u0301rable\nSupport: Basic\n",
			"a@b.example", "Érable", "basic", ""},
		{"nickname of emoji only is unusable", "Root email: a@b.example\nNickname: 🚀🚀 ✨\nSupport: Basic\n",
			"a@b.example", "", "basic", "nickname_unusable"},
		{"nickname of punctuation only is unusable", "Root email: a@b.example\nNickname: — ! —\nSupport: Basic\n",
			"a@b.example", "", "basic", "nickname_unusable"},
		{"nickname of 100 characters", "Root email: a@b.example\nNickname: " + strings.Repeat("é", 100) + "\nSupport: Basic\n",
			"a@b.example", strings.Repeat("é", 100), "basic", ""},
		{"nickname over 100 characters", "Root email: a@b.example\nNickname: " + strings.Repeat("é", 101) + "\nSupport: Basic\n",
			"a@b.example", "", "basic", "nickname_invalid"},
		{"two nicknames", "Root email: a@b.example\nNickname: A\nFriendly name: B\nSupport: Basic\n",
			"a@b.example", "", "basic", "nickname_ambiguous"},
	} {
		res := readLines(plainLines(c.body), readCtx{})
		f := res.fields
		got := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		probs := ""
		for i, p := range fieldProblems(f) {
			if i > 0 {
				probs += " "
			}
			probs += p
		}
		if got(f.root) != c.root || got(f.nick) != c.nick || got(f.support) != c.support || probs != c.problems {
			t.Errorf("%s: got %q %q %q [%s], want %q %q %q [%s]", c.name, got(f.root), got(f.nick), got(f.support), probs,
				c.root, c.nick, c.support, c.problems)
		}
	}
}
