package ingest_test

import (
	"testing"
	"time"

	"github.com/acctflow/acctflow/broker/brokertest"
	"github.com/acctflow/acctflow/events"
)

// BenchmarkIMAPToReplyReceived measures the whole ingestion path: messages
// waiting in the sandbox's IMAP folder, fetched, stored in mail-raw,
// announced on acct.reply.received (fsync on every write, the default).
func BenchmarkIMAPToReplyReceived(b *testing.B) {
	e := setup(b)
	for i := range b.N {
		e.mail(b, msg(i, "Root email: root@acme.example\r\nAccount nickname: Acme\r\nSupport type: Business"))
	}
	b.ResetTimer()
	start := time.Now()
	e.run(b, e.sink(b), 0)
	brokertest.WaitCount(b, e.conn, events.SubjectReplyReceived, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
