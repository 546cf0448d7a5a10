package main

// Québec resellers answer the workflow inbox (region CA).
var fixturesCA = []fixture{
	{
		file: "221-fr-ca-outlook-labels.eml", loc: "fr-CA", client: "outlook",
		from: person{"Mathieu Tremblay", "mathieu.tremblay@boreal-ti.example"}, customer: "Érablière Gagnon",
		id: "REQ-3221",
		body: "Bonjour,\n\nCourriel racine : aws-root@erabliere-gagnon.example\nNom du compte : Érablière Gagnon – Production\nType de soutien : Développeur\n\n" +
			"Merci et bonne journée,\nMathieu Tremblay\nBoréal TI inc.",
		want: want("aws-root@erabliere-gagnon.example", "Érablière Gagnon – Production", "developer"),
	},
	{
		file: "222-fr-ca-owa-translated-base64.eml", loc: "fr-CA", client: "owa", charset: "utf-8", cte: "base64", localOurs: true,
		from: person{"Isabelle Côté", "isabelle.cote@laurentides-info.example"}, customer: "Clinique Vétérinaire Laval",
		id:   "REQ-3222",
		body: "Bonjour,\n\nRoot email: ti@veterinaire-laval.example\nAccount nickname: Clinique Vétérinaire Laval\nSupport type: Affaires\n\nMerci!\nIsabelle",
		want: want("ti@veterinaire-laval.example", "Clinique Vétérinaire Laval", "business"),
	},
	{
		file: "223-fr-ca-gmail-prose.eml", loc: "fr-CA", client: "gmail",
		from: person{"Julie Gagné", "julie.gagne@cqfd-studio.example"}, customer: "Studio CQFD",
		id:   "REQ-2P6M4T8R0G",
		body: "Allo,\n\nOn va utiliser aws@cqfd-montreal.example comme courriel racine. Le surnom sera «\u00a0Studio CQFD – Rendu\u00a0» et le\nsoutien de base va faire l'affaire.\n\nMerci!\nJulie",
		want: want("aws@cqfd-montreal.example", "Studio CQFD – Rendu", "basic"),
	},
	{
		file: "224-fr-ca-gmail-forwarded-customer.eml", loc: "fr-CA", client: "gmail", localOurs: true,
		from: person{"Mathieu Tremblay", "mathieu.tremblay@boreal-ti.example"}, customer: "Pourvoirie Mauricie",
		id:   "REQ-3224",
		body: "Bonjour,\n\nVoici la réponse de notre client, plus bas.\n\nMathieu",
		fwd: &inner{from: person{"Gilles Bélanger", "gilles@pourvoirie-mauricie.example"}, to: person{"Mathieu Tremblay", "mathieu.tremblay@boreal-ti.example"},
			date: "jeu. 26 nov. 2026, à 08 h 02",
			body: "Salut Mathieu,\n\nCourriel racine : aws@pourvoirie-mauricie.example\nSurnom du compte : Pourvoirie Mauricie – Réservations\nType de soutien : Affaires\n\nMerci,\nGilles"},
		want: want("aws@pourvoirie-mauricie.example", "Pourvoirie Mauricie – Réservations", "business"),
	},
	{
		file: "225-fr-ca-apple-prose.eml", loc: "fr-CA", client: "apple",
		from: person{"François Richard", "francois@quincaillerie-richard.example"}, customer: "Quincaillerie Richard & Fils",
		id:   "REQ-3225",
		body: "Bonjour,\n\nL'adresse courriel racine est aws@quincaillerie-richard.example. Nommez le compte «\u00a0Quincaillerie Richard & Fils\u00a0».\nAucun soutien pour l’instant.\n\nSalutations,\nFrançois",
		want: want("aws@quincaillerie-richard.example", "Quincaillerie Richard & Fils", "basic"),
	},
	{
		file: "226-fr-ca-iphone-numbered-one-line.eml", loc: "fr-CA", client: "iphone",
		from: person{"Annie Poulin", "annie@beauce-ti.example"}, customer: "Sucrerie de la Beauce",
		id:   "REQ-3226",
		body: "1) aws@sucrerie-beauce.example 2) Sucrerie de la Beauce 🍁 3) Affaires",
		want: want("aws@sucrerie-beauce.example", "Sucrerie de la Beauce 🍁", "business"),
	},
	{
		file: "227-fr-ca-samsung-base64.eml", loc: "fr-CA", client: "samsung",
		from: person{"Éric Côté", "eric.cote@deneigement-cote.example"}, customer: "Déneigement Côté",
		id:   "REQ-3227",
		body: "Courriel racine : aws@deneigement-cote.example\nSurnom : Déneigement Côté\nSoutien : De base",
		want: want("aws@deneigement-cote.example", "Déneigement Côté", "basic"),
	},
	{
		file: "228-fr-ca-thunderbird-inline-latin1-8bit.eml", loc: "fr-CA", client: "thunderbird", charset: "ISO-8859-1",
		from: person{"Geneviève Lavoie", "genevieve@pourvoirie-lac.example"}, customer: "Pourvoirie du Lac-Saint-Jean",
		id:     "REQ-3228",
		body:   "Bonjour,\n\nmes réponses sont insérées plus bas.\n\nGeneviève\n\n{{quote}}",
		inline: [3]string{"aws-root@pourvoirie-lac.example", "Pourvoirie du Lac-Saint-Jean", "Développeur"},
		want:   want("aws-root@pourvoirie-lac.example", "Pourvoirie du Lac-Saint-Jean", "developer"),
	},
	{
		file: "229-fr-ca-zimbra-labels.eml", loc: "fr-CA", client: "zimbra", noToken: true,
		from: person{"Nathalie Gauthier", "nathalie.gauthier@coop-rimouski.example"}, customer: "Coopérative Rimouski",
		id: "REQ-3229",
		body: "Bonjour,\n\nCourriel racine : aws-paie@coop-rimouski.example\nSurnom du compte : Coopérative Rimouski – Paie\nType de soutien : Entreprise\n\n" +
			"Bien à vous,\nNathalie Gauthier",
		want: want("aws-paie@coop-rimouski.example", "Coopérative Rimouski – Paie", "enterprise"),
	},
	{
		file: "230-fr-ca-outlook-inline-red.eml", loc: "fr-CA", client: "outlook", localOurs: true,
		from: person{"Mathieu Tremblay", "mathieu.tremblay@boreal-ti.example"}, customer: "Traiteur Bouchard",
		id:     "REQ-3230",
		body:   "Bonjour,\n\nJ'ai répondu en rouge sous chaque question.\n\nMathieu",
		inline: [3]string{"aws@traiteur-bouchard.example", "Traiteur Bouchard – Événements", "Affaires"},
		want:   want("aws@traiteur-bouchard.example", "Traiteur Bouchard – Événements", "business"),
	},
	{
		file: "231-fr-ca-gmail-question-only.eml", loc: "fr-CA", client: "gmail", localOurs: true,
		from: person{"Julie Gagné", "julie.gagne@cqfd-studio.example"}, customer: "Studio Lumière",
		id:   "REQ-3231",
		body: "Bonjour,\n\nEst-ce que le soutien Affaires est facturé en dollars canadiens? Et le courriel racine peut-il être une\nadresse partagée?\n\nMerci,\nJulie",
		want: want("", "", "", "root_email_missing", "nickname_missing", "support_type_missing"),
	},
	{
		file: "232-fr-ca-outlook-android-two-support-types.eml", loc: "fr-CA", client: "outlook-android",
		from: person{"Olivier Roy", "olivier.roy@roy-techno.example"}, customer: "Boucherie Roy",
		id:   "REQ-3232",
		body: "Courriel racine : aws@boucherie-roy.example\nSurnom du compte : Boucherie Roy\nType de soutien : Affaires ou Développeur, à confirmer",
		want: want("aws@boucherie-roy.example", "Boucherie Roy", "", "support_type_ambiguous"),
	},
}
