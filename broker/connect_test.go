package broker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker"
	"github.com/acctflow/acctflow/broker/brokertest"
)

// A failed connection names the server without its password or token.
func TestConnectErrorRedactsCredentials(t *testing.T) {
	for _, url := range []string{"nats://api:s3cret-pw@127.0.0.1:1", "nats://s3cret-token@127.0.0.1:1,nats://u:s3cret-pw@127.0.0.1:2"} {
		// (Servers logging in as different users need an inbox prefix.)
		_, err := broker.Connect(context.Background(), broker.ConnConfig{URL: url, Wait: 10 * time.Millisecond, InboxPrefix: "_INBOX"})
		if err == nil {
			t.Fatalf("%s: connected", url)
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("connect error: %v", err)
		}
	}
}

// Replies come to the inbox of the user the connection logs in as (its URL's
// or User), which nats.conf lets only that user read; with no user (a
// token, the embedded server) to _INBOX; InboxPrefix overrides both.
func TestConnectInboxOfItsUser(t *testing.T) {
	s := brokertest.Server(t) // no authentication: it takes any user
	host := strings.TrimPrefix(s.ClientURL(), "nats://")
	for _, c := range []struct {
		cfg  broker.ConnConfig
		want string // inbox prefix, or the error
	}{
		{broker.ConnConfig{URL: "nats://digest:pw@" + host}, "_INBOX_digest"},
		{broker.ConnConfig{URL: "nats://" + host, User: "api", Password: "pw"}, "_INBOX_api"},
		{broker.ConnConfig{URL: host, User: "api", Password: "pw"}, "_INBOX_api"},
		{broker.ConnConfig{URL: "nats://reader:pw@" + host + ", nats://reader:pw@" + host}, "_INBOX_reader"},
		{broker.ConnConfig{URL: "nats://" + host}, "_INBOX"},
		{broker.ConnConfig{URL: "nats://a-token@" + host}, "_INBOX"},
		{broker.ConnConfig{URL: "nats://digest:pw@" + host, InboxPrefix: "_INBOX_ops.digest"}, "_INBOX_ops.digest"},
		{broker.ConnConfig{URL: "nats://digest:pw@" + host + ",nats://" + host, User: "api"}, "different users (api, digest)"},
		{broker.ConnConfig{URL: "nats://" + host, User: "ops.digest"}, `NATS user "ops.digest" names no inbox`},
		{broker.ConnConfig{URL: "nats://" + host, InboxPrefix: "_INBOX.>"}, "invalid custom prefix"},
	} {
		conn, err := broker.Connect(context.Background(), c.cfg)
		if err != nil {
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s (user %q): %v, want %s", c.cfg.URL, c.cfg.User, err, c.want)
			}
			continue
		}
		if got := conn.NC.NewInbox(); !strings.HasPrefix(got, c.want+".") || strings.Count(got, ".") != strings.Count(c.want, ".")+1 {
			t.Errorf("%s (user %q): inbox %s, want %s.<id>", c.cfg.URL, c.cfg.User, got, c.want)
		}
		conn.Close()
	}
}

// A user that may not read its inbox (a nats.conf older than the inbox per
// user, a wrong prefix) is refused at once, saying why, rather than every
// call waiting for its timeout.
func TestConnectRefusedItsInbox(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(conf, []byte(`authorization { users: [
		{ user: a, password: pw, permissions: { subscribe: { allow: ["_INBOX.>"] } } } ] }`), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _ := brokertest.ServerFromConfig(t, conf)
	url := strings.Replace(s.ClientURL(), "nats://", "nats://a:pw@", 1)
	_, err := broker.Connect(context.Background(), broker.ConnConfig{URL: url})
	if err == nil || !strings.Contains(err.Error(), "may not read its replies, sent to _INBOX_a.>") || !strings.Contains(err.Error(), "--nats-inbox-prefix") {
		t.Errorf("connecting as a user who may not read _INBOX_a: %v", err)
	}
	conn, err := broker.Connect(context.Background(), broker.ConnConfig{URL: url, InboxPrefix: "_INBOX"})
	if err != nil {
		t.Fatalf("with the inbox it may read: %v", err)
	}
	conn.Close()
}
