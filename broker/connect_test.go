package broker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
)

// A failed connection names the server without its password or token.
func TestConnectErrorRedactsCredentials(t *testing.T) {
	for _, url := range []string{"nats://api:s3cret-pw@127.0.0.1:1", "nats://s3cret-token@127.0.0.1:1,nats://u:s3cret-pw@127.0.0.1:2"} {
		_, err := broker.Connect(context.Background(), broker.ConnConfig{URL: url, Wait: 10 * time.Millisecond})
		if err == nil {
			t.Fatalf("%s: connected", url)
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("connect error: %v", err)
		}
	}
}
