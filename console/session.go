package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/acctflow/acctflow/api/auth"
)

// A visitor's session lives in one cookie, signed with the API token they
// logged in with (HMAC-SHA256): every replica that knows the token accepts
// it, none keeps state, and removing the token ends its sessions. Without
// tokens (a loopback listener) sessions are signed with a key this process
// draws at start, and every visitor gets one on their first page.
//
//	v1.<scope>.<expiry unix>.<nonce>.<operator, base64url>.<mac, base64url>
//
// The CSRF token of a session is HMAC(key, "csrf|" + nonce): a page from
// another origin can neither read the cookie nor compute it.

const (
	cookieName = "acctflow_session"
	sessionTTL = 12 * time.Hour
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

type session struct {
	Scope    auth.Scope
	Operator string // who the visitor said they are (approvals name them)
	nonce    string
	key      signer
	bearer   bool // authenticated by an Authorization header, not a cookie
}

// signer is what signs a session: a token, or the process key.
type signer interface{ MAC(msg string) []byte }

type processKey []byte

func (k processKey) MAC(msg string) []byte { return auth.HMAC(k, msg) }

func newProcessKey() processKey {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

var b64 = base64.RawURLEncoding

func sessionPayload(scope auth.Scope, exp int64, nonce, operator string) string {
	return "v1." + scope.String() + "." + strconv.FormatInt(exp, 10) + "." + nonce + "." + b64.EncodeToString([]byte(operator))
}

func (s *Server) issue(w http.ResponseWriter, r *http.Request, scope auth.Scope, key signer, operator string) session {
	nb := make([]byte, 16)
	_, _ = rand.Read(nb)
	nonce := b64.EncodeToString(nb)
	exp := s.now().Add(sessionTTL).Unix()
	payload := sessionPayload(scope, exp, nonce, operator)
	value := payload + "." + b64.EncodeToString(key.MAC("session|"+payload))
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: secure(r), MaxAge: int(sessionTTL / time.Second),
	})
	return session{Scope: scope, Operator: operator, nonce: nonce, key: key}
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: -1})
}

// fromCookie checks the session cookie against every key that may have
// signed it.
func (s *Server) fromCookie(r *http.Request) (session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, false
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 6 || parts[0] != "v1" {
		return session{}, false
	}
	scope, ok := auth.ParseScope(parts[1])
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if !ok || err != nil || s.now().Unix() > exp {
		return session{}, false
	}
	op, err := b64.DecodeString(parts[4])
	if err != nil {
		return session{}, false
	}
	mac, err := b64.DecodeString(parts[5])
	if err != nil {
		return session{}, false
	}
	payload := strings.Join(parts[:5], ".")
	for _, k := range s.keys(scope) {
		if hmac.Equal(mac, k.MAC("session|"+payload)) {
			return session{Scope: scope, Operator: string(op), nonce: parts[3], key: k}, true
		}
	}
	return session{}, false
}

// keys are the keys a session of that scope may be signed with.
func (s *Server) keys(scope auth.Scope) []signer {
	if !s.cfg.Tokens.Enabled() {
		return []signer{s.processKey}
	}
	var out []signer
	for _, t := range s.cfg.Tokens.All() {
		if t.Scope == scope {
			out = append(out, t)
		}
	}
	return out
}

// CSRF is the session's anti-forgery token.
func (ss session) CSRF() string {
	if ss.key == nil {
		return ""
	}
	return b64.EncodeToString(ss.key.MAC("csrf|" + ss.nonce))
}

func (ss session) checkCSRF(r *http.Request) bool {
	if ss.bearer {
		return true // a browser never sends an Authorization header across sites by itself
	}
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	want := ss.CSRF()
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// CanAct reports whether the session may take actions.
func (ss session) CanAct() bool { return ss.Scope.Allows(auth.Ops) }

// authenticate finds the visitor's session. Without tokens a visitor
// without one gets one on a GET; with tokens they need a cookie or a bearer
// token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (session, bool) {
	if ss, ok := s.fromCookie(r); ok {
		return ss, true
	}
	if s.cfg.Tokens.Enabled() {
		if secret, ok := auth.Bearer(r); ok {
			if tok, ok := s.cfg.Tokens.Match(secret); ok {
				return session{Scope: tok.Scope, Operator: "api token", key: tok, bearer: true}, true
			}
		}
		return session{}, false
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return s.issue(w, r, auth.Ops, s.processKey, ""), true
	}
	return session{}, false
}

// login checks a token typed in the login form and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request, secret, operator string) (session, error) {
	if !s.cfg.Tokens.Enabled() {
		return s.issue(w, r, auth.Ops, s.processKey, operator), nil
	}
	tok, ok := s.cfg.Tokens.Match(strings.TrimSpace(secret))
	if !ok {
		return session{}, fmt.Errorf("that token is not one of ACCTFLOW_API_TOKENS")
	}
	return s.issue(w, r, tok.Scope, tok, operator), nil
}
