// Package ops carries out what people and upstream systems ask for — create
// a request, show it, approve or reject it, record facts — for both the CLI
// and the HTTP API, so the two behave the same.
package ops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
)

// Requests is the projection the commands read.
type Requests interface {
	Get(ctx context.Context, id string) (lifecycle.Record, error)
}

// Ops publishes commands as events.
type Ops struct {
	JS       events.Publisher
	Requests Requests
	Source   string // ce-source, e.g. acctflow/cli or acctflow/api
	Now      func() time.Time
}

// StageError says a command is not allowed at the request's current stage.
type StageError struct {
	RequestID   string
	Stage, Want lifecycle.Stage
}

func (e *StageError) Error() string {
	return fmt.Sprintf("request %s is at stage %q; this needs stage %q", e.RequestID, e.Stage, e.Want)
}

// CreateRequest validates an AccountRequested as submitted and publishes it.
// The same body submitted twice (a client retry) is one message: a request
// without an id gets one derived from the body.
func (o *Ops) CreateRequest(ctx context.Context, body []byte) (events.AccountRequested, error) {
	req, err := events.ParseAccountRequested(body, events.IDFromHash(body), o.Now())
	if err != nil {
		return events.AccountRequested{}, err
	}
	sum := sha256.Sum256(body)
	id := events.DerivedID("requested", req.RequestID, hex.EncodeToString(sum[:]))
	if _, err := events.Publish(ctx, o.JS, req, id, o.Source, events.Envelope{}); err != nil {
		return events.AccountRequested{}, err
	}
	return req, nil
}

// Show returns the lifecycle of one request.
func (o *Ops) Show(ctx context.Context, id string) (lifecycle.Record, error) {
	if !events.ValidRequestID(id) {
		return lifecycle.Record{}, fmt.Errorf("%q is not a request id: %w", id, lifecycle.ErrNotFound)
	}
	return o.Requests.Get(ctx, id)
}

// atStage loads a request and checks its stage.
func (o *Ops) atStage(ctx context.Context, id string, want ...lifecycle.Stage) (lifecycle.Record, error) {
	rec, err := o.Show(ctx, id)
	if err != nil {
		return rec, err
	}
	for _, w := range want {
		if rec.Stage == w {
			return rec, nil
		}
	}
	return rec, &StageError{RequestID: id, Stage: rec.Stage, Want: want[0]}
}

// ErrNotFound is lifecycle.ErrNotFound, for callers of this package.
var ErrNotFound = lifecycle.ErrNotFound

// IsNotFound reports whether err means the request is unknown.
func IsNotFound(err error) bool { return errors.Is(err, lifecycle.ErrNotFound) }
