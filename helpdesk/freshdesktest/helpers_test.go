package freshdesktest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
)

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, c *http.Client, method, u, key, contentType, body string) (reply, error) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.SetBasicAuth(key, "X")
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %q", method, u, raw)
	}
	return r, nil
}

func post(t *testing.T, s *freshdesktest.Server, body string) reply {
	t.Helper()
	r, err := call(t, http.DefaultClient, http.MethodPost, s.URL+"/api/v2/tickets", freshdesktest.APIKey, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func search(t *testing.T, s *freshdesktest.Server, query string, extra ...string) reply {
	t.Helper()
	u := s.URL + "/api/v2/search/tickets?query=" + url.QueryEscape(query) + strings.Join(extra, "")
	r, err := call(t, http.DefaultClient, http.MethodGet, u, freshdesktest.APIKey, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// fieldCodes lists "field/code" of a Validation failed answer.
func fieldCodes(t *testing.T, r reply) []string {
	t.Helper()
	if r.status != http.StatusBadRequest || r.body["description"] != "Validation failed" {
		t.Fatalf("want 400 Validation failed, got %d %v", r.status, r.body)
	}
	var out []string
	for _, e := range r.body["errors"].([]any) {
		m := e.(map[string]any)
		out = append(out, fmt.Sprint(m["field"], "/", m["code"]))
	}
	slices.Sort(out)
	return out
}

func checkFor(t *testing.T, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(every)
	}
}
