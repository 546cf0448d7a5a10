package brokertest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// handedOut are the addresses FreeAddr gave in this process, so that tests
// running in parallel never get the same.
var handedOut sync.Map

// FreeAddr returns a loopback address free now, for a server a test starts
// on a port of its own choosing (serve's NATS and HTTP listeners, the mail
// sandbox) or restarts on the same one. It is picked below the kernel's
// ephemeral range: between now and the bind, an outgoing connection (any
// test's NATS or HTTP client, which only ever use ephemeral ports) cannot
// take it, as it could a port the kernel handed out for ":0".
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	for range 1000 {
		port := 0
		if low > 12000 {
			port = 10000 + rand.IntN(low-10000)
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		if _, taken := handedOut.LoadOrStore(addr, true); !taken {
			return addr
		}
	}
	t.Fatal("no free port")
	return ""
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux),
// or 0 when unknown.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}
