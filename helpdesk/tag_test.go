package helpdesk

import (
	"regexp"
	"strings"
	"testing"
)

var tagShape = regexp.MustCompile(`^acctflow-chg-([a-z0-9]+(-[a-z0-9]+)*-)?[a-z2-7]{8}$`)

func TestChangeTag(t *testing.T) {
	readable := map[string]string{
		"CHG-8M2K5W9QXD":                 "acctflow-chg-8m2k5w9qxd-",
		"chg-8m2k5w9qxd":                 "acctflow-chg-8m2k5w9qxd-",
		"CHG_0001":                       "acctflow-chg-0001-",
		"12345":                          "acctflow-chg-12345-",
		"a very long change id indeed!!": "acctflow-chg-a-very-lon-",
		"  --Ünïcödé/ids//x--  ":         "acctflow-chg-n-c-d-ids-",
		"'; DROP TABLE tickets; --":      "acctflow-chg-drop-table-",
		"CHG-":                           "acctflow-chg-chg-",
		"":                               "acctflow-chg-",
		"日本語":                            "acctflow-chg-",
	}
	seen := map[string]string{}
	for id, prefix := range readable {
		tag := ChangeTag(id)
		if !strings.HasPrefix(tag, prefix) || len(tag) > MaxTagLen || !tagShape.MatchString(tag) {
			t.Errorf("ChangeTag(%q) = %q (%d bytes), want prefix %q, ≤ %d bytes, [a-z0-9-]", id, tag, len(tag), prefix, MaxTagLen)
		}
		if ChangeTag(id) != tag {
			t.Errorf("ChangeTag(%q) is not deterministic", id)
		}
		if other, dup := seen[tag]; dup {
			t.Errorf("%q and %q share tag %q", id, other, tag)
		}
		seen[tag] = id
	}
	if got := ChangeTag("CHG-8M2K5W9QXD"); len(got) != MaxTagLen {
		t.Errorf("fixture id tag %q: %d bytes, want exactly %d", got, len(got), MaxTagLen)
	}
	// Ids that sanitise alike still get distinct tags.
	for _, pair := range [][2]string{
		{"CHG-8M2K5W9QXD", "chg-8m2k5w9qxd"},
		{"CHG_1", "CHG-1"},
		{"CHG-0000000000-A", "CHG-0000000000-B"},
		{"", " "},
	} {
		if ChangeTag(pair[0]) == ChangeTag(pair[1]) {
			t.Errorf("%q and %q share tag %q", pair[0], pair[1], ChangeTag(pair[0]))
		}
	}
}

// FuzzChangeTag: every id gives a deterministic tag Freshdesk accepts and
// FindByTag can put in a query.
func FuzzChangeTag(f *testing.F) {
	for _, seed := range []string{"CHG-8M2K5W9QXD", "", "chg-", "---", "ÄÖÜ", "a'b\"c", strings.Repeat("z", 300)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		tag := ChangeTag(id)
		if len(tag) > MaxTagLen || !tagShape.MatchString(tag) || checkSearchTag(tag) != nil || ChangeTag(id) != tag {
			t.Fatalf("ChangeTag(%q) = %q", id, tag)
		}
	})
}
