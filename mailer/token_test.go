package mailer

import (
	"strings"
	"testing"
)

func TestReplyAddressFixtureVectors(t *testing.T) {
	// From examples/replies: key "acctflow-fixtures", first 12 hex of
	// HMAC-SHA256(key, request id).
	vectors := map[string]string{
		"REQ-1001":       "0347d5a24539",
		"REQ-1002":       "bd97b16bfbb6",
		"REQ-7K3M9Q2X4T": "6ab98d635769",
		"REQ-0G5WN8RZ1C": "28ed4457894b",
	}
	for id, mac := range vectors {
		got, err := ReplyAddress(fixtureKey, id, "acct-replies@meridian-distribution.example")
		if err != nil {
			t.Fatal(err)
		}
		if want := "acct-replies+" + id + "." + mac + "@meridian-distribution.example"; got != want {
			t.Errorf("ReplyAddress(%s) = %s, want %s", id, got, want)
		}
		if !VerifyToken(fixtureKey, id, mac) {
			t.Errorf("VerifyToken(%s, %s) = false", id, mac)
		}
		if !VerifyToken(fixtureKey, id, strings.ToUpper(mac)) {
			t.Errorf("upper-case mac of %s rejected", id)
		}
		gotID, gotMac, ok := ParseReplyAddress(got)
		if !ok || gotID != id || gotMac != mac {
			t.Errorf("ParseReplyAddress(%s) = %s, %s, %v", got, gotID, gotMac, ok)
		}
	}
}

func TestVerifyTokenRejectsForgeries(t *testing.T) {
	good := "0347d5a24539"
	cases := map[string]struct {
		key       []byte
		id, token string
	}{
		"one digit changed": {fixtureKey, "REQ-1001", "0347d5a24538"},
		"other request":     {fixtureKey, "REQ-1002", good},
		"other key":         {[]byte("another-key-of-16+bytes"), "REQ-1001", good},
		"truncated":         {fixtureKey, "REQ-1001", good[:11]},
		"longer":            {fixtureKey, "REQ-1001", good + "0"},
		"empty":             {fixtureKey, "REQ-1001", ""},
		"short key":         {[]byte("short"), "REQ-1001", good},
		"lower-cased id":    {fixtureKey, "req-1001", good},
		"upper-case, wrong": {fixtureKey, "REQ-1001", "AAAAAAAAAAAA"},
	}
	for name, c := range cases {
		if VerifyToken(c.key, c.id, c.token) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestReplyAddressRejectsBadInput(t *testing.T) {
	cases := map[string]struct {
		key         []byte
		id, mailbox string
	}{
		"short key":          {[]byte("0123456789abcde"), "REQ-1", "a@b.example"},
		"id with space":      {fixtureKey, "REQ 1", "a@b.example"},
		"id with plus":       {fixtureKey, "REQ+1", "a@b.example"},
		"id with CRLF":       {fixtureKey, "REQ-1\r\nBcc: x@y", "a@b.example"},
		"display name":       {fixtureKey, "REQ-1", "Box <a@b.example>"},
		"no domain":          {fixtureKey, "REQ-1", "a@"},
		"quoted local":       {fixtureKey, "REQ-1", `"a b"@b.example`},
		"domain with spaces": {fixtureKey, "REQ-1", "a@b example"},
	}
	for name, c := range cases {
		if got, err := ReplyAddress(c.key, c.id, c.mailbox); err == nil {
			t.Errorf("%s: got %q", name, got)
		}
	}
	// A mailbox that already uses sub-addressing keeps working: the token
	// is after the last '+'.
	got, err := ReplyAddress(fixtureKey, "REQ-1001", "team+aws@b.example")
	if err != nil || got != "team+aws+REQ-1001.0347d5a24539@b.example" {
		t.Fatalf("%q, %v", got, err)
	}
	if id, mac, ok := ParseReplyAddress(got); !ok || id != "REQ-1001" || mac != "0347d5a24539" {
		t.Errorf("parse back: %s %s %v", id, mac, ok)
	}
}

// One parser: the last '+', the id (dots encoded as '='), 12 hex digits in
// either case; ids that are valid but awkward round-trip.
func TestTokenRoundTrip(t *testing.T) {
	keys, err := NewKeys([]byte("current-key-0123456789"), fixtureKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"REQ-1001", "REQ..1", ".REQ2", "REQ3.", "a.b.c"} {
		addr, err := ReplyAddress(keys.Current, id, "acct-replies@b.example")
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if _, _, err := splitMailbox(addr); err != nil {
			t.Errorf("%s: the reply address %s is not a plain address: %v", id, addr, err)
		}
		for _, a := range []string{addr, strings.ToUpper(addr[:strings.LastIndexByte(addr, '.')]) + addr[strings.LastIndexByte(addr, '.'):]} {
			tok, ok := ParseToken(a)
			if !ok {
				t.Errorf("ParseToken(%s) failed", a)
				continue
			}
			if a == addr && (tok.RequestID != id || !keys.Verify(tok)) {
				t.Errorf("ParseToken(%s) = %+v", a, tok)
			}
		}
		upper := strings.Replace(addr, mac(keys.Current, id), strings.ToUpper(mac(keys.Current, id)), 1)
		if tok, ok := ParseToken(upper); !ok || !keys.Verify(tok) {
			t.Errorf("upper-case mac of %s: %+v %v", id, tok, ok)
		}
	}
	// Rotation: the previous key still verifies what it signed; a key
	// nobody configured does not.
	old, _ := ReplyAddress(fixtureKey, "REQ-1001", "a@b.example")
	if tok, _ := ParseToken(old); !keys.Verify(tok) {
		t.Error("a token of the previous key no longer verifies")
	}
	if tok, _ := ParseToken(old); (Keys{Current: []byte("current-key-0123456789")}).Verify(tok) {
		t.Error("a token verified without its key")
	}
	if _, err := NewKeys([]byte("short")); err == nil {
		t.Error("a short key accepted")
	}
	if _, err := NewKeys([]byte("current-key-0123456789"), []byte("short")); err == nil {
		t.Error("a short previous key accepted")
	}
}

func TestTag(t *testing.T) {
	for _, c := range []struct {
		addr, box, tag string
		ours           bool
	}{
		{"acct-replies@b.example", "acct-replies@b.example", "", true},
		{"Acct-Replies+REQ-1.0347d5a24539@B.example", "acct-replies@b.example", "REQ-1.0347d5a24539", true},
		{"acct-replies+anything@b.example", "acct-replies@b.example", "anything", true},
		{"acct-repliesx+REQ@b.example", "acct-replies@b.example", "", false},
		{"acct-replies+x@c.example", "acct-replies@b.example", "", false},
		{"team+aws+tok@b.example", "team+aws@b.example", "tok", true},
	} {
		tag, ours := Tag(c.addr, c.box)
		if tag != c.tag || ours != c.ours {
			t.Errorf("Tag(%s, %s) = %q, %v", c.addr, c.box, tag, ours)
		}
	}
}

func TestParseReplyAddressShapes(t *testing.T) {
	for _, bad := range []string{
		"", "plain@b.example", "+REQ-1.0347d5a24539@b.example", "a+REQ-1@b.example",
		"a+REQ-1.0347d5a2453@b.example", "a+REQ-1.0347d5a24539x@b.example", "a+REQ 1.0347d5a24539@b.example",
		"a+.0347d5a24539@b.example", "a+REQ-1.0347d5a24539", strings.Repeat("a", 400) + "+R.0347d5a24539@b.example",
	} {
		if id, mac, ok := ParseReplyAddress(bad); ok {
			t.Errorf("ParseReplyAddress(%q) = %s, %s", bad, id, mac)
		}
	}
}

// FuzzParseReplyAddress: hostile addresses never panic, and whatever parses
// has the shape ReplyAddress produces.
func FuzzParseReplyAddress(f *testing.F) {
	for _, s := range []string{
		"acct-replies+REQ-1001.0347d5a24539@meridian-distribution.example",
		"team+aws+REQ-1001.0347d5a24539@b.example", "a+b+c@d", "+@", "a+.@b", "a+REQ-1.ZZZZZZZZZZZZ@b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		id, mac, ok := ParseReplyAddress(addr)
		if !ok {
			return
		}
		if !requestIDPattern.MatchString(id) || len(mac) != macLen || mac != strings.ToLower(mac) {
			t.Fatalf("parsed %q into %q, %q", addr, id, mac)
		}
		if _, err := ReplyAddress(fixtureKey, id, "box@example.com"); err != nil {
			t.Fatalf("parsed id %q is not usable: %v", id, err)
		}
	})
}
