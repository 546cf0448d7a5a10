package helpdesk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/acctflow/acctflow/circuit"
)

// Guarded is a help desk client behind the help desk's circuit: a 401 or 403
// (the API key is wrong, revoked or lacks a permission) opens it, and until a
// probe succeeds every call returns at once with retry.After(…, until the next
// probe) instead of reaching the help desk; no ticket is dead-lettered for
// it. It implements the same calls as *Freshdesk.
type Guarded struct {
	api     *Freshdesk
	breaker *circuit.Breaker
}

// NewGuarded puts api behind a circuit configured by cfg; its Probe, when
// unset, is api.Probe.
func NewGuarded(api *Freshdesk, cfg circuit.Config) *Guarded {
	if cfg.Probe == nil {
		cfg.Probe = api.Probe
	}
	if cfg.Kind == "" {
		cfg.Kind = "helpdesk"
	}
	if cfg.Name == "" {
		cfg.Name = "helpdesk " + api.base
	}
	return &Guarded{api: api, breaker: circuit.New(cfg)}
}

// Breaker is the help desk's circuit, for readiness and to Run its probes.
func (g *Guarded) Breaker() *circuit.Breaker { return g.breaker }

// Create is (*Freshdesk).Create behind the circuit.
func (g *Guarded) Create(ctx context.Context, t Ticket) (Created, error) {
	var c Created
	err := g.breaker.Do(ctx, func(ctx context.Context) error {
		var err error
		c, err = g.api.Create(ctx, t)
		return err
	})
	return c, err
}

// FindByTag is (*Freshdesk).FindByTag behind the circuit.
func (g *Guarded) FindByTag(ctx context.Context, tag string) (Created, bool, error) {
	var (
		c     Created
		found bool
	)
	err := g.breaker.Do(ctx, func(ctx context.Context) error {
		var err error
		c, found, err = g.api.FindByTag(ctx, tag)
		return err
	})
	return c, found, err
}

// probeTag is searched for by Probe; no ticket carries it.
const probeTag = "acctflow-probe"

// Probe checks the URL and the API key without creating anything: one
// search. Its error is classified like every call's (401/403: the
// configuration).
func (f *Freshdesk) Probe(ctx context.Context) error {
	q := url.Values{"query": {`"tag:'` + probeTag + `'"`}}
	req, err := f.newRequest(ctx, http.MethodGet, "/api/v2/search/tickets", q, nil)
	if err != nil {
		return fmt.Errorf("probing the help desk: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return fmt.Errorf("probing the help desk: %w", err)
	}
	defer drainClose(resp.Body)
	if err := f.classify(resp); err != nil {
		return fmt.Errorf("probing the help desk: %w", err)
	}
	return nil
}
