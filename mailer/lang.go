package mailer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/language"
)

// Lang is a language customer mail is written in: the BCP 47 tag of one of
// the catalogues under locales/. The zero value is English.
type Lang string

// The languages there is a catalogue for.
const (
	English      Lang = "en"
	German       Lang = "de"
	Spanish      Lang = "es"
	PortugueseBR Lang = "pt-BR"
	FrenchCA     Lang = "fr-CA"
	Dutch        Lang = "nl"
	Italian      Lang = "it"
)

// Langs lists every language, English first.
func Langs() []Lang {
	return []Lang{English, German, Spanish, PortugueseBR, FrenchCA, Dutch, Italian}
}

// orEnglish is l when there is a catalogue for it, else English.
func (l Lang) orEnglish() Lang {
	for _, k := range Langs() {
		if l == k {
			return l
		}
	}
	return English
}

// countryLangs is locales/languages.json: the language of each reseller
// country. Built once, only read afterwards.
var countryLangs = mustCountryLangs()

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

func mustCountryLangs() map[string]Lang {
	m, err := parseCountryLangs(mustRead("locales/languages.json"))
	if err != nil {
		panic(err) // the file is embedded: every test catches this
	}
	return m
}

func parseCountryLangs(data []byte) (map[string]Lang, error) {
	var doc struct {
		Languages map[Lang][]string `json:"languages"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("locales/languages.json: %w", err)
	}
	m := map[string]Lang{}
	for lang, countries := range doc.Languages {
		if lang.orEnglish() != lang {
			return nil, fmt.Errorf("locales/languages.json: no catalogue for %q", lang)
		}
		for _, c := range countries {
			if !countryCode.MatchString(c) {
				return nil, fmt.Errorf("locales/languages.json: %q is not an ISO 3166-1 alpha-2 code", c)
			}
			if prev, dup := m[c]; dup {
				return nil, fmt.Errorf("locales/languages.json: %s is listed under %s and %s", c, prev, lang)
			}
			m[c] = lang
		}
	}
	return m, nil
}

// langMatcher picks the closest catalogue for a requested language; English
// first, so it is what nothing close matches.
var langMatcher = func() language.Matcher {
	tags := make([]language.Tag, 0, len(Langs()))
	for _, l := range Langs() {
		tags = append(tags, language.MustParse(string(l)))
	}
	return language.NewMatcher(tags)
}()

// ParseLang returns the catalogue for a language tag a person or system gave
// ("fr", "fr_CA", "pt", "de-AT"): ok is false when there is none close
// enough (a language we do not write, or no tag).
func ParseLang(tag string) (Lang, bool) {
	tag = strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	if tag == "" {
		return English, false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return English, false
	}
	_, i, conf := langMatcher.Match(t)
	if conf < language.High {
		return English, false
	}
	return Langs()[i], true
}

// LangFor is the language of a reseller's mail: preferred (a BCP 47 tag the
// request may carry; "" when it says nothing) when there is a catalogue for
// it, else the language of the reseller's country (locales/languages.json),
// else English. Canada gets English unless the request asks for French:
// Québec is not knowable from the country.
func LangFor(country, preferred string) Lang {
	if l, ok := ParseLang(preferred); ok {
		return l
	}
	if l, ok := countryLangs[strings.ToUpper(strings.TrimSpace(country))]; ok {
		return l
	}
	return English
}
