package broker

import (
	"net"
	"strings"
	"testing"
)

// A port already in use stops start-up at once with the server's words,
// instead of a process that runs without its broker.
func TestEmbeddedPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, err := StartEmbedded(EmbeddedConfig{Listen: ln.Addr().String(), DataDir: t.TempDir()})
	if err == nil {
		s.Shutdown()
		t.Fatal("started on a port in use")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("error %v does not say why", err)
	}
}
