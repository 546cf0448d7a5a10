package mailer

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

// forms returns a catalogue entry's text per plural form ("" for a plain
// string).
func forms(t *testing.T, raw string) map[string]string {
	t.Helper()
	var s string
	if json.Unmarshal([]byte(raw), &s) == nil {
		return map[string]string{"": s}
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("entry %s: %v", raw, err)
	}
	return m
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Every language has exactly English's keys, each with the same placeholders
// in every form, so no sentence falls back to English and none loses a value.
func TestEveryLanguageHasEveryMessage(t *testing.T) {
	en := catalog.keys[English]
	if len(en) < 80 {
		t.Fatalf("English catalogue has only %d keys", len(en))
	}
	for _, lang := range Langs()[1:] {
		keys := catalog.keys[lang]
		for _, k := range catalog.sortedKeys(English) {
			raw, ok := keys[k]
			if !ok {
				t.Errorf("%s lacks %s", lang, k)
				continue
			}
			want := placeholders(en[k])
			for form, text := range forms(t, raw) {
				if got := placeholders(text); !slices.Equal(got, want) {
					t.Errorf("%s %s %s: placeholders %v, want %v", lang, k, form, got, want)
				}
				if strings.TrimSpace(text) == "" || strings.Contains(text, "~") {
					t.Errorf("%s %s: %q", lang, k, text)
				}
			}
			if forms(t, raw)[""] == "" && forms(t, raw)["other"] == "" {
				t.Errorf("%s %s has no text", lang, k)
			}
		}
		for k := range keys {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %s, which English lacks", lang, k)
			}
		}
	}
}

// Every key is used by a template or the code, so the catalogue holds no
// sentence nobody sees.
func TestEveryMessageIsUsed(t *testing.T) {
	var src strings.Builder
	for _, pattern := range []string{"*.tmpl", "*.go"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	all := src.String()
	// Keys the code builds from a prefix and a problem or field name.
	built := regexp.MustCompile(`^(common\.detail_|clarification\.need_|clarification\.(root_email|nickname|support_type)_|rejection\.(pricebook|invoice|provider|unknown))`)
	for _, k := range catalog.sortedKeys(English) {
		if !strings.Contains(all, `"`+k+`"`) && !built.MatchString(k) {
			t.Errorf("%s is used nowhere", k)
		}
	}
}

func TestCatalogueFilesAreChecked(t *testing.T) {
	good := `{"confirmation.intro": "Hi"}`
	for name, files := range map[string]fstest.MapFS{
		"key outside its file": {"locales/en/confirmation.json": {Data: []byte(`{"followup.intro": "Hi"}`)}},
		"key twice":            {"locales/en/confirmation.json": {Data: []byte(good)}, "locales/en/x.json": {Data: []byte(`{"x.a": "a"}`)}, "locales/en/y.json": {Data: []byte(`{"x.a": "b"}`)}},
		"not JSON":             {"locales/en/confirmation.json": {Data: []byte(`{`)}},
		"language missing":     {"locales/en/confirmation.json": {Data: []byte(good)}},
	} {
		if _, err := loadCatalog(files); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	var _ fs.FS = localeFS
}

func TestMissingPlaceholderIsAnError(t *testing.T) {
	l := localeOf(German)
	if _, err := l.T("confirmation.intro"); err == nil {
		t.Error("a sentence rendered without its placeholder")
	}
	if _, err := l.T("confirmation.no_such_key"); err == nil {
		t.Error("an unknown key rendered")
	}
	if s, err := l.N("common.reply_lines", 1); err != nil || !strings.Contains(s, "Zeile ") {
		t.Errorf("singular: %q %v", s, err)
	}
	if s, err := l.N("common.reply_lines", 2); err != nil || !strings.Contains(s, "Zeilen") {
		t.Errorf("plural: %q %v", s, err)
	}
}
