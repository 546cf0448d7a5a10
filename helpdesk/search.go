package helpdesk

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/acctflow/acctflow/retry"
)

// searchResult is the part of GET /api/v2/search/tickets that we read.
type searchResult struct {
	Results []struct {
		ID   int64    `json:"id"`
		Tags []string `json:"tags"`
	} `json:"results"`
	Total int `json:"total"`
}

// FindByTag looks for a ticket carrying tag through the search API and
// returns the oldest one if several do. Errors are classified like Create's.
//
// Freshdesk's search index lags behind writes by up to a few minutes, so a
// ticket created moments ago can be missing from the answer.
func (f *Freshdesk) FindByTag(ctx context.Context, tag string) (Created, bool, error) {
	if err := checkSearchTag(tag); err != nil {
		return Created{}, false, retry.Permanent(fmt.Errorf("searching freshdesk tickets: %w", err))
	}
	// The API wants the query wrapped in double quotes, then URL-encoded.
	q := url.Values{"query": {`"tag:'` + tag + `'"`}}
	req, err := f.newRequest(ctx, http.MethodGet, "/api/v2/search/tickets", q, nil)
	if err != nil {
		return Created{}, false, fmt.Errorf("searching freshdesk tickets by tag %s: %w", tag, err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Created{}, false, fmt.Errorf("searching freshdesk tickets by tag %s: %w", tag, err)
	}
	defer drainClose(resp.Body)
	if err := f.classify(resp); err != nil {
		return Created{}, false, fmt.Errorf("searching freshdesk tickets by tag %s: %w", tag, err)
	}
	var sr searchResult
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSuccessBody)).Decode(&sr); err != nil {
		return Created{}, false, fmt.Errorf("decoding freshdesk search for tag %s: %w", tag, err)
	}
	var oldest int64
	for _, r := range sr.Results {
		// A result without tags is trusted to the server's filter; one with
		// tags must really carry ours, in case the match was fuzzy.
		if r.ID <= 0 || (r.Tags != nil && !slices.ContainsFunc(r.Tags, func(t string) bool { return strings.EqualFold(t, tag) })) {
			continue
		}
		if oldest == 0 || r.ID < oldest {
			oldest = r.ID
		}
	}
	if oldest == 0 {
		return Created{}, false, nil
	}
	return f.created(oldest), true, nil
}

// checkSearchTag keeps the tag from breaking out of the quoted query value.
func checkSearchTag(tag string) error {
	if tag == "" || len(tag) > MaxTagLen {
		return fmt.Errorf("tag %q: must be 1 to %d bytes", clean(tag), MaxTagLen)
	}
	for _, r := range tag {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(`'"\,`, r) {
			return fmt.Errorf("tag %q: quotes, backslashes, commas and control characters are not allowed", clean(tag))
		}
	}
	return nil
}

// CreateOnce returns the ticket carrying tag if the help desk already has one,
// and otherwise creates t with tag added to its tags. It narrows, but cannot
// close, the window for duplicates: the search index lags behind writes, and
// two callers may search at the same moment. Keep an idempotency record too.
func (f *Freshdesk) CreateOnce(ctx context.Context, t Ticket, tag string) (Created, error) {
	found, ok, err := f.FindByTag(ctx, tag)
	if err != nil || ok {
		return found, err
	}
	if !slices.Contains(t.Tags, tag) {
		t.Tags = append(slices.Clip(t.Tags), tag)
	}
	return f.Create(ctx, t)
}
