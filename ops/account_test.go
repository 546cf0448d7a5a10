package ops_test

import (
	"context"
	"errors"
	"testing"

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
