// Package reqid gives every HTTP request a correlation id: the caller's
// X-Request-Id when it is a plain token (a proxy's or a client's), else a
// random one. A 5xx answer names it instead of the error, and the log line
// with the error carries it, so the two can be matched.
package reqid

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// Header carries the id both ways.
const Header = "X-Request-Id"

// Middleware sets the id on the request (for handlers, Of) and on the
// answer's header before h runs.
func Middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := Of(r)
		r.Header.Set(Header, id)
		w.Header().Set(Header, id)
		h.ServeHTTP(w, r)
	})
}

// Of returns the request's id: its X-Request-Id if that is 1 to 64 letters,
// digits, '.', '_' or '-' (nothing that could forge a log line or a
// header), else a new random one.
func Of(r *http.Request) string {
	if id := r.Header.Get(Header); valid(id) {
		return id
	}
	return New()
}

// New returns a random id.
func New() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func valid(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
