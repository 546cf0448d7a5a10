package main

// locale holds what a mail client writes in one language around a reply.
// The original is always our email of Wednesday 25 November 2026, 10:15.
type locale struct {
	tag, lang, wordLang string // "de-DE", "de" (translation), "DE" (Word's lang=)
	re, fw              string // Outlook's reply and forward prefixes
	wordStyle           string // Outlook's personal reply style name

	// Outlook header block names and the original's date as each client writes it.
	from, sent, to, cc, subject string
	outlookDate                 string
	gmailAttr                   string // %s: name, %s: address
	gmailFwd, gmailFwdFrom      string
	gmailDate, gmailOrigDate    string // the forward's date, our email's date
	appleAttr                   string // %s name %s address
	appleFwd                    string
	appleFrom, appleSubject     string
	appleDate, appleTo          string
	tbAttr                      string // %s name
	samsungSep                  string
	samsungFrom, samsungDate    string
	samsungTo, samsungSubject   string
	samsungDateVal              string
	zimbraSep                   string
	zimbraFrom, zimbraTo        string
	zimbraSent, zimbraSubject   string
	zimbraDate                  string
	iphone, galaxy              string
	outlookMobile               string
	webSent, webDate            string // HTML-only webmail header block
}

var locales = map[string]*locale{
	"en-US": {
		tag: "en-US", lang: "en", wordLang: "EN-US", re: "RE:", fw: "FW:", wordStyle: "EmailStyle19",
		from: "From:", sent: "Sent:", to: "To:", cc: "Cc:", subject: "Subject:",
		outlookDate: "Wednesday, November 25, 2026 10:15 AM",
		gmailAttr:   "On Wed, Nov 25, 2026 at 10:15 AM %s <%s> wrote:",
		gmailFwd:    "---------- Forwarded message ---------", gmailFwdFrom: "From:",
		gmailDate: "Thu, Nov 26, 2026 at 8:02 AM", gmailOrigDate: "Wed, Nov 25, 2026 at 10:15 AM",
		appleAttr: "On Nov 25, 2026, at 10:15 AM, %s <%s> wrote:",
		appleFwd:  "Begin forwarded message:", appleFrom: "From:", appleSubject: "Subject:", appleDate: "Date:", appleTo: "To:",
		tbAttr:     "On 11/25/26 10:15 AM, %s wrote:",
		samsungSep: "-------- Original message --------", samsungFrom: "From:", samsungDate: "Date:", samsungTo: "To:",
		samsungSubject: "Subject:", samsungDateVal: "11/25/26 10:15 AM (GMT-05:00)",
		zimbraSep: "----- Original Message -----", zimbraFrom: "From:", zimbraTo: "To:", zimbraSent: "Sent:", zimbraSubject: "Subject:",
		zimbraDate: "Wednesday, November 25, 2026 10:15:00 AM",
		iphone:     "Sent from my iPhone", galaxy: "Sent from my Galaxy", outlookMobile: "Get Outlook for Android",
		webSent: "Sent:", webDate: "Wednesday, November 25, 2026 at 10:15 AM",
	},
	"de-DE": {
		tag: "de-DE", lang: "de", wordLang: "DE", re: "AW:", fw: "WG:", wordStyle: "E-MailFormatvorlage19",
		from: "Von:", sent: "Gesendet:", to: "An:", cc: "Cc:", subject: "Betreff:",
		outlookDate: "Mittwoch, 25. November 2026 10:15",
		gmailAttr:   "Am Mi., 25. Nov. 2026 um 10:15 Uhr schrieb %s <%s>:",
		gmailFwd:    "---------- Weitergeleitete Nachricht ---------", gmailFwdFrom: "Von:",
		gmailDate: "Do., 26. Nov. 2026 um 08:02 Uhr", gmailOrigDate: "Mi., 25. Nov. 2026 um 10:15 Uhr",
		appleAttr: "Am 25.11.2026 um 10:15 schrieb %s <%s>:",
		appleFwd:  "Anfang der weitergeleiteten Nachricht:", appleFrom: "Von:", appleSubject: "Betreff:", appleDate: "Datum:", appleTo: "An:",
		tbAttr:     "Am 25.11.26 um 10:15 schrieb %s:",
		samsungSep: "-------- Ursprüngliche Nachricht --------", samsungFrom: "Von:", samsungDate: "Datum:", samsungTo: "An:",
		samsungSubject: "Betreff:", samsungDateVal: "25.11.26 10:15 (GMT+01:00)",
		zimbraSep: "----- Ursprüngliche Mail -----", zimbraFrom: "Von:", zimbraTo: "An:", zimbraSent: "Gesendet:", zimbraSubject: "Betreff:",
		zimbraDate: "Mittwoch, 25. November 2026 10:15:00",
		iphone:     "Von meinem iPhone gesendet", galaxy: "Von meinem Samsung Galaxy Smartphone gesendet.",
		outlookMobile: "Outlook für Android herunterladen",
		webSent:       "Gesendet:", webDate: "Mittwoch, 25. November 2026 um 10:15 Uhr",
	},
	"es-ES": {
		tag: "es-ES", lang: "es", wordLang: "ES", re: "RE:", fw: "RV:", wordStyle: "EstiloCorreo19",
		from: "De:", sent: "Enviado el:", to: "Para:", cc: "CC:", subject: "Asunto:",
		outlookDate: "miércoles, 25 de noviembre de 2026 10:15",
		gmailAttr:   "El mié, 25 nov 2026 a las 10:15, %s (<%s>) escribió:",
		gmailFwd:    "---------- Mensaje reenviado ---------", gmailFwdFrom: "De:",
		gmailDate: "jue, 26 nov 2026 a las 8:02", gmailOrigDate: "mié, 25 nov 2026 a las 10:15",
		appleAttr: "El 25 nov 2026, a las 10:15, %s <%s> escribió:",
		appleFwd:  "Inicio del mensaje reenviado:", appleFrom: "De:", appleSubject: "Asunto:", appleDate: "Fecha:", appleTo: "Para:",
		tbAttr:     "El 25/11/26 a las 10:15, %s escribió:",
		samsungSep: "-------- Mensaje original --------", samsungFrom: "De:", samsungDate: "Fecha:", samsungTo: "Para:",
		samsungSubject: "Asunto:", samsungDateVal: "25/11/26 10:15 (GMT+01:00)",
		zimbraSep: "----- Mensaje original -----", zimbraFrom: "De:", zimbraTo: "Para:", zimbraSent: "Enviados:", zimbraSubject: "Asunto:",
		zimbraDate: "Miércoles, 25 de Noviembre 2026 10:15:00",
		iphone:     "Enviado desde mi iPhone", galaxy: "Enviado desde mi smartphone Samsung Galaxy.",
		outlookMobile: "Obtener Outlook para Android",
		webSent:       "Enviado:", webDate: "miércoles, 25 de noviembre de 2026, 10:15",
	},
	"pt-BR": {
		tag: "pt-BR", lang: "pt", wordLang: "PT-BR", re: "RES:", fw: "ENC:", wordStyle: "EstiloDeEmail19",
		from: "De:", sent: "Enviada em:", to: "Para:", cc: "Cc:", subject: "Assunto:",
		outlookDate: "quarta-feira, 25 de novembro de 2026 10:15",
		gmailAttr:   "Em qua., 25 de nov. de 2026 às 10:15, %s <%s> escreveu:",
		gmailFwd:    "---------- Mensagem encaminhada ---------", gmailFwdFrom: "De:",
		gmailDate: "qui., 26 de nov. de 2026 às 08:02", gmailOrigDate: "qua., 25 de nov. de 2026 às 10:15",
		appleAttr: "Em 25 de nov. de 2026, à(s) 10:15, %s <%s> escreveu:",
		appleFwd:  "Início da mensagem encaminhada:", appleFrom: "De:", appleSubject: "Assunto:", appleDate: "Data:", appleTo: "Para:",
		tbAttr:     "Em 25/11/2026 10:15, %s escreveu:",
		samsungSep: "-------- Mensagem original --------", samsungFrom: "De:", samsungDate: "Data:", samsungTo: "Para:",
		samsungSubject: "Assunto:", samsungDateVal: "25/11/2026 10:15 (GMT-03:00)",
		zimbraSep: "----- Mensagem original -----", zimbraFrom: "De:", zimbraTo: "Para:", zimbraSent: "Enviadas:", zimbraSubject: "Assunto:",
		zimbraDate: "Quarta-feira, 25 de novembro de 2026 10:15:00",
		iphone:     "Enviado do meu iPhone", galaxy: "Enviado do meu smartphone Galaxy",
		outlookMobile: "Obter o Outlook para Android",
		webSent:       "Enviado:", webDate: "quarta-feira, 25 de novembro de 2026 10:15",
	},
	"pt-PT": {
		tag: "pt-PT", lang: "pt", wordLang: "PT", re: "RE:", fw: "FW:", wordStyle: "EstiloDeEmail19",
		from: "De:", sent: "Enviado:", to: "Para:", cc: "Cc:", subject: "Assunto:",
		outlookDate: "quarta-feira, 25 de novembro de 2026 10:15",
		gmailAttr:   "Em qua., 25/11/2026 às 10:15, %s <%s> escreveu:",
		gmailFwd:    "---------- Mensagem reencaminhada ---------", gmailFwdFrom: "De:",
		gmailDate: "qui., 26/11/2026 às 08:02", gmailOrigDate: "qua., 25/11/2026 às 10:15",
		appleAttr: "A 25/11/2026, às 10:15, %s <%s> escreveu:",
		appleFwd:  "Início da mensagem reencaminhada:", appleFrom: "De:", appleSubject: "Assunto:", appleDate: "Data:", appleTo: "Para:",
		tbAttr:     "A 25/11/2026 10:15, %s escreveu:",
		samsungSep: "-------- Mensagem original --------", samsungFrom: "De:", samsungDate: "Data:", samsungTo: "Para:",
		samsungSubject: "Assunto:", samsungDateVal: "25/11/2026 10:15 (GMT+00:00)",
		zimbraSep: "----- Mensagem original -----", zimbraFrom: "De:", zimbraTo: "Para:", zimbraSent: "Enviadas:", zimbraSubject: "Assunto:",
		zimbraDate: "Quarta-feira, 25 de Novembro de 2026 10:15:00",
		iphone:     "Enviado do meu iPhone", galaxy: "Enviado do meu smartphone Galaxy",
		outlookMobile: "Obter o Outlook para Android",
		webSent:       "Enviado:", webDate: "quarta-feira, 25 de novembro de 2026 10:15",
	},
	"nl-NL": {
		tag: "nl-NL", lang: "nl", wordLang: "NL", re: "RE:", fw: "FW:", wordStyle: "E-mailStijl19",
		from: "Van:", sent: "Verzonden:", to: "Aan:", cc: "CC:", subject: "Onderwerp:",
		outlookDate: "woensdag 25 november 2026 10:15",
		gmailAttr:   "Op wo 25 nov 2026 om 10:15 schreef %s <%s>:",
		gmailFwd:    "---------- Doorgestuurd bericht ---------", gmailFwdFrom: "Van:",
		gmailDate: "do 26 nov 2026 om 08:02", gmailOrigDate: "wo 25 nov 2026 om 10:15",
		appleAttr: "Op 25 nov 2026, om 10:15 heeft %s <%s> het volgende geschreven:",
		appleFwd:  "Begin doorgestuurd bericht:", appleFrom: "Van:", appleSubject: "Onderwerp:", appleDate: "Datum:", appleTo: "Aan:",
		tbAttr:     "Op 25-11-2026 om 10:15 schreef %s:",
		samsungSep: "-------- Oorspronkelijk bericht --------", samsungFrom: "Van:", samsungDate: "Datum:", samsungTo: "Aan:",
		samsungSubject: "Onderwerp:", samsungDateVal: "25-11-2026 10:15 (GMT+01:00)",
		zimbraSep: "----- Oorspronkelijk bericht -----", zimbraFrom: "Van:", zimbraTo: "Aan:", zimbraSent: "Verzonden:", zimbraSubject: "Onderwerp:",
		zimbraDate: "Woensdag 25 november 2026 10:15:00",
		iphone:     "Verstuurd vanaf mijn iPhone", galaxy: "Verzonden vanaf mijn Galaxy",
		outlookMobile: "Outlook voor Android downloaden",
		webSent:       "Verzonden:", webDate: "woensdag 25 november 2026 om 10:15",
	},
	"it-IT": {
		tag: "it-IT", lang: "it", wordLang: "IT", re: "R:", fw: "I:", wordStyle: "StileMessaggioDiPostaElettronica19",
		from: "Da:", sent: "Inviato:", to: "A:", cc: "Cc:", subject: "Oggetto:",
		outlookDate: "mercoledì 25 novembre 2026 10:15",
		gmailAttr:   "Il giorno mer 25 nov 2026 alle ore 10:15 %s <%s> ha scritto:",
		gmailFwd:    "---------- Messaggio inoltrato ---------", gmailFwdFrom: "Da:",
		gmailDate: "gio 26 nov 2026 alle ore 08:02", gmailOrigDate: "mer 25 nov 2026 alle ore 10:15",
		appleAttr: "Il giorno 25 nov 2026, alle ore 10:15, %s <%s> ha scritto:",
		appleFwd:  "Inizio messaggio inoltrato:", appleFrom: "Da:", appleSubject: "Oggetto:", appleDate: "Data:", appleTo: "A:",
		tbAttr:     "Il 25/11/26 10:15, %s ha scritto:",
		samsungSep: "-------- Messaggio originale --------", samsungFrom: "Da:", samsungDate: "Data:", samsungTo: "A:",
		samsungSubject: "Oggetto:", samsungDateVal: "25/11/26 10:15 (GMT+01:00)",
		zimbraSep: "----- Messaggio originale -----", zimbraFrom: "Da:", zimbraTo: "A:", zimbraSent: "Inviato:", zimbraSubject: "Oggetto:",
		zimbraDate: "Mercoledì, 25 novembre 2026 10:15:00",
		iphone:     "Inviato da iPhone", galaxy: "Inviato dal mio dispositivo Galaxy",
		outlookMobile: "Scarica Outlook per Android",
		webSent:       "Inviato:", webDate: "mercoledì 25 novembre 2026 10:15",
	},
	"fr-FR": {
		tag: "fr-FR", lang: "fr", wordLang: "FR", re: "RE :", fw: "TR :", wordStyle: "StyledeCourrierlectronique19",
		from: "De :", sent: "Envoyé :", to: "À :", cc: "Cc :", subject: "Objet :",
		outlookDate: "mercredi 25 novembre 2026 10:15",
		gmailAttr:   "Le mer. 25 nov. 2026 à 10:15, %s <%s> a écrit :",
		gmailFwd:    "---------- Message transféré ---------", gmailFwdFrom: "De :",
		gmailDate: "jeu. 26 nov. 2026 à 08:02", gmailOrigDate: "mer. 25 nov. 2026 à 10:15",
		appleAttr: "Le 25 nov. 2026 à 10:15, %s <%s> a écrit :",
		appleFwd:  "Début du message réexpédié :", appleFrom: "De:", appleSubject: "Objet:", appleDate: "Date:", appleTo: "À:",
		tbAttr:     "Le 25/11/2026 à 10:15, %s a écrit :",
		samsungSep: "-------- Message d'origine --------", samsungFrom: "De :", samsungDate: "Date :", samsungTo: "À :",
		samsungSubject: "Objet :", samsungDateVal: "25/11/2026 10:15 (GMT+01:00)",
		zimbraSep: "----- Mail original -----", zimbraFrom: "De:", zimbraTo: "À:", zimbraSent: "Envoyé:", zimbraSubject: "Objet:",
		zimbraDate: "Mercredi 25 Novembre 2026 10:15:00",
		iphone:     "Envoyé de mon iPhone", galaxy: "Envoyé depuis mon appareil Galaxy",
		outlookMobile: "Télécharger Outlook pour Android",
		webSent:       "Envoyé :", webDate: "mercredi 25 novembre 2026 10:15",
	},
	"fr-CA": {
		tag: "fr-CA", lang: "fr", wordLang: "FR-CA", re: "RE :", fw: "TR :", wordStyle: "StyledeCourrierlectronique19",
		from: "De :", sent: "Envoyé :", to: "À :", cc: "Cc :", subject: "Objet :",
		outlookDate: "25 novembre 2026 10:15",
		gmailAttr:   "Le mer. 25 nov. 2026, à 10 h 15, %s <%s> a écrit :",
		gmailFwd:    "---------- Message transféré ---------", gmailFwdFrom: "De :",
		gmailDate: "jeu. 26 nov. 2026, à 08 h 02", gmailOrigDate: "mer. 25 nov. 2026, à 10 h 15",
		appleAttr: "Le 25 nov. 2026 à 10:15, %s <%s> a écrit :",
		appleFwd:  "Début du message réexpédié :", appleFrom: "De:", appleSubject: "Objet:", appleDate: "Date:", appleTo: "À:",
		tbAttr:     "Le 2026-11-25 à 10 h 15, %s a écrit :",
		samsungSep: "-------- Message d'origine --------", samsungFrom: "De :", samsungDate: "Date :", samsungTo: "À :",
		samsungSubject: "Objet :", samsungDateVal: "2026-11-25 10:15 (GMT-05:00)",
		zimbraSep: "----- Message original -----", zimbraFrom: "De:", zimbraTo: "À:", zimbraSent: "Envoyé:", zimbraSubject: "Objet:",
		zimbraDate: "Mercredi 25 Novembre 2026 10:15:00",
		iphone:     "Envoyé de mon iPhone", galaxy: "Envoyé depuis mon appareil Galaxy",
		outlookMobile: "Télécharger Outlook pour Android",
		webSent:       "Envoyé :", webDate: "25 novembre 2026 10:15",
	},
}
