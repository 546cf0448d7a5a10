// Package freshdesktest is an in-memory help desk that speaks, over real HTTP,
// the part of the Freshdesk REST API v2 that acctflow uses: POST
// /api/v2/tickets and GET /api/v2/search/tickets, with basic auth (API key,
// password "X"), Freshdesk's validation errors and status codes, and faults
// to inject: error statuses with Retry-After, slow answers after the ticket is
// stored, and a lagging search index.
package freshdesktest

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIKey is the key the server accepts (with the password "X").
const APIKey = "freshdesktest-api-key"

// StoredTicket is a ticket as the server keeps it.
type StoredTicket struct {
	ID          int64
	Subject     string
	Description string // exactly as received
	Email       string
	RequesterID int64
	Priority    int
	Status      int
	Tags        []string
	CreatedAt   time.Time
}

// Server is the fake help desk. Its methods are safe for concurrent use.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:54321

	srv       *httptest.Server
	done      chan struct{} // closed by Close: delayed answers give up
	closeOnce sync.Once

	mu           sync.Mutex
	tickets      []StoredTicket
	requesters   map[string]int64
	creates      int
	searches     int
	createFaults []fault
	searchFaults []fault
	createDelays []time.Duration
	searchLag    time.Duration
}

type fault struct {
	status     int
	retryAfter time.Duration
}

// New starts a server that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := NewServer()
	t.Cleanup(s.Close)
	return s
}

// NewServer starts a server on a random loopback port; Close stops it.
func NewServer() *Server {
	s := &Server{done: make(chan struct{}), requesters: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v2/tickets", s.createTicket)
	mux.HandleFunc("GET /api/v2/search/tickets", s.searchTickets)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"code": "not_found", "message": "Resource not found"})
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close stops the server, cutting delayed answers short.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// FailNext makes the next n ticket creates fail with status (400–599), before
// authentication and validation, and with Retry-After (whole seconds, rounded
// up) when retryAfter > 0. Nothing is stored. Calls queue up.
func (s *Server) FailNext(n, status int, retryAfter time.Duration) {
	s.queueFaults(&s.createFaults, n, status, retryAfter)
}

// FailNextSearch is FailNext for the search endpoint.
func (s *Server) FailNextSearch(n, status int, retryAfter time.Duration) {
	s.queueFaults(&s.searchFaults, n, status, retryAfter)
}

func (s *Server) queueFaults(q *[]fault, n, status int, retryAfter time.Duration) {
	if n < 0 || status < 400 || status > 599 {
		panic(fmt.Sprintf("freshdesktest: fault of %d × status %d: want n ≥ 0 and a 4xx/5xx status", n, status))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		*q = append(*q, fault{status, retryAfter})
	}
}

// DelayNext holds the answer to each of the next n ticket creates for d, after
// the ticket is stored: a client that times out meanwhile sees an unknown
// outcome although the ticket exists. A delay ends early when the client goes
// away or the server closes.
func (s *Server) DelayNext(n int, d time.Duration) {
	if n < 0 {
		panic("freshdesktest: DelayNext with n < 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.createDelays = append(s.createDelays, d)
	}
}

// SearchLag hides tickets from search until they are d old, as Freshdesk's
// search index trails its writes.
func (s *Server) SearchLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.searchLag = d
}

// Tickets returns copies of the stored tickets in creation order.
func (s *Server) Tickets() []StoredTicket {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StoredTicket, len(s.tickets))
	for i, t := range s.tickets {
		t.Tags = slices.Clone(t.Tags)
		out[i] = t
	}
	return out
}

// Creates counts create requests received, failed ones included.
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Searches counts search requests received, failed ones included.
func (s *Server) Searches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.searches
}

// CountWithTag counts stored tickets carrying tag (tags compare without case).
func (s *Server) CountWithTag(tag string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tickets {
		if hasTag(t.Tags, tag) {
			n++
		}
	}
	return n
}

func hasTag(tags []string, tag string) bool {
	return slices.ContainsFunc(tags, func(t string) bool { return strings.EqualFold(t, tag) })
}

// begin counts a request and takes the next queued fault, if any.
func (s *Server) begin(q *[]fault, counter *int) (fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*counter++
	if len(*q) == 0 {
		return fault{}, false
	}
	f := (*q)[0]
	*q = (*q)[1:]
	return f, true
}

func authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(user), []byte(APIKey)) == 1 && pass == "X"
}
