package main

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
)

// Once quiet after its start-up (a burst of its own), serve gives the free
// heap back to the OS and counts it; --release-memory-after 0 leaves it to
// the Go runtime.
func TestServeGivesMemoryBackWhenQuiet(t *testing.T) {
	s := startServe(t, t.TempDir(), "--release-memory-after", "300ms")
	brokertest.CheckFor(t, 30*time.Second, 100*time.Millisecond, func() error {
		n, _, err := releasedCount(s.httpURL)
		if err == nil && n < 1 {
			err = fmt.Errorf("released %d times", n)
		}
		return err
	})
	_ = s.stop()

	off := startServe(t, t.TempDir(), "--release-memory-after", "0")
	if _, present, err := releasedCount(off.httpURL); err != nil || present {
		t.Fatalf("with --release-memory-after 0 the release is counted (present %v, %v)", present, err)
	}
}

var releasedMetric = regexp.MustCompile(`(?m)^acctflow_memory_released_total (\d+)`)

// releasedCount reads acctflow_memory_released_total from serve's /metrics,
// and whether it is there at all.
func releasedCount(httpURL string) (int, bool, error) {
	resp, err := http.Get(httpURL + "/metrics")
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	m := releasedMetric.FindSubmatch(body)
	if m == nil {
		return 0, false, nil
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n, true, nil
}
