package main

const emea = "cloud-support-emea@" + ourDomain

var fixturesDE = []fixture{
	{
		file: "101-de-outlook-labels-cp1252.eml", loc: "de-DE", client: "outlook", charset: "windows-1252",
		from: person{"Jonas Becker", "jonas.becker@nordlicht-it.example"}, customer: "Müller Logistik GmbH",
		id: "REQ-3101", mailbox: emea,
		body: "Hallo zusammen,\n\nanbei die Angaben für das neue Konto:\n\nRoot-E-Mail: aws-root@mueller-logistik.example\n" +
			"Kontoname: Müller Logistik Produktion\nSupportart: Entwickler\n\nMit freundlichen Grüßen\nJonas Becker\nNordlicht IT GmbH\nTel. +49 40 1234567",
		want: want("aws-root@mueller-logistik.example", "Müller Logistik Produktion", "developer"),
	},
	{
		file: "102-de-owa-translated-base64.eml", loc: "de-DE", client: "owa", charset: "utf-8", cte: "base64",
		from: person{"Sabine Krüger", "sabine.krueger@alpenwerk-systeme.example"}, customer: "Bäckerei Groß & Söhne",
		id: "REQ-3102", mailbox: emea, localOurs: true,
		body: "Guten Tag,\n\nRoot email: it-aws@baeckerei-gross.example\nAccount nickname: Bäckerei Groß – Webshop\nSupport type: Kein Support\n\nViele Grüße\nSabine Krüger",
		want: want("it-aws@baeckerei-gross.example", "Bäckerei Groß – Webshop", "basic"),
	},
	{
		file: "103-de-gmail-prose.eml", loc: "de-DE", client: "gmail",
		from: person{"Lukas Schäfer", "lukas.schaefer@wolkenwerk.example"}, customer: "Schwarzwald Klinik",
		id: "REQ-8M2K4Q7V1C", mailbox: emea,
		body: "Hallo,\n\nals Root-E-Mail nehmen wir bitte cloud-root@schwarzwald-klinik.example, als Namen bitte „Schwarzwald Klinik – Bildarchiv“\n" +
			"und beim Support reicht uns Developer.\n\nDanke und viele Grüße\nLukas",
		want: want("cloud-root@schwarzwald-klinik.example", "Schwarzwald Klinik – Bildarchiv", "developer"),
	},
	{
		file: "104-de-gmail-forwarded-customer.eml", loc: "de-DE", client: "gmail",
		from: person{"Jonas Becker", "jonas.becker@nordlicht-it.example"}, customer: "Fahrradwerk Köln",
		id: "REQ-3104", mailbox: emea, localOurs: true,
		body: "Hallo Meridian-Team,\n\nunten die Antwort unseres Kunden, bitte so anlegen.\n\nGruß\nJonas",
		fwd: &inner{from: person{"Petra Vogel", "p.vogel@fahrradwerk-koeln.example"}, to: person{"Jonas Becker", "jonas.becker@nordlicht-it.example"},
			date: "Do., 26. Nov. 2026 um 08:02 Uhr",
			body: "Hallo Herr Becker,\n\nhier unsere Angaben:\n\nRoot-E-Mail-Adresse: aws@fahrradwerk-koeln.example\nKontoname: Fahrradwerk Köln – Produktion\n" +
				"Supportart: Business\n\nBeste Grüße\nPetra Vogel"},
		want: want("aws@fahrradwerk-koeln.example", "Fahrradwerk Köln – Produktion", "business"),
	},
	{
		file: "105-de-apple-prose.eml", loc: "de-DE", client: "apple",
		from: person{"Markus Weber", "m.weber@bodensee-it.example"}, customer: "Stadtwerke Überlingen",
		id: "REQ-3105", mailbox: emea,
		body: "Hallo,\n\ndie Root-E-Mail-Adresse ist aws-admin@stadtwerke-ueberlingen.example. Das Konto soll „SWÜ Zählerdaten“ heißen,\nSupportart Basis.\n\nViele Grüße\nMarkus Weber",
		want: want("aws-admin@stadtwerke-ueberlingen.example", "SWÜ Zählerdaten", "basic"),
	},
	{
		file: "106-de-iphone-numbered-one-line.eml", loc: "de-DE", client: "iphone",
		from: person{"Anna Roth", "anna.roth@brauhaus-it.example"}, customer: "Brauhaus Weißenburg",
		id: "REQ-3106", mailbox: emea,
		body: "1. aws-root@brauhaus-weissenburg.example 2. Brauhaus Weißenburg 🍺 3. Business",
		want: want("aws-root@brauhaus-weissenburg.example", "Brauhaus Weißenburg 🍺", "business"),
	},
	{
		file: "107-de-samsung-base64.eml", loc: "de-DE", client: "samsung",
		from: person{"Tobias Hofmann", "tobias@hofmann-edv.example"}, customer: "Zahnarztpraxis Dr. Hofmann",
		id: "REQ-3107", mailbox: emea,
		body: "Root-E-Mail: aws@zahnarzt-hofmann.example\nKonto-Name: Praxis Dr. Hofmann\nSupport: Entwickler",
		want: want("aws@zahnarzt-hofmann.example", "Praxis Dr. Hofmann", "developer"),
	},
	{
		file: "108-de-thunderbird-inline-latin9-8bit.eml", loc: "de-DE", client: "thunderbird", charset: "ISO-8859-15",
		from: person{"Jörg Lehmann", "joerg.lehmann@elbe-systemhaus.example"}, customer: "Elbe Reederei",
		id: "REQ-3108", mailbox: emea,
		body:   "Hallo,\n\nAntworten stehen unten im Text.\n\nJörg\n\n{{quote}}\n\n-- \nJörg Lehmann\nElbe Systemhaus · Hamburg",
		inline: [3]string{"reederei-aws@elbe-reederei.example", "Elbe Reederei Flottenportal", "Entwickler"},
		want:   want("reederei-aws@elbe-reederei.example", "Elbe Reederei Flottenportal", "developer"),
	},
	{
		file: "109-de-zimbra-labels.eml", loc: "de-DE", client: "zimbra",
		from: person{"Claudia Schäfer", "c.schaefer@kanzlei-it.example"}, customer: "Kanzlei Schäfer & Partner",
		id: "REQ-3109", mailbox: emea, noToken: true,
		body: "Guten Morgen,\n\nRoot email: aws-kanzlei@schaefer-partner.example\nAccount nickname: Kanzlei Schäfer & Partner – Akten\nSupport type: Entwicklersupport\n\nGrüße\nClaudia Schäfer",
		want: want("aws-kanzlei@schaefer-partner.example", "Kanzlei Schäfer & Partner – Akten", "developer"),
	},
	{
		file: "110-de-outlook-inline-red.eml", loc: "de-DE", client: "outlook", localOurs: true,
		from: person{"Jonas Becker", "jonas.becker@nordlicht-it.example"}, customer: "Elektro Lange",
		id: "REQ-3110", mailbox: emea,
		body:   "Hallo,\n\nmeine Antworten stehen unten in Rot.\n\nGruß\nJonas",
		inline: [3]string{"aws-root@elektro-lange.example", "Elektro Lange – ERP", "Business"},
		want:   want("aws-root@elektro-lange.example", "Elektro Lange – ERP", "business"),
	},
	{
		file: "111-de-gmail-question-only.eml", loc: "de-DE", client: "gmail", localOurs: true,
		from: person{"Sabine Krüger", "sabine.krueger@alpenwerk-systeme.example"}, customer: "Alpenwerk Holz",
		id: "REQ-3111", mailbox: emea,
		body: "Hallo,\n\nbevor wir antworten: Was kostet der Business-Support in Ihrem Payer-Account? Und darf die Root-E-Mail-Adresse\nein Verteiler sein?\n\nDanke\nSabine",
		want: want("", "", "", "root_email_missing", "nickname_missing", "support_type_missing"),
	},
	{
		file: "112-de-webmail-html-only-cp1252.eml", loc: "de-DE", client: "webmail", charset: "windows-1252",
		from: person{"Günter Nägele", "g.naegele@web-mail.example"}, customer: "Autohaus Nägele",
		id: "REQ-3112", mailbox: emea,
		body: "Sehr geehrte Damen und Herren,\n\nRoot-E-Mail: aws-autohaus@naegele-kfz.example\nKontoname: Autohaus Nägele – Service\nSupportart: Enterprise\n\nMit freundlichem Gruß\nGünter Nägele",
		want: want("aws-autohaus@naegele-kfz.example", "Autohaus Nägele – Service", "enterprise"),
	},
}
