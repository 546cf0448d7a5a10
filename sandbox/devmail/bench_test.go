package devmail

import (
	"bytes"
	"log/slog"
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
