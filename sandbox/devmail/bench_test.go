package devmail

import (
	"bytes"
	"fmt"
	"log/slog"
	"runtime"
	"testing"

	"github.com/emersion/go-smtp"
)

// Compare the sub-benchmarks: memory vs on-disk delivery, and the full
// SMTP round trip, all for one 2 KiB message to one recipient.
func BenchmarkDeliver(b *testing.B) {
	msg := append(testMessage("bench"), bytes.Repeat([]byte("x"), 2048)...)
	for _, bc := range []struct {
		name string
		dir  bool
		smtp bool
	}{{"memory", false, false}, {"disk", true, false}, {"smtp-memory", false, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := Config{MaxMailboxMessages: 1 << 30, Logger: slog.New(slog.DiscardHandler)}
			if bc.dir {
				cfg.Dir = b.TempDir()
			}
			sb, err := Start(b.Context(), cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer sb.Close()
			var c *smtp.Client
			if bc.smtp {
				if c, err = smtp.Dial(sb.SMTPAddr()); err != nil {
					b.Fatal(err)
				}
				defer c.Close()
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if c != nil {
					err = c.SendMail("x@y.example", []string{"a+t@d.example"}, bytes.NewReader(msg))
				} else {
					err = sb.Deliver(b.Context(), "x@y.example", []string{"a+t@d.example"}, msg)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// burstMessages are what a burst of requests leaves in the sandbox: for each
// request a confirmation to one of 300 reseller contacts and the contact's
// reply to the workflow inbox, 4–8 KB each.
func burstMessages(n int) (to []string, msgs [][]byte) {
	for i := range n {
		if i%2 == 0 {
			to = append(to, fmt.Sprintf("contact%d@fabrikam.example", i%300))
		} else {
			to = append(to, fmt.Sprintf("acct-replies+REQ-%06d.0123456789ab@acctflow.localhost", i))
		}
		msgs = append(msgs, realisticMessage(i, 4096+(i*797)%4096))
	}
	return to, msgs
}

// heapAfterBurst starts a sandbox, delivers the burst and returns the heap
// in use after GC, over what it was before the sandbox started.
func heapAfterBurst(b *testing.B, cfg Config, to []string, msgs [][]byte) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sb, err := Start(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	for i, m := range msgs {
		if err := sb.Deliver(b.Context(), "provisioning@acctflow.localhost", []string{to[i]}, m); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err := sb.Close(); err != nil {
		b.Fatal(err)
	}
	return float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / (1 << 20)
}

// BenchmarkBurstHeap delivers 3,000 realistic messages into a sandbox kept
// in memory and into one kept on disk (the default cache), in the same run,
// and reports the heap each holds afterwards and their ratio.
func BenchmarkBurstHeap(b *testing.B) {
	to, msgs := burstMessages(3000)
	cfg := Config{MaxMailboxMessages: 1 << 20, Logger: slog.New(slog.DiscardHandler)}
	var mem, disk float64
	for b.Loop() {
		mem += heapAfterBurst(b, cfg, to, msgs)
		d := cfg
		d.Dir = b.TempDir()
		disk += heapAfterBurst(b, d, to, msgs)
	}
	n := float64(b.N)
	b.ReportMetric(mem/n, "memory-heap-MiB")
	b.ReportMetric(disk/n, "disk-heap-MiB")
	b.ReportMetric(disk/mem, "disk/memory")
}
