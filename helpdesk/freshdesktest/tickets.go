package freshdesktest

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const maxRequestBody = 1 << 20

// answer is a response computed before an injected delay is served.
type answer struct {
	status   int
	location string
	body     any
}

func (s *Server) createTicket(w http.ResponseWriter, r *http.Request) {
	if f, ok := s.begin(&s.createFaults, &s.creates); ok {
		writeFault(w, f)
		return
	}
	delay := s.takeDelay()
	a := s.create(r)
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	writeJSON(w, a.status, a.body)
}

func (s *Server) takeDelay() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.createDelays) == 0 {
		return 0
	}
	d := s.createDelays[0]
	s.createDelays = s.createDelays[1:]
	return d
}

func (s *Server) create(r *http.Request) answer {
	if !authorized(r) {
		return answer{status: http.StatusUnauthorized, body: unauthorizedBody()}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return answer{status: http.StatusUnsupportedMediaType, body: map[string]string{
			"code": "invalid_content_type", "message": "Content-Type header should have application/json",
		}}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		return answer{status: http.StatusRequestEntityTooLarge, body: map[string]string{
			"code": "request_too_large", "message": "Request body is too large or unreadable",
		}}
	}
	t, errs, err := parseTicket(body)
	if err != nil {
		return answer{status: http.StatusBadRequest, body: map[string]string{
			"code": "invalid_json", "message": "Request body has invalid json format",
		}}
	}
	if len(errs) > 0 {
		return answer{status: http.StatusBadRequest, body: validationBody(errs)}
	}
	stored := s.store(t)
	return answer{
		status:   http.StatusCreated,
		location: s.URL + "/api/v2/tickets/" + strconv.FormatInt(stored.ID, 10),
		body:     toJSON(stored, true),
	}
}

func (s *Server) store(t StoredTicket) StoredTicket {
	s.mu.Lock()
	defer s.mu.Unlock()
	t.ID = int64(len(s.tickets) + 1)
	key := strings.ToLower(t.Email)
	if s.requesters[key] == 0 {
		s.requesters[key] = int64(len(s.requesters) + 1)
	}
	t.RequesterID = s.requesters[key]
	t.CreatedAt = time.Now()
	s.tickets = append(s.tickets, t)
	t.Tags = slices.Clone(t.Tags)
	return t
}
