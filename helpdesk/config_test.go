package helpdesk

import (
	"net/http"
	"testing"
	"time"
)

func TestNewFreshdeskValidates(t *testing.T) {
	good := map[string]string{
		"https://acme.freshdesk.com":         "https://acme.freshdesk.com",
		"https://acme.freshdesk.com/":        "https://acme.freshdesk.com",
		" https://proxy.example/freshdesk/ ": "https://proxy.example/freshdesk",
		"http://127.0.0.1:8080":              "http://127.0.0.1:8080",
		"http://localhost:1":                 "http://localhost:1",
		"http://[::1]:9":                     "http://[::1]:9",
	}
	for in, want := range good {
		f, err := NewFreshdesk(in, "key", nil)
		if err != nil || f.base != want {
			t.Errorf("%q: %v, base %q, want %q", in, err, f.base, want)
		}
	}
	for _, in := range []string{
		"", "acme.freshdesk.com", "ftp://acme.example", "https://", "http://acme.freshdesk.com",
		"https://key:X@acme.freshdesk.com", "https://acme.freshdesk.com?x=1", "https://acme.freshdesk.com#a",
		"https://acme.freshdesk.com/%zz", "mailto:ops@acme.example",
	} {
		if _, err := NewFreshdesk(in, "key", nil); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for _, key := range []string{"", "a:b", "a\nb"} {
		if _, err := NewFreshdesk("https://acme.freshdesk.com", key, nil); err == nil {
			t.Errorf("key %q accepted", key)
		}
	}
	// The caller's client keeps following redirects; ours does not.
	hc := &http.Client{Timeout: time.Second}
	f, err := NewFreshdesk("https://acme.freshdesk.com", "key", hc)
	if err != nil || hc.CheckRedirect != nil || f.client.CheckRedirect == nil || f.client.Timeout != time.Second {
		t.Fatalf("client copy: %v", err)
	}
}
