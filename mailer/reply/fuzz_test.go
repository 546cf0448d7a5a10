package reply

import (
	"os"
	"path/filepath"
	"testing"
)

// seedCorpora adds every fixture of both corpora to the fuzz seed corpus.
func seedCorpora(f *testing.F) {
	for _, dir := range []string{examplesCorpus, ownCorpus} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, path := range files {
			raw, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(raw)
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("From: a@b.example\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\n<blockquote>Root email:</blockquote>a@b.example\r\n--x--\r\n"))
}

// FuzzParse: any input gives a Reply that keeps the invariants, without a
// panic (parse has no recover, so a panic fails the fuzzer).
func FuzzParse(f *testing.F) {
	seedCorpora(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkInvariants(t, parse(raw))
	})
}

// FuzzMIMEWalk: the MIME walk stays within its bounds on text, parts and
// attached messages, whatever the structure.
func FuzzMIMEWalk(f *testing.F) {
	seedCorpora(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, ok := readEntity(raw)
		if !ok {
			return
		}
		w := &walker{budget: maxTextBytes}
		v := w.entity(e, 0)
		if w.budget < 0 {
			t.Errorf("text budget overrun: %d", w.budget)
		}
		if w.parts > maxParts+maxDepth+1 {
			t.Errorf("visited %d parts", w.parts)
		}
		if len(w.attached) > maxParts {
			t.Errorf("%d attached messages", len(w.attached))
		}
		for _, ls := range [][]line{v.plain, v.rich} {
			size := 0
			for _, l := range ls {
				size += len(l.text)
				if l.depth < 0 {
					t.Errorf("negative depth")
				}
			}
			if size > 2*maxTextBytes+len(raw) {
				t.Errorf("rendered %d bytes from %d", size, len(raw))
			}
		}
	})
}
