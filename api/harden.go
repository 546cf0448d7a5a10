package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// harden wraps every route: a panic answers 500 with a correlation id, and
// a local-only server refuses foreign Host names, and no body may be
// larger than MaxBody.
func (s *Server) harden(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.internal(w, http.StatusInternalServerError, "internal error", fmt.Errorf("panic: %v", v))
			}
		}()
		if s.LocalOnly && !LoopbackHost(r.Host) {
			writeError(w, http.StatusMisdirectedRequest, "this server answers only to localhost, 127.0.0.1 or [::1] (no API tokens are configured)")
			return
		}
		// No route reads more than MaxBody; the limit holds for every one.
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		h.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether a Host header names this machine.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// internal answers a server-side failure without its text: the client gets
// a correlation id, the log gets the error under the same id.
func (s *Server) internal(w http.ResponseWriter, status int, msg string, err error) {
	id := CorrelationID()
	s.Logger.Error("HTTP request failed", "correlation_id", id, "status", status, "err", err)
	writeJSON(w, status, map[string]string{"error": msg, "correlation_id": id})
}

// CorrelationID returns a fresh random id to tie an answer to a log line.
func CorrelationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
