// Package helpdesk opens support tickets in a Freshdesk-compatible help desk
// (REST API v2). Every call is one attempt whose error says, through the retry
// package, whether trying again can help; the retry loop and idempotency live
// with the caller.
package helpdesk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acctflow/acctflow/secrets"
)

// Ticket is what Create sends. DescriptionHTML is sent as is: escaping what a
// reseller or an upstream system typed is the caller's job. A zero Priority or
// Status is left out so that the help desk applies its default (low, open).
type Ticket struct {
	Subject, DescriptionHTML, Email string
	Priority, Status                int
	Tags                            []string
}

// Priorities and statuses as Freshdesk numbers them.
const (
	PriorityLow    = 1
	PriorityMedium = 2
	PriorityHigh   = 3
	PriorityUrgent = 4

	StatusOpen     = 2
	StatusPending  = 3
	StatusResolved = 4
	StatusClosed   = 5
)

// Created identifies a ticket in the help desk. URL is the agent portal link.
type Created struct {
	ID  string
	URL string
}

// Freshdesk is a client of one help desk. It is safe for concurrent use.
type Freshdesk struct {
	base   string // scheme://host[/prefix], no trailing slash
	apiKey string
	client *http.Client
	now    func() time.Time // to turn an HTTP-date Retry-After into a delay
}

const (
	defaultTimeout = 30 * time.Second
	maxSuccessBody = 1 << 20 // a ticket or a page of 30 search results is far smaller
)

// NewFreshdesk returns a client for the help desk at baseURL (for example
// https://acme.freshdesk.com). apiKey is sent with HTTP basic auth and the
// password "X", so baseURL must be https, except on loopback (tests, local
// fakes). A nil client gets one with a 30 s timeout. The client is copied so
// that redirects are reported instead of followed: a POST silently turned
// into a GET by a redirect would hide a misconfigured URL.
func NewFreshdesk(baseURL, apiKey string, client *http.Client) (*Freshdesk, error) {
	base, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("configuring freshdesk: %w", err)
	}
	if apiKey == "" || strings.ContainsAny(apiKey, ":\r\n") {
		return nil, errors.New("configuring freshdesk: API key must be non-empty, without ':' or line breaks")
	}
	c := &http.Client{Timeout: defaultTimeout}
	if client != nil {
		copied := *client
		c = &copied
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Freshdesk{base: base, apiKey: apiKey, client: c, now: time.Now}, nil
}

func parseBaseURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("parsing help desk URL: %s", secrets.RedactURLs(err.Error()))
	}
	switch { // credentials first: the other answers quote the URL
	case u.User != nil:
		return "", fmt.Errorf("help desk URL: credentials belong in the API key, not the URL")
	case u.Scheme != "https" && u.Scheme != "http":
		return "", fmt.Errorf("help desk URL %q: scheme must be https", raw)
	case u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("help desk URL %q: no host", raw)
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("help desk URL %q: no query or fragment allowed", raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return "", fmt.Errorf("help desk URL %q: the API key would travel in clear text; use https", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// createBody is the JSON of POST /api/v2/tickets.
type createBody struct {
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Email       string   `json:"email,omitempty"`
	Priority    int      `json:"priority,omitempty"`
	Status      int      `json:"status,omitempty"`
	Tags        []string `json:"tags,omitempty"`
}

// Create makes one attempt to open t. Its error is permanent for 4xx answers
// (validation, authentication, permission), carries the Retry-After delay for
// 429, and is temporary otherwise. After a transport error, a timeout, a 5xx or
// an unreadable 2xx the ticket may exist anyway: such errors match
// ErrOutcomeUnknown, and the caller should FindByTag before trying again.
func (f *Freshdesk) Create(ctx context.Context, t Ticket) (Created, error) {
	body, err := json.Marshal(createBody{
		Subject: t.Subject, Description: t.DescriptionHTML, Email: t.Email,
		Priority: t.Priority, Status: t.Status, Tags: t.Tags,
	})
	if err != nil {
		return Created{}, fmt.Errorf("encoding freshdesk ticket: %w", err)
	}
	req, err := f.newRequest(ctx, http.MethodPost, "/api/v2/tickets", nil, body)
	if err != nil {
		return Created{}, fmt.Errorf("creating freshdesk ticket: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Created{}, fmt.Errorf("creating freshdesk ticket: %w: %w", ErrOutcomeUnknown, err)
	}
	defer drainClose(resp.Body)
	if err := f.classify(resp); err != nil {
		if resp.StatusCode >= 500 {
			// A gateway may time out after the help desk stored the ticket.
			return Created{}, fmt.Errorf("creating freshdesk ticket: %w: %w", ErrOutcomeUnknown, err)
		}
		return Created{}, fmt.Errorf("creating freshdesk ticket: %w", err)
	}
	var got struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxSuccessBody)).Decode(&got); err != nil || got.ID <= 0 {
		if id, ok := idFromLocation(resp.Header.Get("Location")); ok {
			return f.created(id), nil
		}
		return Created{}, fmt.Errorf("creating freshdesk ticket: %w: HTTP %d without a ticket id", ErrOutcomeUnknown, resp.StatusCode)
	}
	return f.created(got.ID), nil
}

// idFromLocation reads the id from the Location of a created ticket
// (…/api/v2/tickets/<id>), a fallback when the body cannot be read.
func idFromLocation(loc string) (int64, bool) {
	i := strings.LastIndex(loc, "/tickets/")
	if loc == "" || i < 0 {
		return 0, false
	}
	id, err := strconv.ParseInt(loc[i+len("/tickets/"):], 10, 64)
	return id, err == nil && id > 0
}

func (f *Freshdesk) created(id int64) Created {
	s := strconv.FormatInt(id, 10)
	return Created{ID: s, URL: f.base + "/a/tickets/" + s}
}

func (f *Freshdesk) newRequest(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Request, error) {
	u := f.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(f.apiKey, "X")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "acctflow")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// drainClose reads a little of what is left so that the connection can be
// reused, without letting a hostile server keep us reading.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
