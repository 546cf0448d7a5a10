package reply

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLanguageTables: every table of lang/ loads (unknown keys refused) and
// gives each language what the parser needs of it.
func TestLanguageTables(t *testing.T) {
	l, err := loadLexicon()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"en": true, "fr": true, "de": true, "es": true, "pt": true, "nl": true, "it": true}
	for _, lang := range l.langs {
		delete(want, lang)
	}
	if len(want) > 0 {
		t.Errorf("languages missing: %v", want)
	}
	for _, lang := range l.langs {
		b, err := langFS.ReadFile("lang/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var tb langTable
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		for what, n := range map[string]int{
			"root label": len(tb.Labels.Root.Core), "nickname label": len(tb.Labels.Nickname.Core) + len(tb.Labels.Nickname.Name),
			"support label": len(tb.Labels.Support.Core), "support values": len(tb.Support.Values),
			"header block": len(tb.Quote.From) * len(tb.Quote.Headers) * len(tb.Quote.Subject),
			"separators":   len(tb.Quote.Separators) * len(tb.Quote.ForwardSeparators),
			"attribution":  len(tb.Quote.AttributionStarts) * len(tb.Quote.AttributionVerbs),
			"prefixes":     len(tb.Quote.ReplyPrefixes) * len(tb.Quote.ForwardPrefixes),
			"closings":     len(tb.Signature.Valedictions) * len(tb.Signature.MobileFooters),
			"prose":        len(tb.Prose.NicknameTriggers) * len(tb.Prose.SupportNouns) * len(tb.Prose.RootWords),
		} {
			if n == 0 {
				t.Errorf("%s: no %s", lang, what)
			}
		}
	}
	// Strictness: a misspelt key is an error, not a silently empty list.
	var tb langTable
	dec := json.NewDecoder(strings.NewReader(`{"lang":"xx","labelz":{}}`))
	dec.DisallowUnknownFields()
	if dec.Decode(&tb) == nil {
		t.Error("unknown key accepted")
	}
	if _, err := mergeTables([]langTable{{Lang: "xx"}}); err == nil {
		t.Error("a table set with no labels accepted")
	}
	bad := langTable{Lang: "xx"}
	bad.Support.Values = map[string][]string{"premium": {"gold"}}
	if _, err := mergeTables([]langTable{bad}); err == nil {
		t.Error("unknown support type accepted")
	}
}

// TestANewLanguageIsData: a language is added by a table alone — here
// Swedish — and its labels, values and quote markers are read like the rest.
func TestANewLanguageIsData(t *testing.T) {
	var sv langTable
	if err := json.Unmarshal([]byte(`{
		"lang": "sv",
		"labels": {"filler": ["för", "den", "nya"],
			"root": {"core": ["root"], "words": ["epost", "e-postadress", "adress"]},
			"nickname": {"core": ["kontonamn", "smeknamn"], "name": ["namn"], "account": ["konto", "kontot"]},
			"support": {"core": ["support", "supportnivå"], "words": ["typ", "nivå"]}},
		"support": {"values": {"developer": ["utvecklare"], "basic": ["ingen", "grundläggande"]}, "none_words": ["ingen", "utan"]},
		"quote": {"from": ["Från"], "headers": ["Skickat", "Till"], "subject": ["Ämne"],
			"separators": ["Ursprungligt meddelande"], "forward_separators": ["Vidarebefordrat meddelande"],
			"attribution_starts": ["Den"], "attribution_verbs": ["skrev"], "reply_prefixes": ["SV"], "forward_prefixes": ["VB"]},
		"signature": {"valedictions": ["med vänliga hälsningar", "hälsningar"], "mobile_footers": ["skickat från min "]},
		"prose": {"root_words": ["root"], "nickname_triggers": ["kontot ska heta "], "support_nouns": ["support"]}
	}`), &sv); err != nil {
		t.Fatal(err)
	}
	tables := []langTable{sv}
	names, _ := langFS.ReadDir("lang")
	for _, n := range names {
		b, _ := langFS.ReadFile("lang/" + n.Name())
		var tb langTable
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, tb)
	}
	withSV, err := mergeTables(tables)
	if err != nil {
		t.Fatal(err)
	}
	body := "Hej,\n\nRoot e-postadress: aws@bageri.example\nKontonamn: Bageri Åström – Drift\nSupportnivå: Utvecklare\n\n" +
		"Med vänliga hälsningar\nAnna\n\nFrån: Meridian <provisioning@meridian.example>\nSkickat: den 25 november 2026 10:15\n" +
		"Till: Anna <anna@bageri.example>\nÄmne: " + ourSubj + "\n\nRoot email: leak@x.example\nAccount nickname: Leak\nSupport type: Enterprise\n"
	read := func() string { return got(Parse(msg("SV: "+ourSubj, "", body))) }
	if g := read(); g == "aws@bageri.example|Bageri Åström – Drift|developer|" {
		t.Fatalf("Swedish understood before its table was added: %s", g)
	}
	saved := lex
	lex = withSV // tests only, and no test of this package runs in parallel; the package never writes lex
	defer func() { lex = saved }()
	if g := read(); g != "aws@bageri.example|Bageri Åström – Drift|developer|" {
		t.Errorf("with the Swedish table: got %s", g)
	}
}

// TestClientQuoteWordsKnown: every header name, separator and forward line
// that the mail clients write in each language (Outlook desktop and web,
// Gmail, Apple Mail, Samsung Email, Zimbra) is in the tables, each one on its
// own: a header block is found with two of them, so a missing one would
// otherwise go unnoticed.
func TestClientQuoteWordsKnown(t *testing.T) {
	headers := map[string][]string{
		"en": {"From", "Sent", "To", "Cc", "Subject", "Date"},
		"de": {"Von", "Gesendet", "An", "Cc", "Betreff", "Datum"},
		"es": {"De", "Enviado el", "Enviado", "Enviados", "Para", "CC", "Asunto", "Fecha"},
		"pt": {"De", "Enviada em", "Enviado", "Enviadas", "Para", "Cc", "Assunto", "Data"},
		"nl": {"Van", "Verzonden", "Aan", "CC", "Onderwerp", "Datum"},
		"it": {"Da", "Inviato", "A", "Cc", "Oggetto", "Data"},
		"fr": {"De", "Envoyé", "À", "Cc", "Objet", "Date"},
	}
	for lang, names := range headers {
		for _, n := range names {
			f := headerName(n + ": x")
			if !lex.fromNames[f] && !lex.headerNames[f] {
				t.Errorf("%s: header %q unknown", lang, n)
			}
		}
	}
	for _, s := range []string{
		"-----Original Message-----", "-------- Original message --------", "----- Original Message -----",
		"-----Ursprüngliche Nachricht-----", "----- Ursprüngliche Mail -----", "-----Mensaje original-----",
		"-----Mensagem original-----", "-----Oorspronkelijk bericht-----", "-----Messaggio originale-----",
		"-----Message d'origine-----", "----- Mail original -----", "----- Message original -----",
	} {
		if separatorKind(s) != originalSeparator {
			t.Errorf("%q is no separator", s)
		}
	}
	for _, s := range []string{
		"---------- Forwarded message ---------", "Begin forwarded message:",
		"---------- Weitergeleitete Nachricht ---------", "Anfang der weitergeleiteten Nachricht:",
		"---------- Mensaje reenviado ---------", "Inicio del mensaje reenviado:",
		"---------- Mensagem encaminhada ---------", "Início da mensagem encaminhada:", "Início da mensagem reencaminhada:",
		"---------- Doorgestuurd bericht ---------", "Begin doorgestuurd bericht:",
		"---------- Messaggio inoltrato ---------", "Inizio messaggio inoltrato:",
		"---------- Message transféré ---------", "Début du message réexpédié :",
	} {
		if separatorKind(s) != forwardSeparator {
			t.Errorf("%q is no forward line", s)
		}
	}
	for subject, want := range map[string][2]bool{
		"RE: x": {true, false}, "AW: x": {true, false}, "RES: x": {true, false}, "R: x": {true, false}, "Antw: x": {true, false},
		"RE : x": {true, false}, "FW: x": {false, true}, "Fwd: x": {false, true}, "WG: x": {false, true}, "RV: x": {false, true},
		"TR : x": {false, true}, "I: x": {false, true}, "ENC: x": {false, true}, "Doorst: x": {false, true},
		"[EXTERNAL] FW: RE: x": {false, true}, "Action needed: x": {false, false},
	} {
		rest, reply, fwd := stripSubjectPrefixes(subject)
		if reply != want[0] || fwd != want[1] || rest != "x" && subject != "Action needed: x" {
			t.Errorf("%q: reply %v forward %v rest %q", subject, reply, fwd, rest)
		}
	}
}
