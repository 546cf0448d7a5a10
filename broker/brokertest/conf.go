package brokertest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Violations are the permission violations a server logged.
type Violations struct {
	mu    sync.Mutex
	lines []string
}

// List returns the violations logged so far.
func (v *Violations) List() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.lines...)
}

func (v *Violations) log(format string, args ...any) {
	if line := fmt.Sprintf(format, args...); strings.Contains(line, "Violation") {
		v.mu.Lock()
		v.lines = append(v.lines, line)
		v.mu.Unlock()
	}
}

func (v *Violations) Noticef(format string, args ...any) { v.log(format, args...) }
func (v *Violations) Warnf(format string, args ...any)   { v.log(format, args...) }
func (v *Violations) Fatalf(format string, args ...any)  { v.log(format, args...) }
func (v *Violations) Errorf(format string, args ...any)  { v.log(format, args...) }
func (v *Violations) Debugf(format string, args ...any)  {}
func (v *Violations) Tracef(format string, args ...any)  {}

// ServerFromConfig starts nats-server with a configuration file (accounts,
// users and their permissions, as deploy/nats.conf), on a random loopback
// port with its store in a fresh temporary directory, and records every
// permission violation it logs.
func ServerFromConfig(t testing.TB, path string) (*server.Server, *Violations) {
	t.Helper()
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	opts.Host, opts.Port, opts.StoreDir, opts.NoSigs = "127.0.0.1", server.RANDOM_PORT, t.TempDir(), true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	v := &Violations{}
	s.SetLoggerV2(v, false, false, false)
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s, v
}
