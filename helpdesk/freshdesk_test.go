package helpdesk

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/helpdesk/freshdesktest"
	"github.com/acctflow/acctflow/retry"
)

func newClient(t *testing.T, baseURL, key string) *Freshdesk {
	t.Helper()
	f, err := NewFreshdesk(baseURL, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// changeTicket looks like the tickets handler's: typed text already escaped.
func changeTicket() Ticket {
	return Ticket{
		Subject: "Support type change — Acme Corp (530274916683): developer → business",
		DescriptionHTML: `<p>Reported by Priya Raman &lt;priya.raman@litware.example&gt;</p>` +
			`<p>Acme &amp; Co &quot;EU&quot; &#39;prod&#39; — <script> stays as given</p>`,
		Email:    "priya.raman@litware.example",
		Priority: PriorityMedium,
		Status:   StatusOpen,
		Tags:     []string{"acctflow", ChangeTag("CHG-8M2K5W9QXD")},
	}
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

func TestCreateSendsExactlyWhatItIsGiven(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	want := changeTicket()
	got, err := f.Create(t.Context(), want)
	if err != nil {
		t.Fatal(err)
	}
	if got != (Created{ID: "1", URL: s.URL + "/a/tickets/1"}) {
		t.Fatalf("Created = %+v", got)
	}
	stored := s.Tickets()
	if len(stored) != 1 {
		t.Fatalf("%d tickets stored", len(stored))
	}
	st := stored[0]
	if st.Subject != want.Subject || st.Description != want.DescriptionHTML || st.Email != want.Email ||
		st.Priority != want.Priority || st.Status != want.Status || !slices.Equal(st.Tags, want.Tags) {
		t.Fatalf("stored %+v\nwant   %+v", st, want)
	}
	// Zero priority and status are left to the help desk's defaults.
	if _, err := f.Create(t.Context(), Ticket{Subject: "s", DescriptionHTML: "d", Email: "a@b.example"}); err != nil {
		t.Fatal(err)
	}
	if st := s.Tickets()[1]; st.Priority != PriorityLow || st.Status != StatusOpen || st.Tags != nil {
		t.Fatalf("defaults: %+v", st)
	}
}

func TestCreateRateLimitedSurfacesRetryAfter(t *testing.T) {
	s := freshdesktest.New(t)
	s.FailNext(1, http.StatusTooManyRequests, 3*time.Second)
	f := newClient(t, s.URL, freshdesktest.APIKey)

	_, err := f.Create(t.Context(), changeTicket())
	if err == nil || retry.IsPermanent(err) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("429: want a temporary error with a known outcome, got %v", err)
	}
	if d, ok := retry.RetryAfter(err); !ok || d != 3*time.Second {
		t.Fatalf("RetryAfter = %v, %v; want 3s", d, ok)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || !strings.Contains(apiErr.Text, "exceeded the limit") {
		t.Fatalf("APIError = %+v", apiErr)
	}
	if _, err := f.Create(t.Context(), changeTicket()); err != nil {
		t.Fatalf("after the limit: %v", err)
	}
	if s.Creates() != 2 || s.CountWithTag(ChangeTag("CHG-8M2K5W9QXD")) != 1 {
		t.Fatalf("creates %d, tickets with tag %d", s.Creates(), s.CountWithTag(ChangeTag("CHG-8M2K5W9QXD")))
	}
}

func TestCreateServerErrorsThenSuccessThroughRetryDo(t *testing.T) {
	s := freshdesktest.New(t)
	s.FailNext(1, http.StatusServiceUnavailable, 0)
	s.FailNext(1, http.StatusInternalServerError, 0)
	f := newClient(t, s.URL, freshdesktest.APIKey)

	var errs []error
	var got Created
	err := retry.Do(t.Context(), retry.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 5},
		func(ctx context.Context) error {
			c, err := f.Create(ctx, changeTicket())
			if err != nil {
				errs = append(errs, err)
				return err
			}
			got = c
			return nil
		})
	if err != nil || got.ID != "1" {
		t.Fatalf("retry.Do: %v, created %+v", err, got)
	}
	if len(errs) != 2 || s.Creates() != 3 || len(s.Tickets()) != 1 {
		t.Fatalf("errors %v, creates %d, tickets %d", errs, s.Creates(), len(s.Tickets()))
	}
	for _, e := range errs {
		// A 5xx may come from a gateway after the ticket was stored.
		if retry.IsPermanent(e) || !errors.Is(e, ErrOutcomeUnknown) {
			t.Errorf("5xx error %v: want temporary with unknown outcome", e)
		}
	}
}

func TestCreateTimeoutWithTicketCreatedIsFoundByTagNotDuplicated(t *testing.T) {
	s := freshdesktest.New(t)
	s.DelayNext(1, time.Minute) // the ticket is stored, the answer never comes in time
	f := newClient(t, s.URL, freshdesktest.APIKey)
	tag := ChangeTag("CHG-8M2K5W9QXD")

	// The lead's loop in miniature: each attempt bounded, each attempt
	// searches before creating.
	var errs []error
	var got Created
	err := retry.Do(t.Context(), retry.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 3},
		func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			c, err := f.CreateOnce(ctx, changeTicket(), tag)
			if err != nil {
				errs = append(errs, err)
				return err
			}
			got = c
			return nil
		})
	if err != nil {
		t.Fatalf("retry.Do: %v (errors %v)", err, errs)
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.DeadlineExceeded) || !errors.Is(errs[0], ErrOutcomeUnknown) ||
		retry.IsPermanent(errs[0]) {
		t.Fatalf("want one temporary timeout with unknown outcome, got %v", errs)
	}
	if got != (Created{ID: "1", URL: s.URL + "/a/tickets/1"}) {
		t.Fatalf("found %+v", got)
	}
	if s.Creates() != 1 || s.CountWithTag(tag) != 1 || s.Searches() != 2 {
		t.Fatalf("creates %d, tickets with tag %d, searches %d", s.Creates(), s.CountWithTag(tag), s.Searches())
	}
}

// A wrong key is the configuration's fault: no retry loop, no dead letter
// (the help desk's circuit opens; see guard_test.go).
func TestCreateUnauthorizedIsAConfigurationErrorWithTheHelpDesksText(t *testing.T) {
	s := freshdesktest.New(t)
	const key = "not-the-key"
	f := newClient(t, s.URL, key)
	calls := 0
	err := retry.Do(t.Context(), retry.Policy{Initial: time.Millisecond, Max: time.Millisecond, Attempts: 5},
		func(ctx context.Context) error {
			calls++
			_, err := f.Create(ctx, changeTicket())
			return err
		})
	if !retry.IsConfiguration(err) || retry.IsPermanent(err) || calls != 1 || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("want one configuration error, got %v after %d calls", err, calls)
	}
	want := "help desk answered HTTP 401: invalid_credentials: You have to be logged in to perform this action."
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), key) {
		t.Fatalf("error %q: want %q and no API key", err, want)
	}
	if len(s.Tickets()) != 0 {
		t.Fatal("ticket stored without credentials")
	}
}

func TestCreateValidationFailureIsPermanentWithEveryFieldError(t *testing.T) {
	s := freshdesktest.New(t)
	f := newClient(t, s.URL, freshdesktest.APIKey)
	bad := changeTicket()
	bad.Email = "priya at litware"
	bad.Priority = 9
	bad.Tags = []string{strings.Repeat("t", 33)}
	_, err := f.Create(t.Context(), bad)
	if !retry.IsPermanent(err) {
		t.Fatalf("want permanent, got %v", err)
	}
	for _, want := range []string{
		"HTTP 400: Validation failed",
		"email: It should be a valid email address (invalid_value)",
		"priority: It should be one of these values: '1,2,3,4' (invalid_value)",
		"tags: It should only contain elements that have maximum of 32 characters (invalid_value)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
