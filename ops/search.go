package ops

import (
	"context"
	"errors"
	"strings"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// OpenIndex is the index of each region's open requests (lifecycle.Index).
type OpenIndex interface {
	Open(ctx context.Context, region string) ([]lifecycle.Summary, error)
}

// Search finds requests by id, customer, reseller, contact or root email.
// An exact request id is looked up whatever its state; everything else is
// matched against the open requests of every region (the index), never by
// reading every record, so a closed request is found by its id only.
type Search struct {
	Index    OpenIndex
	Requests Requests
	Regions  []string
}

// Hit is one request found.
type Hit struct {
	lifecycle.Summary
	Open bool `json:"open"`
}

// MaxHits bounds what one search returns.
const MaxHits = 200

// Find returns up to MaxHits requests matching q (case-insensitive
// substring), the exact id first; more reports whether some were left out.
func (s *Search) Find(ctx context.Context, q string) (hits []Hit, more bool, err error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, false, nil
	}
	seen := map[string]bool{}
	if events.ValidRequestID(q) {
		rec, err := s.Requests.Get(ctx, q)
		switch {
		case err == nil:
			sum, open := lifecycle.Summarize(rec)
			hits = append(hits, Hit{Summary: sum, Open: open})
			seen[q] = true
		case !errors.Is(err, lifecycle.ErrNotFound):
			return nil, false, err
		}
	}
	needle := strings.ToLower(q)
	for _, region := range s.Regions {
		open, err := s.Index.Open(ctx, region)
		if err != nil {
			return nil, false, err
		}
		for _, sum := range open {
			if seen[sum.RequestID] || !matches(sum, needle) {
				continue
			}
			if len(hits) == MaxHits {
				return hits, true, nil
			}
			seen[sum.RequestID] = true
			hits = append(hits, Hit{Summary: sum, Open: true})
		}
	}
	return hits, false, nil
}

func matches(s lifecycle.Summary, needle string) bool {
	for _, f := range []string{s.RequestID, s.Customer, s.Reseller, s.Contact, s.RootEmail} {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}
