// Package memory gives back to the operating system the memory a burst of
// work left behind, once the process has gone quiet.
//
// After a burst the Go runtime keeps the heap it grew: it returns freed
// pages only above about twice the live heap, and a garbage collection runs
// at the latest every two minutes. For a service that idles between bursts
// (acctflow's usual day) that is resident memory nobody uses. Release
// watches the runtime's own count of allocated bytes; when a poll interval
// allocated almost nothing for a few polls in a row after a busier one, it
// forces a collection and returns the free pages (debug.FreeOSMemory), once
// per burst. A busy process never pays for it.
package memory

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config tunes Release.
type Config struct {
	Poll       time.Duration // how often allocations are read; default 10 s
	QuietPolls int           // polls in a row below Quiet before releasing; default 3
	// Quiet is the allocation rate, in bytes a second, that still counts
	// as quiet (default 1 MiB/s: an idle serve allocates about 100 KiB/s,
	// a burst tens of MiB/s); a poll may allocate at least 1 MiB.
	Quiet  uint64
	Logger *slog.Logger
	// Released, when set, counts the releases.
	Released    prometheus.Counter
	releaseHook func() // tests: called after each release
	pollHook    func() // tests: called after each poll
}

// NewReleased is the counter of releases, registered on reg as
// acctflow_memory_released_total.
func NewReleased(reg prometheus.Registerer) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "acctflow_memory_released_total",
		Help: "Times serve gave a burst's free heap back to the OS once quiet.",
	})
	reg.MustRegister(c)
	return c
}

// Idle decides, from the bytes allocated in each poll interval, when to
// release: after QuietPolls quiet polls that follow a busy one. It is the
// pure part of Release.
type Idle struct {
	QuietPolls int
	Quiet      uint64
	quiet      int
	dirty      bool
}

// Observe takes the bytes allocated since the last poll and reports whether
// to release now.
func (d *Idle) Observe(allocated uint64) bool {
	if allocated > d.Quiet {
		d.quiet, d.dirty = 0, true
		return false
	}
	d.quiet++
	if d.dirty && d.quiet >= d.QuietPolls {
		d.dirty = false
		return true
	}
	return false
}

const allocsMetric = "/gc/heap/allocs:bytes"

// Release runs until ctx ends, returning memory to the OS after each burst
// once the process has been quiet for QuietPolls × Poll.
func Release(ctx context.Context, cfg Config) {
	if cfg.Poll <= 0 {
		cfg.Poll = 10 * time.Second
	}
	if cfg.QuietPolls <= 0 {
		cfg.QuietPolls = 3
	}
	if cfg.Quiet == 0 {
		cfg.Quiet = 1 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	idle := Idle{QuietPolls: cfg.QuietPolls, Quiet: max(uint64(float64(cfg.Quiet)*cfg.Poll.Seconds()), 1<<20)}
	sample := []metrics.Sample{{Name: allocsMetric}}
	read := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	last := read()
	t := time.NewTicker(cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := read()
		if cfg.pollHook != nil {
			cfg.pollHook()
		}
		if !idle.Observe(now - last) {
			last = now
			continue
		}
		start := time.Now()
		// Two collections: the first moves what sync.Pools hold (the NATS
		// server's block buffers among them) to their victim caches, the
		// second frees it; FreeOSMemory's own then returns the pages.
		runtime.GC()
		debug.FreeOSMemory()
		last = read() // the release's own allocations are not a burst
		cfg.Logger.Debug("idle: returned free memory to the OS", "took", time.Since(start))
		if cfg.Released != nil {
			cfg.Released.Inc()
		}
		if cfg.releaseHook != nil {
			cfg.releaseHook()
		}
	}
}
