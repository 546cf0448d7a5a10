package devaws

import (
	"net/http"
	"strconv"
	"time"
)

// Fault codes FailNext understands besides any service error code.
const (
	// Reset closes the connection without an answer (a network error).
	Reset = "reset"
)

type fault struct {
	code       string
	retryAfter time.Duration
}

// FailNext makes the next n requests (any operation, after their signature
// is checked) fail with code: a service error code such as
// "ConcurrentModificationException", "TooManyRequestsException" or
// "ThrottlingException" (HTTP 400; STS spells throttling "Throttling"), an
// HTTP status such as "500", "503" or "429", or Reset.
func (s *Server) FailNext(n int, code string) { s.FailNextAfter(n, code, 0) }

// FailNextAfter is FailNext with a Retry-After header of d (rounded up to
// whole seconds).
func (s *Server) FailNextAfter(n int, code string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{code: code, retryAfter: d})
	}
}

func (s *Server) takeFault() (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

func (s *Server) writeFault(w http.ResponseWriter, p protocol, f fault) {
	if f.code == Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // the server's own way to drop a connection
	}
	e := &wireError{status: http.StatusBadRequest, code: f.code, message: "devaws: injected " + f.code, retryAfter: f.retryAfter}
	if status, err := strconv.Atoi(f.code); err == nil && status >= 400 && status <= 599 {
		e.status = status
		switch {
		case status == http.StatusTooManyRequests && p.json:
			e.code = "TooManyRequestsException"
		case status == http.StatusTooManyRequests:
			e.code = "Throttling"
		case status == http.StatusServiceUnavailable:
			e.code = "ServiceUnavailable"
		case status >= 500 && p.json:
			e.code = "ServiceException"
		case status >= 500:
			e.code = "InternalFailure"
		default:
			e.code = "BadRequest"
		}
	}
	if !p.json && e.code == "ThrottlingException" {
		e.code = "Throttling"
	}
	p.writeError(w, e)
}
