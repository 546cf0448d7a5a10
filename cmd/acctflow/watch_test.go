package main

import (
	"strings"
	"testing"
)

// An unknown region is refused at once, naming the real ones, rather than
// waited on forever.
func TestWatchRefusesAnUnknownRegion(t *testing.T) {
	_, err := run(t, "", "watch", "--region", "eu", "--nats-url", "nats://127.0.0.1:1")
	if err == nil || !strings.Contains(err.Error(), "emea") || !strings.Contains(err.Error(), "no such region") {
		t.Fatalf("watch --region eu: %v", err)
	}
}
