package main

var fixturesES = []fixture{
	{
		file: "121-es-outlook-labels.eml", loc: "es-ES", client: "outlook",
		from: person{"Lucía Fernández", "lucia.fernandez@iberica-cloud.example"}, customer: "Ferretería Sánchez",
		id: "REQ-3121", mailbox: emea,
		body: "Buenos días:\n\nLes envío los datos:\n\nCorreo raíz: aws-root@ferreteria-sanchez.example\nNombre de la cuenta: Ferretería Sánchez – Producción\n" +
			"Tipo de soporte: Empresarial\n\nUn saludo,\nLucía Fernández\nIbérica Cloud S.L.",
		want: want("aws-root@ferreteria-sanchez.example", "Ferretería Sánchez – Producción", "business"),
	},
	{
		file: "122-es-owa-translated-base64.eml", loc: "es-ES", client: "owa", charset: "utf-8", cte: "base64", localOurs: true,
		from: person{"Javier Ortega", "j.ortega@mediterranea-ti.example"}, customer: "Clínica Dental Sonrisa",
		id: "REQ-3122", mailbox: emea,
		body: "Hola,\n\nRoot email: sistemas@clinica-sonrisa.example\nAccount nickname: Clínica Dental Sonrisa\nSupport type: Sin soporte\n\nSaludos\nJavier",
		want: want("sistemas@clinica-sonrisa.example", "Clínica Dental Sonrisa", "basic"),
	},
	{
		file: "123-es-gmail-prose.eml", loc: "es-ES", client: "gmail",
		from: person{"Javier Ortega", "j.ortega@mediterranea-ti.example"}, customer: "Bodegas Rioja Alta",
		id: "REQ-5T9W3N6H2D", mailbox: emea,
		body: "Hola:\n\nPara la cuenta raíz usad it-cloud@bodegas-rioja.example, el alias será «Bodegas Rioja Alta – Ventas» y el tipo de\nsoporte será Business.\n\nGracias,\nJavier",
		want: want("it-cloud@bodegas-rioja.example", "Bodegas Rioja Alta – Ventas", "business"),
	},
	{
		file: "124-es-gmail-forwarded-customer.eml", loc: "es-ES", client: "gmail", localOurs: true, noToken: true,
		from: person{"Lucía Fernández", "lucia.fernandez@iberica-cloud.example"}, customer: "Hotel Mirador del Mar",
		id: "REQ-3124", mailbox: emea,
		body: "Hola equipo,\n\nos reenvío la respuesta del cliente.\n\nSaludos,\nLucía",
		fwd: &inner{from: person{"Raúl Domínguez", "raul@hotel-mirador.example"}, to: person{"Lucía Fernández", "lucia.fernandez@iberica-cloud.example"},
			date: "jue, 26 nov 2026 a las 8:02",
			body: "Buenos días, Lucía:\n\nDirección de correo raíz: aws-cuenta@hotel-mirador.example\nAlias de la cuenta: Hotel Mirador del Mar\n" +
				"Tipo de soporte: Desarrollador\n\nUn cordial saludo,\nRaúl"},
		want: want("aws-cuenta@hotel-mirador.example", "Hotel Mirador del Mar", "developer"),
	},
	{
		file: "125-es-apple-prose.eml", loc: "es-ES", client: "apple",
		from: person{"Carmen Ruiz", "carmen.ruiz@andalucia-sistemas.example"}, customer: "Cooperativa Olivar de Jaén",
		id: "REQ-3125", mailbox: emea,
		body: "Hola,\n\nEl correo raíz será aws@cooperativa-olivar.example. Llámala \"Cooperativa Olivar Jaén\", y sin soporte de pago: el\nbásico nos vale.\n\nSaludos\nCarmen",
		want: want("aws@cooperativa-olivar.example", "Cooperativa Olivar Jaén", "basic"),
	},
	{
		file: "126-es-iphone-numbered-one-line.eml", loc: "es-ES", client: "iphone",
		from: person{"Diego Martínez", "diego@taller-it.example"}, customer: "Taller Martínez",
		id: "REQ-3126", mailbox: emea,
		body: "1) aws-root@taller-martinez.example 2) Taller Martínez 🚗 3) Desarrollador",
		want: want("aws-root@taller-martinez.example", "Taller Martínez 🚗", "developer"),
	},
	{
		file: "127-es-samsung-base64.eml", loc: "es-ES", client: "samsung",
		from: person{"Marta Gil", "marta.gil@costa-ti.example"}, customer: "Academia de Idiomas Málaga",
		id: "REQ-3127", mailbox: emea,
		body: "Email root: aws@academia-malaga.example\nNombre de cuenta: Academia Idiomas Málaga\nSoporte: Ninguno",
		want: want("aws@academia-malaga.example", "Academia Idiomas Málaga", "basic"),
	},
	{
		file: "128-es-thunderbird-inline-latin1-8bit.eml", loc: "es-ES", client: "thunderbird", charset: "ISO-8859-1",
		from: person{"Álvaro López", "alvaro.lopez@gestoria-lopez.example"}, customer: "Gestoría López",
		id: "REQ-3128", mailbox: emea,
		body:   "Hola, respondo entre líneas.\n\n{{quote}}\n\nUn saludo,\nÁlvaro",
		inline: [3]string{"aws-root@gestoria-lopez.example", "Gestoría López Nóminas", "Business"},
		want:   want("aws-root@gestoria-lopez.example", "Gestoría López Nóminas", "business"),
	},
	{
		file: "129-es-zimbra-labels.eml", loc: "es-ES", client: "zimbra",
		from: person{"Pilar Navarro", "pilar.navarro@universidad-norte.example"}, customer: "Universidad del Norte",
		id: "REQ-3129", mailbox: emea, noToken: true,
		body: "Buenas tardes:\n\nCorreo electrónico raíz: aws-investigacion@universidad-norte.example\nAlias de la cuenta: UNorte – Investigación\n" +
			"Nivel de soporte: Enterprise\n\nAtentamente,\nPilar Navarro\nServicio de Informática",
		want: want("aws-investigacion@universidad-norte.example", "UNorte – Investigación", "enterprise"),
	},
	{
		file: "130-es-outlook-inline-red.eml", loc: "es-ES", client: "outlook", localOurs: true,
		from: person{"Lucía Fernández", "lucia.fernandez@iberica-cloud.example"}, customer: "Transportes García",
		id: "REQ-3130", mailbox: emea,
		body:   "Hola,\n\nOs contesto debajo de cada punto, en rojo.\n\nUn saludo,\nLucía",
		inline: [3]string{"aws@transportes-garcia.example", "Transportes García – Flota", "Empresarial"},
		want:   want("aws@transportes-garcia.example", "Transportes García – Flota", "business"),
	},
	{
		file: "131-es-gmail-question-only.eml", loc: "es-ES", client: "gmail", localOurs: true,
		from: person{"Lucía Fernández", "lucia.fernandez@iberica-cloud.example"}, customer: "Seguros Atlántico",
		id: "REQ-3131", mailbox: emea,
		body: "Hola,\n\n¿El correo raíz puede ser una lista de distribución? ¿Qué diferencia hay entre el soporte Business y el\nDeveloper en vuestra cuenta pagadora?\n\nGracias\nLucía",
		want: want("", "", "", "root_email_missing", "nickname_missing", "support_type_missing"),
	},
	{
		file: "132-es-webmail-html-only-emoji-nickname.eml", loc: "es-ES", client: "webmail",
		from: person{"Rosa Vidal", "rosa.vidal@correo-web.example"}, customer: "Floristería Rosa",
		id: "REQ-3132", mailbox: emea,
		body: "Hola,\n\nCorreo raíz: aws@floristeria-rosa.example\nAlias de la cuenta: 🌹🌹🌹\nTipo de soporte: Básico\n\nGracias\nRosa",
		want: want("aws@floristeria-rosa.example", "", "basic", "nickname_unusable"),
	},
}
