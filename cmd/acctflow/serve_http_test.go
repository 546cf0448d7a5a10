package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serve --http-addr 0.0.0.0:8080 without tokens refuses to start, saying
// what to do, before it starts anything.
func TestServeRefusesAnOpenAPIWithoutTokens(t *testing.T) {
	t.Setenv("ACCTFLOW_API_TOKENS", "")
	t.Setenv("ACCTFLOW_API_TOKENS_FILE", "")
	for _, addr := range []string{"0.0.0.0:8080", ":8080"} {
		dir := t.TempDir()
		root := newRoot()
		root.SetArgs([]string{"serve", "--data-dir", dir, "--nats-listen", "127.0.0.1:0", "--http-addr", addr, "--log-level", "error"})
		root.SetErr(io.Discard)
		root.SetOut(io.Discard)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := root.ExecuteContext(ctx)
		cancel()
		if err == nil {
			t.Fatalf("%s: serve started without tokens", addr)
		}
		for _, want := range []string{"ACCTFLOW_API_TOKENS", "127.0.0.1", "--insecure-no-auth"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the refusal does not mention %s: %v", addr, want, err)
			}
		}
		if _, serr := os.Stat(filepath.Join(dir, "jetstream")); serr == nil {
			t.Errorf("%s: NATS was started before the refusal", addr)
		}
	}
}

// With a token the same process serves the network; the token's scope
// decides what it may do.
func TestServeWithScopedTokens(t *testing.T) {
	t.Setenv("ACCTFLOW_API_TOKENS", "ops:op-secret-1,read:read-secret-2")
	inst := startServe(t, t.TempDir(), "--handlers", "none")
	call := func(method, path, token string) int {
		req, _ := http.NewRequest(method, inst.httpURL+path, strings.NewReader(`{}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := call("GET", "/v1/requests/REQ-X", ""); c != http.StatusUnauthorized {
		t.Errorf("no token: %d", c)
	}
	if c := call("GET", "/v1/requests/REQ-X", "read-secret-2"); c != http.StatusNotFound {
		t.Errorf("read token reading: %d", c)
	}
	if c := call("POST", "/v1/requests/REQ-X/approve", "read-secret-2"); c != http.StatusForbidden {
		t.Errorf("read token approving: %d", c)
	}
	if c := call("POST", "/v1/requests/REQ-X/approve", "op-secret-1"); c != http.StatusNotFound {
		t.Errorf("ops token approving an unknown request: %d", c)
	}
}
