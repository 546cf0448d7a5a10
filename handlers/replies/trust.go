package replies

import (
	"bufio"
	"bytes"
	"net/textproto"
	"slices"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// Authenticated reports whether a receiving server we trust vouches for the
// From domain of a raw message: the first Authentication-Results header
// (RFC 8601) whose authserv-id is one of trusted shows dmarc=pass for that
// domain, or dkim=pass with a header.d aligned with it (same organizational
// domain, DMARC's relaxed alignment). Headers below the first trusted one
// are ignored: a sender can write their own further down, and servers
// prepend theirs at the top. No trusted id: nothing is authenticated.
func Authenticated(raw []byte, from string, trusted []string) bool {
	if len(trusted) == 0 {
		return false
	}
	_, fromDomain, ok := strings.Cut(strings.ToLower(from), "@")
	if !ok || fromDomain == "" {
		return false
	}
	hdr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(raw))).ReadMIMEHeader()
	if err != nil && len(hdr) == 0 {
		return false
	}
	for _, v := range hdr.Values("Authentication-Results") {
		id, results, err := authres.Parse(v)
		if err != nil || !slices.ContainsFunc(trusted, func(t string) bool { return strings.EqualFold(t, id) }) {
			continue
		}
		return vouches(results, fromDomain)
	}
	return false
}

func vouches(results []authres.Result, fromDomain string) bool {
	for _, r := range results {
		switch r := r.(type) {
		case *authres.DMARCResult:
			if r.Value == authres.ResultPass && (r.From == "" || strings.EqualFold(r.From, fromDomain)) {
				return true
			}
		case *authres.DKIMResult:
			if r.Value == authres.ResultPass && aligned(r.Domain, fromDomain) {
				return true
			}
		}
	}
	return false
}

// aligned is DMARC's relaxed alignment: both domains have the same
// organizational domain (the public suffix plus one label).
func aligned(d, fromDomain string) bool {
	d, fromDomain = strings.ToLower(strings.TrimSuffix(d, ".")), strings.ToLower(strings.TrimSuffix(fromDomain, "."))
	if d == "" {
		return false
	}
	if d == fromDomain {
		return true
	}
	a, err1 := publicsuffix.EffectiveTLDPlusOne(d)
	b, err2 := publicsuffix.EffectiveTLDPlusOne(fromDomain)
	return err1 == nil && err2 == nil && a == b
}
