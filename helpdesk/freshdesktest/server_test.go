package freshdesktest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
)

const valid = `{"subject":"Support change","description":"<p>Acme &amp; Co</p>","email":"priya@litware.example","priority":2,"status":2,"tags":["acctflow-chg-1"]}`

func TestCreateStoresTicketAndAnswers201(t *testing.T) {
	s := freshdesktest.New(t)
	r := post(t, s, valid)
	if r.status != http.StatusCreated || r.body["id"] != 1.0 {
		t.Fatalf("got %d %v", r.status, r.body)
	}
	if loc := r.header.Get("Location"); loc != s.URL+"/api/v2/tickets/1" {
		t.Errorf("Location = %q", loc)
	}
	r = post(t, s, `{"subject":"s","description":"d","email":"a@b.example"}`)
	if r.body["id"] != 2.0 || r.body["priority"] != 1.0 || r.body["status"] != 2.0 {
		t.Errorf("defaults: %v", r.body)
	}
	got := s.Tickets()
	if len(got) != 2 || got[0].Description != "<p>Acme &amp; Co</p>" || got[0].Email != "priya@litware.example" ||
		!slices.Equal(got[0].Tags, []string{"acctflow-chg-1"}) || s.Creates() != 2 || s.CountWithTag("ACCTFLOW-CHG-1") != 1 {
		t.Fatalf("stored %+v, creates %d", got, s.Creates())
	}
}

func TestCreateRequiresBasicAuthWithX(t *testing.T) {
	s := freshdesktest.New(t)
	for _, key := range []string{"", "wrong-key"} {
		r, err := call(t, http.DefaultClient, http.MethodPost, s.URL+"/api/v2/tickets", key, "application/json", valid)
		if err != nil {
			t.Fatal(err)
		}
		if r.status != http.StatusUnauthorized || r.body["code"] != "invalid_credentials" {
			t.Fatalf("key %q: %d %v", key, r.status, r.body)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v2/tickets", strings.NewReader(valid))
	req.SetBasicAuth(freshdesktest.APIKey, "not-X")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || len(s.Tickets()) != 0 || s.Creates() != 3 {
		t.Fatalf("password not X: %d, %d tickets, %d creates", resp.StatusCode, len(s.Tickets()), s.Creates())
	}
}

func TestCreateRejectsWhatIsNotJSON(t *testing.T) {
	s := freshdesktest.New(t)
	r, err := call(t, http.DefaultClient, http.MethodPost, s.URL+"/api/v2/tickets", freshdesktest.APIKey, "text/plain", valid)
	if err != nil || r.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %v %v", r, err)
	}
	for _, body := range []string{`{"subject":`, `[1,2]`, `null`, `{} {}`, strings.Repeat(" ", 2<<20)} {
		r := post(t, s, body)
		if r.status != http.StatusBadRequest && r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%.20q: %d %v", body, r.status, r.body)
		}
	}
	if len(s.Tickets()) != 0 {
		t.Fatal("stored a ticket from a bad body")
	}
}

func TestCreateValidatesLikeFreshdesk(t *testing.T) {
	s := freshdesktest.New(t)
	long := strings.Repeat("x", 33)
	cases := map[string][]string{
		`{}`: {"description/missing_field", "requester_id/missing_field", "subject/missing_field"},
		`{"subject":" ","description":"d","email":"a@b.example"}`:                           {"subject/invalid_value"},
		`{"subject":"s","description":"d","email":"not an email"}`:                          {"email/invalid_value"},
		`{"subject":"s","description":"d","email":"Jane <j@b.example>"}`:                    {"email/invalid_value"},
		`{"subject":"s","description":"d","email":"a@b.example","priority":9}`:              {"priority/invalid_value"},
		`{"subject":"s","description":"d","email":"a@b.example","priority":"2"}`:            {"priority/datatype_mismatch"},
		`{"subject":"s","description":"d","email":"a@b.example","status":1}`:                {"status/invalid_value"},
		`{"subject":"s","description":"d","email":"a@b.example","status":2.5}`:              {"status/datatype_mismatch"},
		`{"subject":"s","description":"d","email":"a@b.example","tags":["` + long + `"]}`:   {"tags/invalid_value"},
		`{"subject":"s","description":"d","email":"a@b.example","tags":["a,b"]}`:            {"tags/invalid_value"},
		`{"subject":"s","description":"d","email":"a@b.example","tags":"a"}`:                {"tags/datatype_mismatch"},
		`{"subject":"s","description":"d","email":"a@b.example","tags":[1]}`:                {"tags/datatype_mismatch"},
		`{"subject":1,"description":"d","email":"a@b.example"}`:                             {"subject/datatype_mismatch"},
		`{"subject":"s","description":"d","email":"a@b.example","bogus":1}`:                 {"bogus/invalid_field"},
		`{"subject":"` + strings.Repeat("é", 256) + `","description":"d","requester_id":7}`: {"subject/invalid_value"},
	}
	for body, want := range cases {
		if got := fieldCodes(t, post(t, s, body)); !slices.Equal(got, want) {
			t.Errorf("%.60s: errors %v, want %v", body, got, want)
		}
	}
	if n := len(s.Tickets()); n != 0 {
		t.Fatalf("%d tickets stored from invalid bodies", n)
	}
}

func TestFailNextAnswersFaultsInOrderThenRecovers(t *testing.T) {
	s := freshdesktest.New(t)
	s.FailNext(1, http.StatusTooManyRequests, 1500*time.Millisecond)
	s.FailNext(1, http.StatusServiceUnavailable, 0)
	r := post(t, s, valid)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Fatalf("first: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	r = post(t, s, valid)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "" {
		t.Fatalf("second: %d %v", r.status, r.header)
	}
	if r = post(t, s, valid); r.status != http.StatusCreated {
		t.Fatalf("third: %d %v", r.status, r.body)
	}
	if s.Creates() != 3 || len(s.Tickets()) != 1 {
		t.Fatalf("creates %d, tickets %d", s.Creates(), len(s.Tickets()))
	}
}

func TestDelayNextStoresTheTicketBeforeAnswering(t *testing.T) {
	s := freshdesktest.New(t)
	s.DelayNext(1, time.Minute) // cut short when the client gives up
	impatient := &http.Client{Timeout: 300 * time.Millisecond}
	if _, err := call(t, impatient, http.MethodPost, s.URL+"/api/v2/tickets", freshdesktest.APIKey, "application/json", valid); err == nil {
		t.Fatal("want a client timeout")
	}
	checkFor(t, 5*time.Second, 10*time.Millisecond, func() error {
		if n := len(s.Tickets()); n != 1 {
			return fmt.Errorf("%d tickets stored, want 1", n)
		}
		return nil
	})
	if r := post(t, s, valid); r.status != http.StatusCreated || r.body["id"] != 2.0 {
		t.Fatalf("after the delay: %d %v", r.status, r.body)
	}
}

func TestConcurrentCreatesGetDistinctIDs(t *testing.T) {
	s := freshdesktest.New(t)
	const n = 16
	var wg sync.WaitGroup
	ids := make([]float64, n)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v2/tickets", strings.NewReader(valid))
			req.SetBasicAuth(freshdesktest.APIKey, "X")
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var body struct{ ID float64 }
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Error(err)
			}
			ids[i] = body.ID
		})
	}
	wg.Wait()
	slices.Sort(ids)
	for i, id := range ids {
		if id != float64(i+1) {
			t.Fatalf("ids %v", ids)
		}
	}
	if s.CountWithTag("acctflow-chg-1") != n {
		t.Fatalf("CountWithTag = %d", s.CountWithTag("acctflow-chg-1"))
	}
}
