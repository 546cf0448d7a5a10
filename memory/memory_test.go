package memory

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestIdleReleasesOncePerBurst(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		name   string
		allocs []uint64
		want   []int // polls (0-based) that release
	}{
		{"idle from the start: nothing to give back", []uint64{0, 0, 0, 0, 0, 0}, nil},
		{"a burst, then quiet", []uint64{50 * mb, 0, 0, 0, 0, 0, 0, 0}, []int{3}},
		{"busy throughout", []uint64{50 * mb, 50 * mb, 50 * mb, 50 * mb}, nil},
		{"quiet interrupted before the release", []uint64{50 * mb, 0, 0, 2 * mb, 0, 0, 0}, []int{6}},
		{"two bursts, two releases", []uint64{50 * mb, 0, 0, 0, 9 * mb, 0, 0, 0, 0}, []int{3, 7}},
		{"a trickle below quiet counts as quiet", []uint64{50 * mb, mb / 2, mb / 2, mb / 2}, []int{3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Idle{QuietPolls: 3, Quiet: mb}
			var got []int
			for i, a := range c.allocs {
				if d.Observe(a) {
					got = append(got, i)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("released at polls %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("released at polls %v, want %v", got, c.want)
				}
			}
		})
	}
}

// sink keeps the burst's allocations reachable until the burst is over.
var sink [][]byte

// After a burst of garbage, Release gives the freed heap back to the OS once
// the process is quiet, which the runtime alone would keep (up to twice the
// live heap); and it does so once, not on every quiet poll.
func TestReleaseGivesBackABurstsHeap(t *testing.T) {
	released := make(chan struct{}, 10)
	polled := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Release(ctx, Config{Poll: 50 * time.Millisecond, QuietPolls: 2, Quiet: 80 << 20, // 4 MiB a poll
		releaseHook: func() { released <- struct{}{} },
		pollHook: func() {
			select {
			case polled <- struct{}{}:
			default:
			}
		}})
	// The burst comes after Release has started counting (on one CPU it
	// might start only after it, and see no burst at all).
	select {
	case <-polled:
	case <-time.After(time.Minute):
		t.Fatal("Release never polled")
	}
	for range 64 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	select {
	case <-released:
	case <-time.After(time.Minute):
		t.Fatal("no release after the burst")
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// Held: the heap in use (the burst's garbage until a collection) and
	// the free pages not returned.
	if held := ms.HeapInuse + ms.HeapIdle - ms.HeapReleased; held > 24<<20 {
		t.Fatalf("%d MiB of heap still held after the release (%d in use)", held>>20, ms.HeapInuse>>20)
	}
	select {
	case <-released:
		t.Fatal("released again without a burst in between")
	case <-time.After(500 * time.Millisecond):
	}
}
