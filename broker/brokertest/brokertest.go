// Package brokertest starts a real embedded JetStream server per test, in the
// style of nats-server's RunBasicJetStreamServer.
package brokertest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/acctflow/acctflow/broker"
)

// Server starts nats-server with JetStream on a random loopback port with its
// store in a fresh temporary directory, and shuts it down when the test ends.
func Server(t testing.TB) *server.Server {
	t.Helper()
	return ServerAt(t, t.TempDir())
}

// ServerAt is Server with a given store directory, to test restarts.
func ServerAt(t testing.TB, dir string) *server.Server {
	t.Helper()
	return ServerSync(t, dir, time.Minute)
}

// ServerSync is ServerAt with a JetStream sync interval; 0 fsyncs every
// write, as `acctflow serve` does by default.
func ServerSync(t testing.TB, dir string, sync time.Duration) *server.Server {
	t.Helper()
	s, err := broker.StartEmbedded(broker.EmbeddedConfig{Listen: "127.0.0.1:0", DataDir: dir, SyncInterval: sync})
	if err != nil {
		t.Fatalf("starting nats: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// Connect connects to s, provisions the topology and closes the connection
// when the test ends.
func Connect(t testing.TB, s *server.Server) *broker.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := broker.Connect(ctx, broker.ConnConfig{URL: s.ClientURL(), Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.NC.Close() })
	if err := (broker.Topology{Replicas: 1}).Ensure(ctx, c.JS); err != nil {
		t.Fatal(err)
	}
	return c
}

// Logger writes warnings and errors to the test log (shown on failure or
// with -v) and drops what background goroutines log after the test ended.
func Logger(t testing.TB) *slog.Logger {
	w := &tWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *tWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p))
	}
	return len(p), nil
}

// CheckFor polls f every interval until it returns nil or total elapses.
func CheckFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(every)
	}
	t.Fatalf("condition not met after %v: %v", total, err)
}
