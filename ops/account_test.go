package ops_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/acctflow/acctflow/events"
	"github.com/acctflow/acctflow/lifecycle"
	"github.com/acctflow/acctflow/ops"
)

// Ops may reject a request while it waits for its details or holds them,
// as the transition table allows, and at no later stage.
func TestRejectFollowsTheTable(t *testing.T) {
	o, _, store := supportOps(t)
	ctx := context.Background()
	for stage, ok := range map[lifecycle.Stage]bool{
		lifecycle.StageAwaitingDetails: true, lifecycle.StageDetailsReceived: true,
		lifecycle.StageRouted: false, lifecycle.StageApproved: false, lifecycle.StageCreated: false,
	} {
		id := "REQ-" + string(stage)
		if _, err := store.Update(ctx, id, func(r *lifecycle.Record) error { r.Stage = stage; return nil }); err != nil {
			t.Fatal(err)
		}
		_, err := o.Reject(ctx, id, "duplicate")
		var se *ops.StageError
		if ok != (err == nil) || !ok && !errors.As(err, &se) {
			t.Errorf("reject at %s: %v", stage, err)
		}
	}
}

// A Role ARN that is malformed or of another account is refused before
// anything is published: the reseller is not mailed an operator's typo.
func TestSubmitRoleChecksTheARNFirst(t *testing.T) {
	o, conn, store := supportOps(t)
	ctx := context.Background()
	if _, err := store.Update(ctx, "REQ-R", func(r *lifecycle.Record) error {
		r.Stage, r.Account = lifecycle.StageRoleValidated, &events.AccountCreated{RequestID: "REQ-R", AccountID: "200000000001"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for arn, want := range map[string]string{
		"AcctflowAccess": "does not have the arn:",
		"arn:aws:iam::200000000002:role/AcctflowAccess": "belongs to AWS account 200000000002",
	} {
		if _, err := o.SubmitRole(ctx, "REQ-R", arn, "ops"); !errors.Is(err, ops.ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("submit %s: %v", arn, err)
		}
	}
	info, err := conn.JS.Stream(ctx, events.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 0 {
		t.Fatalf("%d events published for refused submissions", n)
	}
	if _, err := o.SubmitRole(ctx, "REQ-R", "arn:aws:iam::200000000001:role/AcctflowAccess", "ops"); err != nil {
		t.Fatal(err)
	}
}
