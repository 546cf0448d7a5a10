package inbox

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const benchMsgs = 500 // messages per benchmark op

// BenchmarkIngest measures the path from the IMAP server to Sink.Deliver
// (the Sink here only copies the bytes, so this is the IMAP side's cost):
//
//   - catchup: benchMsgs messages wait in the folder; time from Run to the
//     last delivery (start-up after an outage, the bulk path).
//   - idle: the reader idles; time from the first APPEND to the last
//     delivery, APPENDs included (steady arrival).
//   - bare-fetch: one UID FETCH 1:* BODY.PEEK[] by a plain client, the floor
//     set by the server and the wire; compare catchup against it.
func BenchmarkIngest(b *testing.B) {
	for _, size := range []int{2 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("catchup/%dKiB", size>>10), func(b *testing.B) { benchCatchUp(b, size) })
		b.Run(fmt.Sprintf("idle/%dKiB", size>>10), func(b *testing.B) { benchIdle(b, size) })
		b.Run(fmt.Sprintf("bare-fetch/%dKiB", size>>10), func(b *testing.B) { benchBareFetch(b, size) })
	}
}

func benchMsg(size int) []byte {
	line := []byte("Root email: root@acme.example -- Account nickname: acme-prod -- Support type: Business\r\n")
	return testMsg(1, string(bytes.Repeat(line, size/len(line)+1)))
}

// fillFolder creates a fresh folder holding benchMsgs copies of raw.
func fillFolder(b *testing.B, c *imapclient.Client, i int, raw []byte) string {
	folder := fmt.Sprintf("bench-%d", i)
	if err := c.Create(folder, nil).Wait(); err != nil {
		b.Fatal(err)
	}
	for range benchMsgs {
		appendMsg(b, c, folder, raw)
	}
	return folder
}

func awaitAll(b *testing.B, ch <-chan struct{}) {
	select {
	case <-ch:
	case <-time.After(time.Minute):
		b.Fatal("not all messages delivered within a minute")
	}
}

func benchCatchUp(b *testing.B, size int) {
	ts := startServer(b, capsRev2)
	c := ts.client()
	raw := benchMsg(size)
	b.SetBytes(int64(benchMsgs * len(raw)))
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := testConfig(b, ts)
		cfg.Folder = fillFolder(b, c, i, raw)
		sink := newSink()
		all := sink.await(benchMsgs)
		b.StartTimer()

		start := time.Now()
		_, stop := runReader(b, cfg, sink, newCursor())
		awaitAll(b, all)
		total += time.Since(start)

		b.StopTimer()
		stop()
		_ = c.Delete(cfg.Folder).Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchMsgs*b.N)/total.Seconds(), "msgs/s")
}

func benchIdle(b *testing.B, size int) {
	ts := startServer(b, capsRev2)
	c := ts.client()
	raw := benchMsg(size)
	b.SetBytes(int64(benchMsgs * len(raw)))
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cfg := testConfig(b, ts)
		cfg.Folder = fmt.Sprintf("idle-%d", i)
		if err := c.Create(cfg.Folder, nil).Wait(); err != nil {
			b.Fatal(err)
		}
		sink := newSink()
		all := sink.await(benchMsgs)
		r, stop := runReader(b, cfg, sink, newCursor())
		checkFor(b, waitLong, time.Millisecond, ready(r))
		b.StartTimer()

		start := time.Now()
		for range benchMsgs {
			appendMsg(b, c, cfg.Folder, raw)
		}
		awaitAll(b, all)
		total += time.Since(start)

		b.StopTimer()
		stop()
		_ = c.Delete(cfg.Folder).Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(benchMsgs*b.N)/total.Seconds(), "msgs/s")
}

func benchBareFetch(b *testing.B, size int) {
	ts := startServer(b, capsRev2)
	c := ts.client()
	raw := benchMsg(size)
	folder := fillFolder(b, c, 0, raw)
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(benchMsgs * len(raw)))
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		bufs, err := c.Fetch(imap.UIDSet{{Start: 1, Stop: 0}},
			&imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil || len(bufs) != benchMsgs {
			b.Fatalf("fetched %d messages: %v", len(bufs), err)
		}
	}
	b.ReportMetric(float64(benchMsgs*b.N)/time.Since(start).Seconds(), "msgs/s")
}
