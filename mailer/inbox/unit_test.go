package inbox

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

func TestUIDRangesNext(t *testing.T) {
	r := func(a, b uint32) imap.UIDRange { return imap.UIDRange{Start: imap.UID(a), Stop: imap.UID(b)} }
	cases := []struct {
		name  string
		set   imap.UIDSet
		after uint32
		n     int
		want  []imap.UID
	}{
		{"empty", nil, 0, 10, nil},
		{"all new", imap.UIDSet{r(1, 3)}, 0, 10, []imap.UID{1, 2, 3}},
		// "UID 8:*" on a folder whose highest UID is 5 still returns 5.
		{"highest below cursor", imap.UIDSet{r(5, 5)}, 7, 10, nil},
		{"range spans cursor", imap.UIDSet{r(3, 9)}, 6, 10, []imap.UID{7, 8, 9}},
		{"paged", imap.UIDSet{r(1, 100)}, 10, 3, []imap.UID{11, 12, 13}},
		{"unsorted, overlapping, reversed", imap.UIDSet{r(20, 22), r(9, 7), r(8, 12), r(21, 25)}, 0, 100,
			[]imap.UID{7, 8, 9, 10, 11, 12, 20, 21, 22, 23, 24, 25}},
		{"adjacent ranges merge", imap.UIDSet{r(1, 2), r(3, 4)}, 1, 10, []imap.UID{2, 3, 4}},
		{"star ignored", imap.UIDSet{r(4, 0), r(0, 0), r(2, 2)}, 0, 10, []imap.UID{2}},
		{"huge range stays bounded", imap.UIDSet{r(1, 4294967295)}, 0, 4, []imap.UID{1, 2, 3, 4}},
		{"top of the UID space", imap.UIDSet{r(4294967294, 4294967295)}, 4294967294, 10, []imap.UID{4294967295}},
		{"cursor at the very top", imap.UIDSet{r(1, 4294967295)}, 4294967295, 10, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := newUIDRanges(tc.set)
			if err != nil {
				t.Fatal(err)
			}
			if got := rs.next(tc.after, tc.n); !slices.Equal(got, tc.want) {
				t.Errorf("next(%d, %d) = %v, want %v", tc.after, tc.n, got, tc.want)
			}
		})
	}
	if _, err := newUIDRanges(imap.SeqSetNum(1, 2)); err == nil {
		t.Error("a sequence set from UID SEARCH must be an error")
	}
	if _, err := newUIDRanges(imap.SearchRes()); err == nil {
		t.Error("a SEARCHRES marker from UID SEARCH must be an error")
	}
}

func TestPlan(t *testing.T) {
	meta := map[imap.UID]msgMeta{1: {size: 10}, 2: {size: 11, processed: true}, 4: {size: 1000}, 5: {size: 100}}
	got := plan([]imap.UID{1, 2, 3, 4, 5}, meta, 100)
	want := []itemKind{itemSmall, itemSkip, itemSkip, itemOversize, itemSmall}
	for i, it := range got {
		if it.kind != want[i] {
			t.Errorf("uid %d: kind %d, want %d", it.uid, it.kind, want[i])
		}
	}
}

func TestCutHeader(t *testing.T) {
	cases := map[string]string{
		"Subject: a\r\nFrom: b\r\n\r\nbody\r\n\r\nmore": "Subject: a\r\nFrom: b\r\n\r\n",
		"Subject: a\nFrom: b\n\nbody":                   "Subject: a\nFrom: b\n\n",
		"\r\nbody only":                                 "\r\n",
		"Subject: no end in sight":                      "Subject: no end in sight",
		"":                                              "",
	}
	for in, want := range cases {
		if got := string(cutHeader([]byte(in))); got != want {
			t.Errorf("cutHeader(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("X-Pad: "+strings.Repeat("y", 100)+"\r\n", 5000) // ~540 KiB of header
	got, err := readHeader(strings.NewReader(long + "\r\nbody"))
	if err != nil || len(got) != headerLimit {
		t.Errorf("readHeader of a huge header kept %d bytes (err %v), want the %d limit", len(got), err, headerLimit)
	}
}

func TestCursorKey(t *testing.T) {
	kv := regexp.MustCompile(`^[-/_=.A-Za-z0-9]+$`)
	acct := accountURL("jane.doe@northwind.example", "imap.example.com:993")
	if acct != "imap://jane.doe%40northwind.example@imap.example.com:993" {
		t.Errorf("account = %q", acct)
	}
	keys := map[string]string{}
	for _, p := range [][2]string{
		{acct, "INBOX"}, {acct, "Support/EMEA"}, {acct + "/Support", "EMEA"},
		{acct, "Support=2FEMEA"}, {acct, "Boîte de réception"}, {acct, ".."},
	} {
		k := cursorKey(p[0], p[1])
		if !kv.MatchString(k) || strings.Count(k, "/") != 1 || strings.Contains(k, ".") {
			t.Errorf("key %q for %q is not a plain NATS KV key", k, p)
		}
		if prev, dup := keys[k]; dup {
			t.Errorf("%q and %q share key %q", prev, p, k)
		}
		keys[k] = p[0] + " | " + p[1]
	}
}

func TestMaskUser(t *testing.T) {
	for in, want := range map[string]string{
		"jane@northwind.example": "j***@northwind.example",
		"élodie@acme.example":    "é***@acme.example",
		"@x":                     "***@x",
		"plainuser":              "p***",
		"":                       "",
	} {
		if got := maskUser(in); got != want {
			t.Errorf("maskUser(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigDefaultsAndValidation(t *testing.T) {
	cfg, err := Config{Addr: "imap.example.com:993", Username: "u"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLS != TLSImplicit || cfg.Folder != "INBOX" || cfg.Poll != 30*time.Second ||
		cfg.MaxSize != 10<<20 || cfg.ProcessedKeyword != "$AcctflowProcessed" || cfg.Backoff != defaultBackoff || cfg.Logger == nil {
		t.Errorf("defaults not applied: %+v", cfg)
	}
	if cfg.Backoff.Max != 30*time.Second {
		t.Errorf("reconnect backoff capped at %s, want 30s", cfg.Backoff.Max)
	}
	bad := map[string]Config{
		"no port":          {Addr: "imap.example.com", Username: "u"},
		"tls mode":         {Addr: "h:1", Username: "u", TLS: "ssl"},
		"no user":          {Addr: "h:1"},
		"negative size":    {Addr: "h:1", Username: "u", MaxSize: -1},
		"keyword injects":  {Addr: "h:1", Username: "u", ProcessedKeyword: "$A)\r\nA1 DELETE INBOX"},
		"system flag":      {Addr: "h:1", Username: "u", ProcessedKeyword: `\Deleted`},
		"move onto itself": {Addr: "h:1", Username: "u", MoveTo: "inbox"},
	}
	for name, c := range bad {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewReader(Config{Addr: "h:1", Username: "u"}, nil, newCursor()); err == nil {
		t.Error("NewReader without a Sink: accepted")
	}
}

func TestPermanentFlag(t *testing.T) {
	kw := imap.Flag(DefaultKeyword)
	if !permanentFlag(nil, kw) || !permanentFlag([]imap.Flag{imap.FlagSeen, imap.FlagWildcard}, kw) ||
		!permanentFlag([]imap.Flag{"$acctflowprocessed"}, kw) || permanentFlag([]imap.Flag{imap.FlagSeen}, kw) {
		t.Error("permanentFlag misjudges PERMANENTFLAGS")
	}
}
