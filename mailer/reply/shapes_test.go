package reply

import (
	"strings"
	"testing"
)

// msg builds a reply from a contact with the given subject and body.
func msg(subject, contentType, body string) []byte {
	if contentType == "" {
		contentType = "text/plain; charset=utf-8"
	}
	return []byte("From: Dana <dana@fabrikam.example>\r\nTo: acct-replies@meridian.example\r\nSubject: " + subject +
		"\r\nContent-Type: " + contentType + "\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n"))
}

// got renders an extraction as "root|nick|support|problems" for table tests.
func got(r Reply) string {
	s := func(p *string) string {
		if p == nil {
			return "-"
		}
		return *p
	}
	return s(r.RootEmail) + "|" + s(r.Nickname) + "|" + s(r.SupportType) + "|" + strings.Join(r.Problems, ",")
}

const (
	nothing  = "-|-|-|root_email_missing,nickname_missing,support_type_missing"
	ourSubj  = "Customer Account Provision Request Received—Amazon Web Services (Acme) [REQ-1]"
	leakHist = "\n\nRoot email: leak@history.example\nAccount nickname: Leaked\nSupport type: Enterprise\n"
)

// TestForwardedAnswers: a reseller forwarding their customer's answer — the
// answer is read in the forwarded part, below every client's forward line.
func TestForwardedAnswers(t *testing.T) {
	answer := "Root email: aws@customer.example\nAccount nickname: Customer – Prod\nSupport type: Developer\n"
	want := "aws@customer.example|Customer – Prod|developer|"
	hdr := func(from, date, subject, to string) string {
		return from + " Customer <c@customer.example>\n" + date + " Thu, 26 Nov 2026\n" + subject + " RE: " + ourSubj + "\n" + to + " Dana <dana@fabrikam.example>\n\n"
	}
	for _, c := range []struct{ name, subject, body string }{
		{"gmail en", "Fwd: RE: " + ourSubj, "See below.\n\n---------- Forwarded message ---------\n" + hdr("From:", "Date:", "Subject:", "To:") + answer},
		{"gmail de", "Fwd: AW: " + ourSubj, "Siehe unten.\n\n---------- Weitergeleitete Nachricht ---------\n" + hdr("Von:", "Date:", "Subject:", "To:") + answer},
		{"gmail es", "Fwd: RE: " + ourSubj, "Abajo.\n\n---------- Mensaje reenviado ---------\n" + hdr("De:", "Date:", "Subject:", "To:") + answer},
		{"gmail pt", "Fwd: RES: " + ourSubj, "Abaixo.\n\n---------- Mensagem encaminhada ---------\n" + hdr("De:", "Date:", "Subject:", "To:") + answer},
		{"gmail nl", "Fwd: RE: " + ourSubj, "Zie onder.\n\n---------- Doorgestuurd bericht ---------\n" + hdr("Van:", "Date:", "Subject:", "To:") + answer},
		{"gmail it", "Fwd: R: " + ourSubj, "Sotto.\n\n---------- Messaggio inoltrato ---------\n" + hdr("Da:", "Date:", "Subject:", "To:") + answer},
		{"gmail fr", "Fwd: RE : " + ourSubj, "Ci-dessous.\n\n---------- Message transféré ---------\n" + hdr("De :", "Date :", "Subject :", "To :") + answer},
		{"apple en", "Fwd: " + ourSubj, "FYI\n\nBegin forwarded message:\n\n" + hdr("From:", "Date:", "Subject:", "To:") + answer},
		{"apple de", "Fwd: " + ourSubj, "zK\n\nAnfang der weitergeleiteten Nachricht:\n\n" + hdr("Von:", "Datum:", "Betreff:", "An:") + answer},
		{"apple es", "Fwd: " + ourSubj, "Abajo\n\nInicio del mensaje reenviado:\n\n" + hdr("De:", "Fecha:", "Asunto:", "Para:") + answer},
		{"apple pt", "Fwd: " + ourSubj, "Abaixo\n\nInício da mensagem encaminhada:\n\n" + hdr("De:", "Data:", "Assunto:", "Para:") + answer},
		{"apple nl", "Fwd: " + ourSubj, "Zie\n\nBegin doorgestuurd bericht:\n\n" + hdr("Van:", "Datum:", "Onderwerp:", "Aan:") + answer},
		{"apple it", "Fwd: " + ourSubj, "Sotto\n\nInizio messaggio inoltrato:\n\n" + hdr("Da:", "Data:", "Oggetto:", "A:") + answer},
		{"apple fr", "Fwd: " + ourSubj, "Voir\n\nDébut du message réexpédié :\n\n" + hdr("De:", "Date:", "Objet:", "À:") + answer},
		// Outlook has no forward line: the subject says it is a forward.
		{"outlook en FW", "FW: RE: " + ourSubj, "See below.\n\n" + hdr("From:", "Sent:", "Subject:", "To:") + answer},
		{"outlook de WG", "WG: AW: " + ourSubj, "Siehe unten.\n\n" + hdr("Von:", "Gesendet:", "Betreff:", "An:") + answer},
		{"outlook es RV", "RV: RE: " + ourSubj, "Abajo.\n\n" + hdr("De:", "Enviado el:", "Asunto:", "Para:") + answer},
		{"outlook pt ENC", "ENC: RES: " + ourSubj, "Abaixo.\n\n" + hdr("De:", "Enviada em:", "Assunto:", "Para:") + answer},
		{"outlook it I", "I: R: " + ourSubj, "Sotto.\n\n" + hdr("Da:", "Inviato:", "Oggetto:", "A:") + answer},
		{"outlook fr TR", "TR : RE : " + ourSubj, "Voir plus bas.\n\n" + hdr("De :", "Envoyé :", "Objet :", "À :") + answer},
		{"outlook nl Doorst", "Doorst: RE: " + ourSubj, "Zie onder.\n\n" + hdr("Van:", "Verzonden:", "Onderwerp:", "Aan:") + answer},
		// What the reseller says wins; the forwarded part fills the rest.
		{"reseller overrides support", "Fwd: RE: " + ourSubj, "Support type: Business please.\n\n---------- Forwarded message ---------\n" +
			hdr("From:", "Date:", "Subject:", "To:") + answer},
	} {
		want := want
		if c.name == "reseller overrides support" {
			want = "aws@customer.example|Customer – Prod|business|"
		}
		if g := got(Parse(msg(c.subject, "", c.body))); g != want {
			t.Errorf("%s: got %s, want %s", c.name, g, want)
		}
	}
}

// TestForwardedColleagueInCopy: a colleague of the sender, in copy, whose
// answer is forwarded, is not taken for us.
func TestForwardedColleagueInCopy(t *testing.T) {
	raw := "From: Dana <dana@fabrikam.example>\r\nTo: acct-replies@meridian.example\r\nCc: Bob <bob@fabrikam.example>\r\n" +
		"Subject: FW: RE: " + ourSubj + "\r\n\r\nBob's answer below.\r\n\r\nFrom: Bob <bob@fabrikam.example>\r\nSent: Thursday\r\n" +
		"To: Dana <dana@fabrikam.example>\r\nSubject: RE: " + ourSubj + "\r\n\r\nRoot email: aws@acme.example\r\nAccount nickname: Acme\r\nSupport type: Basic\r\n"
	if g := got(Parse([]byte(raw))); g != "aws@acme.example|Acme|basic|" {
		t.Errorf("got %s", g)
	}
}

// TestHistoryOfOthersIsNotRead: someone else's message below a plain reply
// (no forward) is history, whatever it says.
func TestHistoryOfOthersIsNotRead(t *testing.T) {
	body := "Thanks, will do.\n\nFrom: Customer <c@customer.example>\nSent: Thursday\nTo: Dana\nSubject: RE: " + ourSubj +
		"\n\nRoot email: aws@customer.example\nAccount nickname: Customer Prod\nSupport type: Developer\n"
	if g := got(Parse(msg("RE: "+ourSubj, "", body))); g != nothing {
		t.Errorf("got %s", g)
	}
}

// TestQuoteMarkersEveryLanguage: each language's Outlook header block,
// "Original Message" line and attribution lines (Gmail, Apple Mail,
// Thunderbird, Android) start the quoted original: what follows it, even
// unquoted, is never read as the answer.
func TestQuoteMarkersEveryLanguage(t *testing.T) {
	answer := "Root email: aws@mine.example\nAccount nickname: Mine\nSupport type: Basic\n\n"
	want := "aws@mine.example|Mine|basic|"
	for _, c := range []struct{ lang, client, marker string }{
		{"en", "outlook", "From: Meridian <p@m.example>\nSent: Wednesday, November 25, 2026 10:15 AM\nTo: Dana <d@f.example>\nSubject: " + ourSubj},
		{"en", "gmail", "On Wed, Nov 25, 2026 at 10:15 AM Meridian <p@m.example> wrote:"},
		{"en", "gmail wrapped", "On Wed, Nov 25, 2026 at 10:15 AM Meridian Account Provisioning <\np@m.example> wrote:"},
		{"en", "separator", "-----Original Message-----"},
		{"de", "outlook", "Von: Meridian <p@m.example>\nGesendet: Mittwoch, 25. November 2026 10:15\nAn: Jonas <j@x.example>\nBetreff: " + ourSubj},
		{"de", "gmail", "Am Mi., 25. Nov. 2026 um 10:15 Uhr schrieb Meridian <p@m.example>:"},
		{"de", "gmail wrapped", "Am Mi., 25. Nov. 2026 um 10:15 Uhr schrieb Meridian Account Provisioning <\np@m.example>:"},
		{"de", "apple", "Am 25.11.2026 um 10:15 schrieb Meridian <p@m.example>:"},
		{"de", "thunderbird", "Am 25.11.26 um 10:15 schrieb Meridian:"},
		{"de", "separator", "-----Ursprüngliche Nachricht-----"},
		{"de", "android", "-------- Ursprüngliche Nachricht --------\nVon: Meridian <p@m.example> \nDatum: 25.11.26 10:15 (GMT+01:00) "},
		{"de", "zimbra", "----- Ursprüngliche Mail -----\nVon: \"Meridian\" <p@m.example>\nAn: \"Jonas\" <j@x.example>"},
		{"es", "outlook", "De: Meridian <p@m.example>\nEnviado el: miércoles, 25 de noviembre de 2026 10:15\nPara: Lucía <l@x.example>\nAsunto: " + ourSubj},
		{"es", "gmail", "El mié, 25 nov 2026 a las 10:15, Meridian (<p@m.example>) escribió:"},
		{"es", "apple", "El 25 nov 2026, a las 10:15, Meridian <p@m.example> escribió:"},
		{"es", "thunderbird", "El 25/11/26 a las 10:15, Meridian escribió:"},
		{"es", "separator", "-----Mensaje original-----"},
		{"es", "zimbra", "----- Mensaje original -----\nDe: \"Meridian\" <p@m.example>\nPara: \"Lucía\" <l@x.example>\nEnviados: Miércoles, 25 de Noviembre 2026 10:15:00"},
		{"pt", "outlook", "De: Meridian <p@m.example>\nEnviada em: quarta-feira, 25 de novembro de 2026 10:15\nPara: Rafael <r@x.example>\nAssunto: " + ourSubj},
		{"pt", "outlook pt-PT", "De: Meridian <p@m.example>\nEnviado: quarta-feira, 25 de novembro de 2026 10:15\nPara: João <j@x.example>\nAssunto: " + ourSubj},
		{"pt", "gmail", "Em qua., 25 de nov. de 2026 às 10:15, Meridian <p@m.example> escreveu:"},
		{"pt", "apple pt-PT", "A 25/11/2026, às 10:15, Meridian <p@m.example> escreveu:"},
		{"pt", "separator", "-----Mensagem original-----"},
		{"nl", "outlook", "Van: Meridian <p@m.example>\nVerzonden: woensdag 25 november 2026 10:15\nAan: Sanne <s@x.example>\nOnderwerp: " + ourSubj},
		{"nl", "gmail", "Op wo 25 nov 2026 om 10:15 schreef Meridian <p@m.example>:"},
		{"nl", "apple", "Op 25 nov 2026, om 10:15 heeft Meridian <p@m.example> het volgende geschreven:"},
		{"nl", "thunderbird", "Op 25-11-2026 om 10:15 schreef Meridian:"},
		{"nl", "separator", "-----Oorspronkelijk bericht-----"},
		{"it", "outlook", "Da: Meridian <p@m.example>\nInviato: mercoledì 25 novembre 2026 10:15\nA: Giulia <g@x.example>\nOggetto: " + ourSubj},
		{"it", "gmail", "Il giorno mer 25 nov 2026 alle ore 10:15 Meridian <p@m.example> ha scritto:"},
		{"it", "thunderbird", "Il 25/11/26 10:15, Meridian ha scritto:"},
		{"it", "separator", "-----Messaggio originale-----"},
		{"fr", "outlook", "De : Meridian <p@m.example>\nEnvoyé : mercredi 25 novembre 2026 10:15\nÀ : Camille <c@x.example>\nObjet : " + ourSubj},
		{"fr", "gmail", "Le mer. 25 nov. 2026 à 10:15, Meridian <p@m.example> a écrit :"},
		{"fr-CA", "gmail", "Le mer. 25 nov. 2026, à 10 h 15, Meridian <p@m.example> a écrit :"},
		{"fr", "thunderbird", "Le 25/11/2026 à 10:15, Meridian a écrit :"},
		{"fr", "separator", "-----Message d'origine-----"},
		{"fr", "zimbra", "----- Mail original -----\nDe: \"Meridian\" <p@m.example>\nÀ: \"Camille\" <c@x.example>\nEnvoyé: Mercredi 25 Novembre 2026 10:15:00"},
	} {
		if g := got(Parse(msg("RE: "+ourSubj, "", answer+c.marker+leakHist))); g != want {
			t.Errorf("%s %s: got %s, want %s", c.lang, c.client, g, want)
		}
	}
}

// TestNumberedOnOneLine: three numbered answers typed on one line.
func TestNumberedOnOneLine(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"1. x@y.example 2. Contoso Prod 3. Business", "x@y.example|Contoso Prod|business|"},
		{"1) x@y.example 2) Contoso – Prod 3) Entwickler", "x@y.example|Contoso – Prod|developer|"},
		{"1. Root email: x@y.example 2. Nickname: Contoso 3. Support: Basic", "x@y.example|Contoso|basic|"},
		{"1. x@y.example, 2. Shop 2.0, 3. Sin soporte", "x@y.example|Shop 2.0|basic|"},
		// Not three answers: a sentence that happens to count.
		{"1. We have 2 questions 3 weeks ago", nothing},
		{"1. Can the root be x@y.example? 2. Can it be called Contoso? 3. Business or Developer?", nothing},
	} {
		if g := got(Parse(msg("RE: "+ourSubj, "", c.in+"\n"))); g != c.want {
			t.Errorf("%q: got %s, want %s", c.in, g, c.want)
		}
	}
}

// TestQuestionsGiveNothing: a reply that only asks yields no field, in any
// language, though its questions name support types, the root and a name.
func TestQuestionsGiveNothing(t *testing.T) {
	for _, body := range []string{
		"What is the difference between Business Support and Developer Support? Which support type do you recommend?",
		"Can we call it Contoso Prod? Can the root email be aws@contoso.example?",
		"Was kostet der Business-Support? Darf die Root-E-Mail-Adresse ein Verteiler sein?",
		"¿El soporte Business tiene un coste mínimo? ¿Puede el correo raíz ser aws@x.example?",
		"O suporte Business tem custo mínimo? O e-mail raiz pode ser aws@x.example?",
		"Kunnen we het supporttype later wijzigen van Developer naar Business?",
		"Il supporto Business ha un costo minimo? L'indirizzo email root può essere aws@x.example?",
		"Le support Business est-il facturé 10 % ? L'adresse racine peut-elle être aws@x.example ?",
		"1. Does the root email need to be new?\n2. Can the nickname contain spaces?\n3. Is Business Support billed monthly?",
	} {
		if g := got(Parse(msg("RE: "+ourSubj, "", "Hi,\n\n"+body+"\n\nThanks,\nDana\n"))); g != nothing {
			t.Errorf("%q: got %s", body, g)
		}
	}
}

// TestProseInEveryLanguage: answers written as sentences.
func TestProseInEveryLanguage(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"Use x@y.example as the root email, call it Acme Prod, Developer support.", "x@y.example|Acme Prod|developer|"},
		{"Die Root-E-Mail ist x@y.example, als Namen bitte „Müller – Prod“, Supportart Entwickler.", "x@y.example|Müller – Prod|developer|"},
		{"Die Root-E-Mail ist x@y.example. Das Konto soll Müller Logistik heißen. Wir nehmen den Business-Support.", "x@y.example|Müller Logistik|business|"},
		{"El correo raíz es x@y.example, el alias será Bodega Sur y el tipo de soporte será Business.", "x@y.example|Bodega Sur|business|"},
		{"O e-mail raiz é x@y.example, o apelido da conta será \"Loja Centro\" e sem suporte.", "x@y.example|Loja Centro|basic|"},
		{"Het root-adres is x@y.example, de accountnaam wordt Bakkerij Noord en geen ondersteuning.", "x@y.example|Bakkerij Noord|basic|"},
		{"La email root è x@y.example, il nome dell’account sarà Cantina Sud e il tipo di supporto Sviluppatore.", "x@y.example|Cantina Sud|developer|"},
		{"L'adresse racine est x@y.example, nommez le compte « Érablière – Prod », soutien de base.", "x@y.example|Érablière – Prod|basic|"},
		// A negated type is no answer.
		{"Use x@y.example as root and call it Acme. Wir brauchen keinen Enterprise-Support, nur Developer Support.", "x@y.example|Acme|developer|"},
	} {
		if g := got(Parse(msg("RE: "+ourSubj, "", c.body+"\n"))); g != c.want {
			t.Errorf("%q: got %s, want %s", c.body, g, c.want)
		}
	}
}

// TestLabelsAndValuesEveryLanguage: each language's labels and values, in
// any case and with or without accents, the French space before the colon.
func TestLabelsAndValuesEveryLanguage(t *testing.T) {
	for _, c := range []struct{ root, nick, support, want string }{
		{"Root-E-Mail-Adresse: x@y.example", "Kontoname: Müller", "Supportart: Kein Support", "basic"},
		{"ROOT-E-MAIL: x@y.example", "KONTO-NAME: Müller", "SUPPORT-TYP: ENTWICKLER", "developer"},
		{"Correo raíz: x@y.example", "Nombre de la cuenta: Müller", "Tipo de soporte: Empresarial", "business"},
		{"correo raiz: x@y.example", "alias de la cuenta: Müller", "tipo de soporte: sin soporte", "basic"},
		{"E-mail raiz: x@y.example", "Apelido da conta: Müller", "Tipo de suporte: Desenvolvedor", "developer"},
		{"Endereço de e-mail raiz: x@y.example", "Nome da conta: Müller", "Plano de suporte: Sem suporte", "basic"},
		{"Root-e-mailadres: x@y.example", "Accountnaam: Müller", "Type ondersteuning: Geen", "basic"},
		{"Root e-mail: x@y.example", "Naam van het account: Müller", "Supporttype: Ontwikkelaar", "developer"},
		{"E-mailadres van de rootgebruiker: x@y.example", "Bijnaam van het account: Müller", "Type ondersteuning: Business", "business"},
		{"Root email (E-Mail-Adresse des Root-Benutzers): x@y.example", "Account nickname (Kontoname): Müller", "Support type (Supportart): Basis", "basic"},
		{"Indirizzo email root: x@y.example", "Nome dell'account: Müller", "Tipo di supporto: Nessun supporto", "basic"},
		{"Email root: x@y.example", "Nome dell’account: Müller", "Livello di supporto: Sviluppatore", "developer"},
		{"Courriel racine : x@y.example", "Surnom du compte : Müller", "Type de soutien : Développeur", "developer"},
		{"Adresse e-mail racine : x@y.example", "Nom du compte : Müller", "Type de support : De base / aucun", "basic"},
		{"COURRIEL RACINE : x@y.example", "NOM DU COMPTE : Müller", "TYPE DE SOUTIEN : DEVELOPPEUR", "developer"},
		{"Root email / Root-E-Mail: x@y.example", "Account nickname / Kontoname: Müller", "Support type / Supportart: Business", "business"},
	} {
		body := c.root + "\n" + c.nick + "\n" + c.support + "\n"
		if g, w := got(Parse(msg("RE: "+ourSubj, "", body))), "x@y.example|Müller|"+c.want+"|"; g != w {
			t.Errorf("%q: got %s, want %s", body, g, w)
		}
	}
}
