package helpdesk

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/retry"
)

func TestCreateClassifiesEveryStatus(t *testing.T) {
	for _, c := range []struct {
		status               int
		permanent, uncertain bool
		config               bool
	}{
		{400, true, false, false}, {401, false, false, true}, {403, false, false, true}, {404, true, false, false}, {409, true, false, false},
		{422, true, false, false}, {408, false, false, false}, {429, false, false, false},
		{500, false, true, false}, {502, false, true, false}, {503, false, true, false}, {504, false, true, false},
	} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			s := freshdesktest.New(t)
			s.FailNext(1, c.status, 0)
			_, err := newClient(t, s.URL, freshdesktest.APIKey).Create(t.Context(), changeTicket())
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Status != c.status || apiErr.Text == "" {
				t.Fatalf("error %v: want an APIError with status %d and text", err, c.status)
			}
			if retry.IsConfiguration(err) != c.config {
				t.Fatalf("error %v: configuration=%v, want %v (401/403: the API key, not the ticket)", err, retry.IsConfiguration(err), c.config)
			}
			if retry.IsPermanent(err) != c.permanent || errors.Is(err, ErrOutcomeUnknown) != c.uncertain {
				t.Fatalf("error %v: permanent=%v uncertain=%v, want %v %v", err,
					retry.IsPermanent(err), errors.Is(err, ErrOutcomeUnknown), c.permanent, c.uncertain)
			}
			if _, ok := retry.RetryAfter(err); ok {
				t.Fatal("Retry-After hint without a Retry-After header")
			}
		})
	}
}

func TestCreateWrongBasePathIsPermanent(t *testing.T) {
	s := freshdesktest.New(t)
	_, err := newClient(t, s.URL+"/helpdesk", freshdesktest.APIKey).Create(t.Context(), changeTicket())
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Fatalf("want permanent 404, got %v", err)
	}
}

func TestCreateRedirectIsReportedNotFollowed(t *testing.T) {
	s := freshdesktest.New(t)
	moved := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	t.Cleanup(moved.Close)
	_, err := newClient(t, moved.URL, freshdesktest.APIKey).Create(t.Context(), changeTicket())
	if !retry.IsPermanent(err) || !strings.Contains(err.Error(), "redirect to "+s.URL) {
		t.Fatalf("want permanent redirect error, got %v", err)
	}
	if s.Creates() != 0 {
		t.Fatal("redirect was followed")
	}
}

func TestCreateUnreadableSuccessIsOutcomeUnknown(t *testing.T) {
	answers := map[string]func(http.ResponseWriter){
		"html": func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated); fmt.Fprint(w, "<html>ok</html>") },
		"zero": func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated); fmt.Fprint(w, `{"id":0}`) },
	}
	for name, answer := range answers {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { answer(w) }))
		_, err := newClient(t, srv.URL, "k").Create(t.Context(), changeTicket())
		srv.Close()
		if err == nil || retry.IsPermanent(err) || !errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: want temporary with unknown outcome, got %v", name, err)
		}
	}
	// The Location header still names the ticket when the body cannot be read.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Location", "https://acme.example/api/v2/tickets/42")
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	got, err := newClient(t, srv.URL, "k").Create(t.Context(), changeTicket())
	if err != nil || got.ID != "42" {
		t.Fatalf("from Location: %+v, %v", got, err)
	}
}

func TestCreateConnectionRefusedIsTemporary(t *testing.T) {
	s := freshdesktest.NewServer()
	base := s.URL
	s.Close()
	_, err := newClient(t, base, freshdesktest.APIKey).Create(t.Context(), changeTicket())
	if err == nil || retry.IsPermanent(err) || !errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want temporary with unknown outcome, got %v", err)
	}
}
