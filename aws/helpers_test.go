package aws

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/acctflow/acctflow/retry"
	"github.com/acctflow/acctflow/sandbox/devaws"
)

// fast retries, so that retried tests take milliseconds.
var fast = retry.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Attempts: 6}

func newFake(t *testing.T) (*devaws.Server, *Organizations, *STS) {
	t.Helper()
	// The configuration names its credentials and endpoint, so nothing asks
	// IMDS; the variable makes sure no test ever could.
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f := devaws.NewServer()
	t.Cleanup(f.Close)
	cfg := f.Config()
	return f, NewOrganizations(cfg), NewSTS(cfg)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustTemporary(t *testing.T, err error) {
	t.Helper()
	if err == nil || retry.IsPermanent(err) {
		t.Fatalf("want a temporary error, got %v", err)
	}
}

func mustPermanent(t *testing.T, err error) {
	t.Helper()
	if err == nil || !retry.IsPermanent(err) {
		t.Fatalf("want a permanent error, got %v", err)
	}
}

func mustRejected(t *testing.T, err error, code string) *RejectedError {
	t.Helper()
	mustPermanent(t, err)
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Code != code {
		t.Fatalf("want a %s rejection, got %v", code, err)
	}
	return rej
}

func asRejected(err error, rej **RejectedError) bool { return errors.As(err, rej) }
