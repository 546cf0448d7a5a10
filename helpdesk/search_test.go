package helpdesk

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/retry"
)

func TestFindByTag(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	tag := ChangeTag("CHG-1")

	if got, ok, err := f.FindByTag(t.Context(), tag); err != nil || ok || got != (Created{}) {
		t.Fatalf("empty help desk: %+v %v %v", got, ok, err)
	}
	other := changeTicket()
	other.Tags = []string{ChangeTag("CHG-2")}
	for _, tk := range []Ticket{other, {Subject: "a", DescriptionHTML: "d", Email: "a@b.example", Tags: []string{tag}},
		{Subject: "b", DescriptionHTML: "d", Email: "a@b.example", Tags: []string{"x", tag}}} {
		if _, err := f.Create(t.Context(), tk); err != nil {
			t.Fatal(err)
		}
	}
	got, ok, err := f.FindByTag(t.Context(), tag)
	if err != nil || !ok || got != (Created{ID: "2", URL: s.URL + "/a/tickets/2"}) {
		t.Fatalf("want the oldest of two, ticket 2: %+v %v %v", got, ok, err)
	}
}

func TestFindByTagRefusesTagsThatBreakTheQuery(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	for _, tag := range []string{"", "a'b", `a"b`, `a\b`, "a,b", "a\nb", strings.Repeat("x", 33)} {
		if _, _, err := f.FindByTag(t.Context(), tag); !retry.IsPermanent(err) {
			t.Errorf("%q: want a permanent error, got %v", tag, err)
		}
	}
	if s.Searches() != 0 {
		t.Fatalf("%d searches sent", s.Searches())
	}
}

func TestFindByTagClassifiesErrors(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	s.FailNextSearch(1, http.StatusTooManyRequests, 2*time.Second)
	if _, _, err := f.FindByTag(t.Context(), "x"); retry.IsPermanent(err) {
		t.Fatalf("429 permanent: %v", err)
	} else if d, ok := retry.RetryAfter(err); !ok || d != 2*time.Second {
		t.Fatalf("RetryAfter = %v %v", d, ok)
	}
	s.FailNextSearch(1, http.StatusBadGateway, 0)
	if _, _, err := f.FindByTag(t.Context(), "x"); err == nil || retry.IsPermanent(err) {
		t.Fatalf("502: %v", err)
	}
	_, _, err := newClient(t, s.URL, "wrong").FindByTag(t.Context(), "x")
	if !retry.IsConfiguration(err) || !strings.Contains(err.Error(), "You have to be logged in") {
		t.Fatalf("401: %v", err)
	}
}

// Freshdesk's search index trails its writes: right after a create whose
// outcome was lost, the search can miss the ticket. This is why CreateOnce
// needs the caller's idempotency record alongside it.
func TestFindByTagMissesTicketsTheIndexHasNotCaughtUp(t *testing.T) {
	s := freshdesktest.New(t)
	s.SearchLag(time.Hour)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	tag := ChangeTag("CHG-1")
	if _, err := f.CreateOnce(t.Context(), changeTicket(), tag); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.FindByTag(t.Context(), tag); err != nil || ok {
		t.Fatalf("lagging index: found=%v err=%v", ok, err)
	}
}

func TestFindByTagChecksTheTagsOfResults(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query().Get("query"); q != `"tag:'acctflow-x'"` {
			http.Error(w, "bad query "+q, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"results":[{"id":3,"tags":["acctflow-xy"]},{"id":9},{"id":-1,"tags":["acctflow-x"]},` +
			`{"id":7,"tags":["ACCTFLOW-X"]}],"total":4}`))
	}))
	defer srv.Close()
	got, ok, err := newClient(t, srv.URL, "k").FindByTag(t.Context(), "acctflow-x")
	if err != nil || !ok || got.ID != "7" {
		t.Fatalf("want ticket 7 (3 lacks the tag, 9 is trusted but newer), got %+v %v %v", got, ok, err)
	}
}

func TestCreateOnceAddsTheTagWithoutTouchingTheCallersSlice(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	tk := changeTicket()
	tk.Tags = make([]string, 1, 4)
	tk.Tags[0] = "acctflow"
	tag := ChangeTag("CHG-3")
	first, err := f.CreateOnce(t.Context(), tk, tag)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Tickets()[0].Tags; !slices.Equal(got, []string{"acctflow", tag}) || tk.Tags[:2][1] != "" {
		t.Fatalf("stored tags %v, caller's backing array %v", got, tk.Tags[:2])
	}
	again, err := f.CreateOnce(t.Context(), tk, tag)
	if err != nil || again != first || s.Creates() != 1 {
		t.Fatalf("second CreateOnce: %+v %v, creates %d", again, err, s.Creates())
	}
}
