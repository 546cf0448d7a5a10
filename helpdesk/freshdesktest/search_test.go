package freshdesktest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
)

func TestSearchByTagAndQueryLanguage(t *testing.T) {
	s := freshdesktest.New(t)
	post(t, s, `{"subject":"a","description":"d","email":"a@b.example","priority":1,"tags":["red"]}`)
	post(t, s, `{"subject":"b","description":"d","email":"a@b.example","priority":3,"tags":["blue","Red"]}`)
	post(t, s, `{"subject":"c","description":"d","email":"a@b.example","priority":4}`)
	ids := func(r reply) []float64 {
		t.Helper()
		if r.status != http.StatusOK {
			t.Fatalf("search: %d %v", r.status, r.body)
		}
		var out []float64
		for _, x := range r.body["results"].([]any) {
			out = append(out, x.(map[string]any)["id"].(float64))
		}
		if r.body["total"] != float64(len(out)) {
			t.Errorf("total %v for %d results", r.body["total"], len(out))
		}
		return out
	}
	for q, want := range map[string][]float64{
		`"tag:'red'"`:                                {2, 1},
		`"tag:'blue'"`:                               {2},
		`"tag:'green'"`:                              nil,
		`"tag:null"`:                                 {3},
		`"tag:'red' AND priority:>2"`:                {2},
		`"priority:<1 OR priority:4"`:                {3, 1},
		`"(tag:'blue' OR tag:null) AND status:2"`:    {3, 2},
		`"tag:'red' AND (priority:1 OR priority:4)"`: {1},
		`"tag:'red' OR tag:'blue' AND priority:1"`:   {2, 1},
	} {
		if got := ids(search(t, s, q)); !slices.Equal(got, want) {
			t.Errorf("%s: ids %v, want %v", q, got, want)
		}
	}
	for q, want := range map[string]string{
		`tag:'red'`:                          "query/invalid_value",
		`"tag:red"`:                          "query/invalid_value",
		`"tag:'red' AND"`:                    "query/invalid_value",
		`"(tag:'red'"`:                       "query/invalid_value",
		`"nope:1"`:                           "nope/invalid_field",
		`"` + strings.Repeat("x", 600) + `"`: "query/invalid_value",
	} {
		if got := fieldCodes(t, search(t, s, q)); !slices.Equal(got, []string{want}) {
			t.Errorf("%.40s: %v, want %s", q, got, want)
		}
	}
	if got := fieldCodes(t, search(t, s, `"tag:'red'"`, "&page=11")); !slices.Equal(got, []string{"page/invalid_value"}) {
		t.Errorf("page 11: %v", got)
	}
	if r := search(t, s, `"tag:'red'"`); r.body["results"].([]any)[0].(map[string]any)["description"] != nil {
		t.Error("search results carry the description")
	}
}

func TestSearchPagesThirtyResults(t *testing.T) {
	s := freshdesktest.New(t)
	for range 31 {
		post(t, s, valid)
	}
	r1, r2 := search(t, s, `"tag:'acctflow-chg-1'"`), search(t, s, `"tag:'acctflow-chg-1'"`, "&page=2")
	if len(r1.body["results"].([]any)) != 30 || len(r2.body["results"].([]any)) != 1 || r2.body["total"] != 31.0 {
		t.Fatalf("page 1: %d results, page 2: %d results, total %v", len(r1.body["results"].([]any)), len(r2.body["results"].([]any)), r2.body["total"])
	}
}

func TestSearchLagHidesNewTickets(t *testing.T) {
	s := freshdesktest.New(t)
	s.SearchLag(time.Hour)
	post(t, s, valid)
	if r := search(t, s, `"tag:'acctflow-chg-1'"`); r.body["total"] != 0.0 {
		t.Fatalf("lagging index shows %v tickets", r.body["total"])
	}
	s.SearchLag(0)
	if r := search(t, s, `"tag:'acctflow-chg-1'"`); r.body["total"] != 1.0 {
		t.Fatalf("index without lag shows %v tickets", r.body["total"])
	}
}

func TestSearchAuthAndFaults(t *testing.T) {
	s := freshdesktest.New(t)
	s.FailNextSearch(1, http.StatusBadGateway, 0)
	if r := search(t, s, `"tag:'x'"`); r.status != http.StatusBadGateway {
		t.Fatalf("fault: %d", r.status)
	}
	r, err := call(t, http.DefaultClient, http.MethodGet, s.URL+"/api/v2/search/tickets?query=%22tag:'x'%22", "bad", "", "")
	if err != nil || r.status != http.StatusUnauthorized {
		t.Fatalf("bad key: %v %v", r, err)
	}
	if s.Searches() != 2 || s.Creates() != 0 {
		t.Fatalf("searches %d creates %d", s.Searches(), s.Creates())
	}
	r, err = call(t, http.DefaultClient, http.MethodGet, s.URL+"/api/v2/contacts", freshdesktest.APIKey, "", "")
	if err != nil || r.status != http.StatusNotFound {
		t.Fatalf("unknown path: %v %v", r, err)
	}
}
