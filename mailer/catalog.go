package mailer

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// The message catalogue: locales/<lang>/<file>.json holds the sentences of
// one template (confirmation.json → keys "confirmation.*"; common.json the
// shared ones) in one language, in go-i18n's JSON form: "key": "text with
// {{.Placeholders}}", or {"one": …, "other": …} for a count. English is
// the source; every other language has the same keys with the same
// placeholders (catalog_test.go checks).
//
//go:embed locales
var localeFS embed.FS

func mustRead(name string) []byte {
	b, err := localeFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return b
}

// catalog is the go-i18n bundle of every language, built once and only read
// afterwards (go-i18n allows concurrent reads), and a localizer per language.
var catalog = mustCatalog()

type catalogue struct {
	bundle     *i18n.Bundle
	localizers map[Lang]*i18n.Localizer
	keys       map[Lang]map[string]string // key → source text, for the tests
}

func mustCatalog() *catalogue {
	c, err := loadCatalog(localeFS)
	if err != nil {
		panic(err) // embedded data: every test catches this
	}
	return c
}

func loadCatalog(fsys fs.FS) (*catalogue, error) {
	c := &catalogue{
		bundle:     i18n.NewBundle(language.English),
		localizers: map[Lang]*i18n.Localizer{},
		keys:       map[Lang]map[string]string{},
	}
	c.bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range Langs() {
		dir := path.Join("locales", string(lang))
		files, err := fs.Glob(fsys, dir+"/*.json")
		if err != nil || len(files) == 0 {
			return nil, fmt.Errorf("catalogue: no %s/*.json", dir)
		}
		c.keys[lang] = map[string]string{}
		for _, f := range files {
			if err := c.loadFile(fsys, lang, f); err != nil {
				return nil, err
			}
		}
		c.localizers[lang] = i18n.NewLocalizer(c.bundle, string(lang))
	}
	return c, nil
}

// loadFile adds one file's messages, refusing a key outside the file's
// prefix or defined twice, so each sentence has one obvious home.
func (c *catalogue) loadFile(fsys fs.FS, lang Lang, name string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("catalogue %s: %w", name, err)
	}
	prefix := strings.TrimSuffix(path.Base(name), ".json") + "."
	for k, v := range raw {
		if !strings.HasPrefix(k, prefix) {
			return fmt.Errorf("catalogue %s: key %q must start with %q", name, k, prefix)
		}
		if _, dup := c.keys[lang][k]; dup {
			return fmt.Errorf("catalogue %s: key %q defined twice", name, k)
		}
		c.keys[lang][k] = string(v)
	}
	// go-i18n takes the language from the file name: x.<lang>.json.
	if _, err := c.bundle.ParseMessageFileBytes(data, "messages."+string(lang)+".json"); err != nil {
		return fmt.Errorf("catalogue %s: %w", name, err)
	}
	return nil
}

// strictParser makes a placeholder the caller did not give an error rather
// than "<no value>" in a customer's mail.
var strictParser = &i18ntemplate.TextParser{Option: "missingkey=error"}

// locale renders the catalogue's sentences in one language, as plain text:
// values are inserted as given, and html/template escapes the whole
// sentence, values included, where it lands in HTML.
type locale struct {
	lang Lang
	loc  *i18n.Localizer
}

func localeOf(l Lang) locale {
	l = l.orEnglish()
	return locale{lang: l, loc: catalog.localizers[l]}
}

// T returns the sentence id with the placeholders given as name, value
// pairs. A key missing in this language falls back to English; a key missing
// everywhere or a placeholder not given is an error.
func (l locale) T(id string, kv ...any) (string, error) { return l.localize(id, nil, kv) }

// N is T for a sentence that depends on a count (its "one" and "other"
// forms); the count is also the placeholder Count.
func (l locale) N(id string, count int, kv ...any) (string, error) {
	return l.localize(id, count, append(kv, "Count", count))
}

func (l locale) localize(id string, count any, kv []any) (string, error) {
	if len(kv)%2 != 0 {
		return "", fmt.Errorf("message %s: odd placeholder list", id)
	}
	data := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		name, ok := kv[i].(string)
		if !ok {
			return "", fmt.Errorf("message %s: placeholder name %v is not a string", id, kv[i])
		}
		data[name] = kv[i+1]
	}
	s, err := l.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count, TemplateParser: strictParser})
	var notHere *i18n.MessageNotFoundErr
	if errors.As(err, &notHere) && s != "" {
		err = nil // the English fallback; the catalogue tests keep this rare
	}
	if err != nil {
		return "", fmt.Errorf("message %s (%s): %w", id, l.lang, err)
	}
	return s, nil
}

// tr is locale for sentences the code (not a template) composes: it
// collects the first error, so prepare can return it once.
type tr struct {
	locale
	err error
}

func (t *tr) T(id string, kv ...any) string {
	s, err := t.locale.T(id, kv...)
	if err != nil && t.err == nil {
		t.err = err
	}
	return s
}

func (t *tr) N(id string, count int, kv ...any) string {
	s, err := t.locale.N(id, count, kv...)
	if err != nil && t.err == nil {
		t.err = err
	}
	return s
}

// sortedKeys lists a language's keys, for the tests.
func (c *catalogue) sortedKeys(l Lang) []string {
	out := make([]string, 0, len(c.keys[l]))
	for k := range c.keys[l] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
