package main

const latam = "cloud-support-latam@" + ourDomain

var fixturesPT = []fixture{
	{
		file: "141-pt-br-outlook-labels.eml", loc: "pt-BR", client: "outlook",
		from: person{"Rafael Souza", "rafael.souza@nuvemtech.example"}, customer: "Padaria São João",
		id: "REQ-3141", mailbox: latam,
		body: "Bom dia,\n\nSeguem os dados:\n\nE-mail raiz: aws-root@padaria-saojoao.example\nApelido da conta: Padaria São João – Produção\n" +
			"Tipo de suporte: Desenvolvedor\n\nAtenciosamente,\nRafael Souza\nNuvem Tech Ltda.",
		want: want("aws-root@padaria-saojoao.example", "Padaria São João – Produção", "developer"),
	},
	{
		file: "142-pt-br-owa-translated-base64.eml", loc: "pt-BR", client: "owa", charset: "utf-8", cte: "base64", localOurs: true,
		from: person{"Fernanda Lima", "fernanda.lima@amazonia-ti.example"}, customer: "Açaí do Pará",
		id: "REQ-3142", mailbox: latam,
		body: "Olá,\n\nRoot email: ti@acai-do-para.example\nAccount nickname: Açaí do Pará Loja\nSupport type: Sem suporte\n\nAbraços,\nFernanda",
		want: want("ti@acai-do-para.example", "Açaí do Pará Loja", "basic"),
	},
	{
		file: "143-pt-br-gmail-prose.eml", loc: "pt-BR", client: "gmail",
		from: person{"Fernanda Lima", "fernanda.lima@amazonia-ti.example"}, customer: "Construtora Horizonte",
		id: "REQ-6R1Y8K3P5B", mailbox: latam,
		body: "Olá,\n\nO e-mail raiz é cloud@construtora-horizonte.example, o apelido da conta será \"Construtora Horizonte – Obras\" e o\ntipo de suporte pode ser Business.\n\nAbraços,\nFernanda",
		want: want("cloud@construtora-horizonte.example", "Construtora Horizonte – Obras", "business"),
	},
	{
		file: "144-pt-br-gmail-forwarded-customer.eml", loc: "pt-BR", client: "gmail", localOurs: true, noToken: true,
		from: person{"Rafael Souza", "rafael.souza@nuvemtech.example"}, customer: "Farmácia Bem-Estar",
		id: "REQ-3144", mailbox: latam,
		body: "Pessoal,\n\nsegue abaixo a resposta do cliente.\n\nAtt.,\nRafael",
		fwd: &inner{from: person{"Cláudia Mendes", "claudia@farmacia-bemestar.example"}, to: person{"Rafael Souza", "rafael.souza@nuvemtech.example"},
			date: "qui., 26 de nov. de 2026 às 08:02",
			body: "Oi Rafael,\n\nEndereço de e-mail raiz: aws@farmacia-bemestar.example\nNome da conta: Farmácia Bem-Estar\nPlano de suporte: Empresarial\n\nObrigada!\nCláudia"},
		want: want("aws@farmacia-bemestar.example", "Farmácia Bem-Estar", "business"),
	},
	{
		file: "145-pt-pt-apple-prose.eml", loc: "pt-PT", client: "apple",
		from: person{"João Pereira", "joao.pereira@lusocloud.example"}, customer: "Quinta do Douro",
		id: "REQ-3145", mailbox: emea,
		body: "Boa tarde,\n\nPara a conta root usem aws@vinhos-douro.example. Como nome, ponham «Quinta do Douro – Loja», por favor.\nSuporte: nenhum.\n\nCumprimentos,\nJoão Pereira",
		want: want("aws@vinhos-douro.example", "Quinta do Douro – Loja", "basic"),
	},
	{
		file: "146-pt-br-iphone-numbered-one-line.eml", loc: "pt-BR", client: "iphone",
		from: person{"Bruno Alves", "bruno@petcloud.example"}, customer: "Pet Shop Amigo Fiel",
		id: "REQ-3146", mailbox: latam,
		body: "1. aws@pet-shop-amigo.example 2. Pet Shop Amigo Fiel 🐶 3. Básico",
		want: want("aws@pet-shop-amigo.example", "Pet Shop Amigo Fiel 🐶", "basic"),
	},
	{
		file: "147-pt-br-samsung-base64.eml", loc: "pt-BR", client: "samsung",
		from: person{"Juliana Costa", "juliana.costa@sul-sistemas.example"}, customer: "Escola Aprender Mais",
		id: "REQ-3147", mailbox: latam,
		body: "E-mail root: ti-aws@escola-aprender.example\nNome da conta: Escola Aprender Mais\nSuporte: Desenvolvedor",
		want: want("ti-aws@escola-aprender.example", "Escola Aprender Mais", "developer"),
	},
	{
		file: "148-pt-br-thunderbird-inline-latin1-8bit.eml", loc: "pt-BR", client: "thunderbird", charset: "ISO-8859-1",
		from: person{"Márcio Ribeiro", "marcio@contabil-ribeiro.example"}, customer: "Contábil Ribeiro",
		id: "REQ-3148", mailbox: latam,
		body:   "Olá, respostas no meio do texto.\n\n{{quote}}\n\nAbs,\nMárcio",
		inline: [3]string{"aws-root@contabil-ribeiro.example", "Contábil Ribeiro", "Business"},
		want:   want("aws-root@contabil-ribeiro.example", "Contábil Ribeiro", "business"),
	},
	{
		file: "149-pt-br-zimbra-labels.eml", loc: "pt-BR", client: "zimbra",
		from: person{"Patrícia Rocha", "patricia.rocha@hospital-luzia.example"}, customer: "Hospital Santa Luzia",
		id: "REQ-3149", mailbox: latam, noToken: true,
		body: "Prezados,\n\nE-mail raiz: aws-pacs@hospital-luzia.example\nApelido da conta: Hospital Santa Luzia – PACS\nTipo de suporte: Enterprise\n\n" +
			"Atenciosamente,\nPatrícia Rocha\nTI – Hospital Santa Luzia",
		want: want("aws-pacs@hospital-luzia.example", "Hospital Santa Luzia – PACS", "enterprise"),
	},
	{
		file: "150-pt-br-outlook-inline-red.eml", loc: "pt-BR", client: "outlook", localOurs: true,
		from: person{"Rafael Souza", "rafael.souza@nuvemtech.example"}, customer: "Agro Cerrado",
		id: "REQ-3150", mailbox: latam,
		body:   "Bom dia,\n\nRespondi abaixo de cada item, em vermelho.\n\nAtt.,\nRafael",
		inline: [3]string{"aws@agro-cerrado.example", "Agro Cerrado – Telemetria", "Desenvolvedor"},
		want:   want("aws@agro-cerrado.example", "Agro Cerrado – Telemetria", "developer"),
	},
	{
		file: "151-pt-br-gmail-question-only.eml", loc: "pt-BR", client: "gmail", localOurs: true,
		from: person{"Rafael Souza", "rafael.souza@nuvemtech.example"}, customer: "Supermercado Bom Preço",
		id: "REQ-3151", mailbox: latam,
		body: "Olá,\n\nO suporte Business tem custo mínimo na conta pagadora de vocês? O e-mail raiz pode ser um alias do\nnosso domínio?\n\nObrigado,\nRafael",
		want: want("", "", "", "root_email_missing", "nickname_missing", "support_type_missing"),
	},
	{
		file: "152-pt-br-outlook-android.eml", loc: "pt-BR", client: "outlook-android",
		from: person{"Gustavo Teixeira", "gustavo@gaucho-ti.example"}, customer: "Móveis Gaúcho",
		id: "REQ-3152", mailbox: latam,
		body: "Segue:\nE-mail raiz: aws@moveis-gaucho.example\nApelido: Móveis Gaúcho\nSuporte: Empresarial",
		want: want("aws@moveis-gaucho.example", "Móveis Gaúcho", "business"),
	},
}
