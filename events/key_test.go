package events_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
)

// A lost compare-and-swap is recognised however it arrives: from the KV
// client (wrapped), as the single server's code, and as the code a
// replicated stream answers with (10164), which Create, Update and a
// guarded Delete used to treat as a failure on a clustered deployment.
func TestConflict(t *testing.T) {
	replicated := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequenceConstant, Description: "wrong last sequence"}
	single := &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence, Description: "wrong last sequence: 4"}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"other error", errors.New("nats: timeout"), false},
		{"not found", jetstream.ErrKeyNotFound, false},
		{"other API error", &jetstream.APIError{Code: 503, ErrorCode: jetstream.JSErrCodeJetStreamNotEnabled}, false},
		{"single server", single, true},
		{"replicated stream", replicated, true},
		{"replicated, wrapped", fmt.Errorf("writing request R-1: %w", replicated), true},
		{"key exists", jetstream.ErrKeyExists, true},
		{"revision mismatch", fmt.Errorf("%w: %w", replicated, jetstream.ErrKeyRevisionMismatch), true},
	} {
		if got := events.Conflict(tc.err); got != tc.want {
			t.Errorf("%s: Conflict(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}

	// And as a real server says it, to each kind of guarded write.
	conn := brokertest.Connect(t, brokertest.Server(t))
	ctx := context.Background()
	kv, err := conn.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "conflict"})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := kv.Create(ctx, "k", []byte("1"))
	if err != nil {
		t.Fatal(err)
	}
	_, createErr := kv.Create(ctx, "k", []byte("2"))
	_, updateErr := kv.Update(ctx, "k", []byte("2"), rev+7)
	deleteErr := kv.Delete(ctx, "k", jetstream.LastRevision(rev+7))
	for name, err := range map[string]error{"create": createErr, "update": updateErr, "delete": deleteErr} {
		if !events.Conflict(err) {
			t.Errorf("%s over a newer revision: %v, not a conflict", name, err)
		}
	}
}
