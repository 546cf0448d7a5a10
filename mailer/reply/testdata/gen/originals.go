package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/acctflow/acctflow/mailer"
)

const (
	ourDomain  = "meridian-distribution.example"
	ourFrom    = "provisioning@" + ourDomain
	ourName    = "Meridian Account Provisioning"
	workflowIn = "acct-replies@" + ourDomain
	fixtureKey = "acctflow-fixtures"
)

var sig = mailer.Signature{Team: "Account Provisioning", Company: "Meridian Cloud Distribution"}

// mac is the reply-address token of the fixtures (examples/README.md).
func mac(id string) string {
	h := hmac.New(sha256.New, []byte(fixtureKey))
	h.Write([]byte(id))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// replyAddress is the tokenised Reply-To of mailbox for request id.
func replyAddress(mailbox, id string) string {
	at := strings.IndexByte(mailbox, '@')
	return mailbox[:at] + "+" + id + "." + mac(id) + mailbox[at:]
}

// original is one email of ours as the reseller received it.
type original struct {
	subject, text, html string // html: the body's inner HTML
	messageID           string
}

var bodyRE = regexp.MustCompile(`(?s)<body[^>]*>\n?(.*?)</body>`)

// renderOurs renders one of our real English emails with mailer.Render.
func renderOurs(d mailer.Data, id string) original {
	subject, text, doc, err := mailer.Render(d)
	if err != nil {
		panic(err)
	}
	m := bodyRE.FindStringSubmatch(doc)
	if m == nil {
		panic("no body in " + doc)
	}
	return original{subject: subject, text: strings.TrimRight(text, "\n"), html: strings.TrimSpace(m[1]),
		messageID: mailer.MessageID([]byte(fixtureKey), id, d.Kind(), "mail."+ourDomain)}
}

func confirmationEN(id, contact, customer, mailbox string) original {
	d := mailer.ConfirmationData{RequestID: id, ContactName: contact, CustomerName: customer, Sig: sig}
	if mailbox != "" {
		d.ReplyChannel, d.SupportMailbox = mailer.ChannelSupportMailbox, mailbox
	}
	return renderOurs(d, id)
}

// translation is our confirmation in one language, as the translated
// emails will read: the subject tag and the fill-in labels kept in English.
type translation struct {
	subject, greeting, intro        string
	items                           [3]string
	mailboxInstr, replyInstr, lines string
	signoff                         string
}

var translations = map[string]translation{
	"de": {
		subject:  "Anfrage zur Bereitstellung eines Kundenkontos erhalten—Amazon Web Services (%s) [%s]",
		greeting: "Hallo %s,",
		intro:    "wir haben Ihre Anfrage zur Bereitstellung eines neuen Amazon Web Services Kontos\nfür %s erhalten. Dafür benötigen wir drei Angaben von Ihnen:",
		items: [3]string{
			"Eine neue Root-E-Mail-Adresse. Sie muss eindeutig sein, darf noch nie mit\n   Amazon oder AWS verwendet worden sein und muss ein aktives Postfach sein,\n   das E-Mails zum Zurücksetzen des Passworts empfängt.",
			"Der Kontoname (Spitzname) des AWS-Kontos.",
			"Die Supportart: Business Support, Developer Support oder Basic/kein Support.\n   Enterprise Support läuft über Ihren Amazon Web Services Vertrieb.",
		},
		mailboxInstr: "Bitte senden Sie diese Angaben an unser regionales Support-Postfach,\n%s: Antworten Sie auf diese E-Mail, die dorthin geht, und füllen\nSie die Zeilen unten aus.",
		replyInstr:   "Bitte antworten Sie auf diese E-Mail und füllen Sie die Zeilen unten aus.",
		lines:        "Root email / Root-E-Mail:\nAccount nickname / Kontoname:\nSupport type / Supportart:",
		signoff:      "Mit freundlichen Grüßen\nAccount Provisioning\nMeridian Cloud Distribution",
	},
	"es": {
		subject:  "Solicitud de aprovisionamiento de cuenta recibida—Amazon Web Services (%s) [%s]",
		greeting: "Hola %s:",
		intro:    "Hemos recibido su solicitud para aprovisionar una nueva cuenta de Amazon Web\nServices para %s. Para configurarla necesitamos tres datos:",
		items: [3]string{
			"Una nueva dirección de correo raíz. Debe ser única, no haberse usado nunca\n   con Amazon o AWS y ser un buzón activo que reciba los correos de\n   restablecimiento de contraseña.",
			"El alias de la cuenta de AWS.",
			"El tipo de soporte: Business Support, Developer Support o Basic/sin soporte.\n   Enterprise Support se gestiona con su representante de ventas de Amazon\n   Web Services.",
		},
		mailboxInstr: "Envíe estos datos a nuestro buzón de soporte regional,\n%s: responda a este correo, que llega allí, y complete las\nlíneas siguientes.",
		replyInstr:   "Responda a este correo y complete las líneas siguientes.",
		lines:        "Root email / Correo raíz:\nAccount nickname / Alias de la cuenta:\nSupport type / Tipo de soporte:",
		signoff:      "Saludos cordiales,\nAccount Provisioning\nMeridian Cloud Distribution",
	},
	"pt": {
		subject:  "Solicitação de provisionamento de conta recebida—Amazon Web Services (%s) [%s]",
		greeting: "Olá %s,",
		intro:    "Recebemos sua solicitação para provisionar uma nova conta da Amazon Web\nServices para %s. Para configurá-la, precisamos de três informações:",
		items: [3]string{
			"Um novo e-mail raiz. Ele deve ser único, nunca ter sido usado com a Amazon\n   ou a AWS e ser uma caixa de correio ativa que receba os e-mails de\n   redefinição de senha.",
			"O apelido da conta AWS.",
			"O tipo de suporte: Business Support, Developer Support ou Basic/sem suporte.\n   O Enterprise Support é tratado com seu representante de vendas da Amazon\n   Web Services.",
		},
		mailboxInstr: "Envie esses dados para a nossa caixa de suporte regional,\n%s: responda a este e-mail, que vai para lá, e preencha\nas linhas abaixo.",
		replyInstr:   "Responda a este e-mail e preencha as linhas abaixo.",
		lines:        "Root email / E-mail raiz:\nAccount nickname / Apelido da conta:\nSupport type / Tipo de suporte:",
		signoff:      "Atenciosamente,\nAccount Provisioning\nMeridian Cloud Distribution",
	},
	"nl": {
		subject:  "Aanvraag voor klantaccount ontvangen—Amazon Web Services (%s) [%s]",
		greeting: "Hallo %s,",
		intro:    "We hebben uw aanvraag ontvangen om een nieuw Amazon Web Services-account\naan te maken voor %s. Daarvoor hebben we drie gegevens van u nodig:",
		items: [3]string{
			"Een nieuw root-e-mailadres. Het moet uniek zijn, mag nooit eerder met\n   Amazon of AWS zijn gebruikt en moet een actieve mailbox zijn die de\n   e-mails voor het herstellen van het wachtwoord ontvangt.",
			"De accountnaam (bijnaam) van het AWS-account.",
			"Het type ondersteuning: Business Support, Developer Support of Basic/geen\n   support. Enterprise Support loopt via uw Amazon Web Services-accountmanager.",
		},
		mailboxInstr: "Stuur deze gegevens naar onze regionale supportmailbox,\n%s: beantwoord deze e-mail, die daar aankomt, en vul\nde regels hieronder in.",
		replyInstr:   "Beantwoord deze e-mail en vul de regels hieronder in.",
		lines:        "Root email / Root-e-mailadres:\nAccount nickname / Accountnaam:\nSupport type / Type ondersteuning:",
		signoff:      "Met vriendelijke groet,\nAccount Provisioning\nMeridian Cloud Distribution",
	},
	"it": {
		subject:  "Richiesta di creazione account cliente ricevuta—Amazon Web Services (%s) [%s]",
		greeting: "Buongiorno %s,",
		intro:    "abbiamo ricevuto la vostra richiesta di creare un nuovo account Amazon Web\nServices per %s. Per configurarlo ci servono tre informazioni:",
		items: [3]string{
			"Un nuovo indirizzo email root. Deve essere unico, non essere mai stato usato\n   con Amazon o AWS ed essere una casella attiva che riceve le email di\n   reimpostazione della password.",
			"Il nome dell'account AWS.",
			"Il tipo di supporto: Business Support, Developer Support oppure Basic/nessun\n   supporto. L'Enterprise Support passa dal vostro referente commerciale\n   Amazon Web Services.",
		},
		mailboxInstr: "Inviate questi dati alla nostra casella di supporto regionale,\n%s: rispondete a questa email, che arriva lì, e compilate\nle righe qui sotto.",
		replyInstr:   "Rispondete a questa email e compilate le righe qui sotto.",
		lines:        "Root email / Email root:\nAccount nickname / Nome dell'account:\nSupport type / Tipo di supporto:",
		signoff:      "Cordiali saluti,\nAccount Provisioning\nMeridian Cloud Distribution",
	},
	"fr": {
		subject:  "Demande de création de compte client reçue—Amazon Web Services (%s) [%s]",
		greeting: "Bonjour %s,",
		intro:    "Nous avons bien reçu votre demande de création d'un nouveau compte Amazon Web\nServices pour %s. Pour le configurer, nous avons besoin de trois informations :",
		items: [3]string{
			"Une nouvelle adresse courriel racine. Elle doit être unique, n'avoir jamais\n   été utilisée avec Amazon ou AWS et être une boîte active qui reçoit les\n   courriels de réinitialisation du mot de passe.",
			"Le surnom du compte AWS.",
			"Le type de soutien : Business Support, Developer Support ou Basic/aucun\n   soutien. Enterprise Support passe par votre représentant commercial\n   Amazon Web Services.",
		},
		mailboxInstr: "Veuillez envoyer ces informations à notre boîte de support régionale,\n%s : répondez à ce courriel, qui y arrive, et complétez\nles lignes ci-dessous.",
		replyInstr:   "Veuillez répondre à ce courriel et compléter les lignes ci-dessous.",
		lines:        "Root email / Courriel racine :\nAccount nickname / Surnom du compte :\nSupport type / Type de soutien :",
		signoff:      "Cordialement,\nAccount Provisioning\nMeridian Cloud Distribution",
	},
}

// confirmationIn renders our confirmation in lang ("en" uses the real
// templates); mailbox is the regional support mailbox, "" for US/CA.
func confirmationIn(lang, id, contact, customer, mailbox string) original {
	base := strings.SplitN(lang, "-", 2)[0]
	if base == "en" {
		return confirmationEN(id, contact, customer, mailbox)
	}
	t, ok := translations[base]
	if !ok {
		panic("no translation " + lang)
	}
	var text strings.Builder
	fmt.Fprintf(&text, t.greeting+"\n\n", contact)
	fmt.Fprintf(&text, t.intro+"\n\n", customer)
	for i, it := range t.items {
		fmt.Fprintf(&text, "%d. %s\n", i+1, it)
	}
	text.WriteString("\n")
	if mailbox != "" {
		fmt.Fprintf(&text, t.mailboxInstr+"\n\n", mailbox)
	} else {
		text.WriteString(t.replyInstr + "\n\n")
	}
	text.WriteString(t.lines + "\n\n" + t.signoff)

	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	esc := html.EscapeString
	var h strings.Builder
	fmt.Fprintf(&h, "<p>%s</p>\n<p>%s</p>\n<ol>\n", esc(fmt.Sprintf(t.greeting, contact)), esc(flat(fmt.Sprintf(t.intro, customer))))
	for _, it := range t.items {
		fmt.Fprintf(&h, "<li>%s</li>\n", esc(flat(it)))
	}
	h.WriteString("</ol>\n")
	if mailbox != "" {
		instr := flat(fmt.Sprintf(t.mailboxInstr, mailbox))
		instr = strings.Replace(esc(instr), mailbox, `<a href="mailto:`+mailbox+`">`+mailbox+`</a>`, 1)
		fmt.Fprintf(&h, "<p>%s</p>\n", instr)
	} else {
		fmt.Fprintf(&h, "<p>%s</p>\n", esc(t.replyInstr))
	}
	fmt.Fprintf(&h, "<p>%s</p>\n<p>%s</p>", strings.ReplaceAll(esc(t.lines), "\n", "<br>\n"), strings.ReplaceAll(esc(t.signoff), "\n", "<br>\n"))
	return original{
		subject:   fmt.Sprintf(t.subject, customer, id),
		text:      text.String(),
		html:      h.String(),
		messageID: mailer.MessageID([]byte(fixtureKey), id, mailer.KindConfirmation, "mail."+ourDomain),
	}
}
