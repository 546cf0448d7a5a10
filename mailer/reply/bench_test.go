package reply

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkParse parses every message of both corpora once per iteration and
// reports messages and decoded input megabytes per second (per core: run
// with -cpu 1 for the per-core figure), and messages per second of CPU time
// used, which a busy machine does not skew.
func BenchmarkParse(b *testing.B) {
	var msgs [][]byte
	size := 0
	for _, dir := range []string{examplesCorpus, ownCorpus} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, path := range files {
			raw, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, raw)
			size += len(raw)
		}
	}
	if len(msgs) == 0 {
		b.Fatal("no corpus: examples/replies and testdata/replies are part of the repository")
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		for _, m := range msgs {
			Parse(m)
		}
	}
	cpu := (cpuTime() - cpu0).Seconds()
	secs := b.Elapsed().Seconds()
	if secs > 0 {
		b.ReportMetric(float64(b.N*len(msgs))/secs, "msgs/s")
		b.ReportMetric(float64(b.N*size)/secs/1e6, "MB/s")
	}
	if cpu > 0 {
		b.ReportMetric(float64(b.N*len(msgs))/cpu, "msgs/cpu-s")
	}
}
