package reply

import (
	"reflect"
	"testing"
)

func TestParseLabels(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []labeled
	}{
		{"Root email: a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Root email address: a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Email for root = a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Root account e-mail - a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"*Root email:* a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"1. Root email: a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Courriel racine : a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Root email\ta@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Root email a@b.example", []labeled{{fRoot, "a@b.example"}}},
		{"Root email:", []labeled{{fRoot, ""}}},
		{"Root email", []labeled{{fRoot, ""}}},
		{"Account nickname: Harborview Dental - Production", []labeled{{fNick, "Harborview Dental - Production"}}},
		{"Nickname: Foo", []labeled{{fNick, "Foo"}}},
		{"Account name: Foo", []labeled{{fNick, "Foo"}}},
		{"Friendly name: Foo", []labeled{{fNick, "Foo"}}},
		{"Surnom du compte : Foo", []labeled{{fNick, "Foo"}}},
		{"Nom du compte : Foo", []labeled{{fNick, "Foo"}}},
		{"Support type: Business Support", []labeled{{fSupport, "Business Support"}}},
		{"Support plan = dev", []labeled{{fSupport, "dev"}}},
		{"Support level - None", []labeled{{fSupport, "None"}}},
		{"Support: Biz", []labeled{{fSupport, "Biz"}}},
		{"Type de soutien : Développeur", []labeled{{fSupport, "Développeur"}}},
		{"Niveau de soutien : De base", []labeled{{fSupport, "De base"}}},
		{"Support type (Business/Developer/Basic): Developer", []labeled{{fSupport, "Developer"}}},
		{"Support type Business", []labeled{{fSupport, "Business"}}},
		{"Root: a@b.example; Nickname: Foo Bar; Support: Developer",
			[]labeled{{fRoot, "a@b.example"}, {fNick, "Foo Bar"}, {fSupport, "Developer"}}},
		{"Root email: a@b.example<mailto:a@b.example>", []labeled{{fRoot, "a@b.example"}}},
		// Not labels.
		{"Support desk: support@tailspin.example", nil},
		{"Email: marcus@tailspin.example", nil},
		{"Name: John Smith", nil},
		{"Root escalations: x@y.example", nil},
		{"For the root email we could use a@b.example or", nil},
		{"On Wed, Nov 25, 2026 at 10:41 AM Meridian wrote:", nil},
		{"Sent: Wednesday, November 25, 2026 11:03 AM", nil},
	} {
		if got := parseLabels(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseLabels(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestNumbered(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		rest string
		ok   bool
	}{
		{"1. a@b.example", 1, "a@b.example", true},
		{"2) Foo", 2, "Foo", true},
		{"#3: Biz", 3, "Biz", true},
		{"3 - Basic", 3, "Basic", true},
		{"1.5 TB of storage", 0, "", false},
		{"2026-11-25", 0, "", false},
		{"Foo", 0, "", false},
	} {
		n, rest, ok := numbered(c.in)
		if n != c.n || rest != c.rest || ok != c.ok {
			t.Errorf("numbered(%q) = %d, %q, %v", c.in, n, rest, ok)
		}
	}
}

func TestAddresses(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []addrToken
	}{
		{"use a.b@c.example.", []addrToken{{"a.b@c.example", true}}},
		{"x@y.example<mailto:x@y.example>", []addrToken{{"x@y.example", true}, {"x@y.example", true}}},
		{"Name <AWS.Root@Example.COM>", []addrToken{{"AWS.Root@Example.COM", true}}},
		{"aws-root@fabrikam", []addrToken{{"aws-root@fabrikam", false}}},
		{"a@b.c", []addrToken{{"a@b.c", false}}},                     // too short, one-letter TLD
		{"jo\"e@x.example", []addrToken{{"e@x.example", true}}},      // the quote is not part of it
		{"ab%cd@x.example", []addrToken{{"ab%cd@x.example", false}}}, // '%' refused by AWS
		{"twitter @handle", nil},
	} {
		if got := scanAddresses(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("scanAddresses(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
	for in, want := range map[string]bool{
		"aws-root at fabrikam dot example": true, "aws-root [at] fabrikam.example": true,
		"aws-root(at)fabrikam(dot)example": true, "aws-root arobase fabrikam point example": true,
		"we meet at noon": false, "meet at 10.30": false, "at fabrikam.example": false,
	} {
		if got := spelledOut(fold(in)); got != want {
			t.Errorf("spelledOut(%q) = %v, want %v", in, got, want)
		}
	}
}
