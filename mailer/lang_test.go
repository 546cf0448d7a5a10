package mailer

import (
	"strings"
	"testing"
)

func TestLangFor(t *testing.T) {
	for _, c := range []struct {
		country, preferred string
		want               Lang
	}{
		{"US", "", English}, {"GB", "", English}, {"", "", English}, {"ZZ", "", English},
		{"DE", "", German}, {"AT", "", German}, {"CH", "", German}, {"de", "", German}, {" LI ", "", German},
		{"ES", "", Spanish}, {"MX", "", Spanish}, {"AR", "", Spanish}, {"CO", "", Spanish}, {"CL", "", Spanish}, {"PE", "", Spanish},
		{"BR", "", PortugueseBR}, {"PT", "", PortugueseBR},
		{"NL", "", Dutch}, {"IT", "", Italian}, {"FR", "", FrenchCA},
		// Québec is not knowable from the country: English unless asked.
		{"CA", "", English}, {"CA", "fr-CA", FrenchCA}, {"CA", "fr", FrenchCA}, {"CA", "fr_CA", FrenchCA},
		{"BE", "", English}, {"BE", "nl-BE", Dutch},
		// A language we do not write falls back to the country's.
		{"DE", "ja", German}, {"US", "sv-SE", English}, {"MX", "not a tag", Spanish},
		{"US", "es-419", Spanish}, {"US", "pt", PortugueseBR}, {"US", "de-AT", German},
	} {
		if got := LangFor(c.country, c.preferred); got != c.want {
			t.Errorf("LangFor(%q, %q) = %q, want %q", c.country, c.preferred, got, c.want)
		}
	}
}

func TestCountryTableIsChecked(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown language": `{"languages": {"sv": ["SE"]}}`,
		"country twice":    `{"languages": {"de": ["CH"], "it": ["CH"]}}`,
		"not a code":       `{"languages": {"de": ["Deutschland"]}}`,
		"lower case":       `{"languages": {"de": ["de"]}}`,
		"not JSON":         `{`,
	} {
		if _, err := parseCountryLangs([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if len(countryLangs) < 40 {
		t.Errorf("only %d countries in the shipped table", len(countryLangs))
	}
}

func TestUnknownLangRendersEnglish(t *testing.T) {
	d := harborview()
	d.Lang = "sv"
	subject, _, html := renderOK(t, d)
	if subject != ConfirmationSubject(d.CustomerName, d.RequestID) || !strings.Contains(html, `<html lang="en">`) {
		t.Errorf("unknown language: subject %q", subject)
	}
}
