package reply

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
)

// truth is one entry of a truth.json: the examples' file has the first five
// keys; ours may also pin auto_reply and the exact problems.
type truth struct {
	RootEmail   *string   `json:"root_email"`
	Nickname    *string   `json:"nickname"`
	SupportType *string   `json:"support_type"`
	RequestRef  *string   `json:"request_ref"`
	Complete    bool      `json:"complete"`
	AutoReply   *bool     `json:"auto_reply,omitempty"`
	Problems    *[]string `json:"problems,omitempty"`
}

const (
	examplesCorpus = "../../examples/replies"
	ownCorpus      = "testdata/replies"
)

func loadTruth(t testing.TB, dir string) map[string]truth {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatalf("reading truth of %s: %v", dir, err)
	}
	var m map[string]truth
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("decoding truth of %s: %v", dir, err)
	}
	return m
}

func TestCorpora(t *testing.T) {
	for _, dir := range []string{examplesCorpus, ownCorpus} {
		t.Run(filepath.Base(filepath.Dir(dir))+"/"+filepath.Base(dir), func(t *testing.T) {
			checkCorpus(t, dir)
		})
	}
}

func checkCorpus(t *testing.T, dir string) {
	want := loadTruth(t, dir)
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%s: %d .eml files but %d truth entries", dir, len(files), len(want))
	}
	sort.Strings(files)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no truth entry for %s", name)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := Parse(raw)
			checkPtr(t, "root_email", got.RootEmail, w.RootEmail)
			checkPtr(t, "nickname", got.Nickname, w.Nickname)
			checkPtr(t, "support_type", got.SupportType, w.SupportType)
			checkPtr(t, "request_ref", got.RequestRef, w.RequestRef)
			if got.Complete != w.Complete {
				t.Errorf("complete = %v, want %v", got.Complete, w.Complete)
			}
			if w.AutoReply != nil && got.AutoReply != *w.AutoReply {
				t.Errorf("auto_reply = %v, want %v", got.AutoReply, *w.AutoReply)
			}
			if w.Problems != nil && !reflect.DeepEqual(got.Problems, *w.Problems) {
				t.Errorf("problems = %q, want %q", got.Problems, *w.Problems)
			}
			checkInvariants(t, got)
		})
	}
}

func checkPtr(t *testing.T, key string, got, want *string) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		t.Errorf("%s = null, want %q", key, *want)
	case want == nil:
		t.Errorf("%s = %q, want null", key, *got)
	case *got != *want:
		t.Errorf("%s = %q, want %q", key, *got, *want)
	}
}
