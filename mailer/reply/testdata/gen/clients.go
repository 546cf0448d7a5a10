package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"strings"

	"github.com/acctflow/acctflow/aws"
	"github.com/acctflow/acctflow/mailer"
)

type person struct{ name, email string }

// fixture is one reseller reply: who wrote it with which client, what they
// typed, and what the parser must read from it.
type fixture struct {
	file      string
	loc       string // key of locales
	client    string // key of clients
	charset   string // body charset; utf-8 when empty
	cte       string // body transfer encoding; the client's usual one when empty
	from      person
	customer  string
	id        string
	mailbox   string // the region's support mailbox; "" for the workflow inbox (US, CA)
	noToken   bool   // sent to the bare mailbox: only the subject tag names the request
	localOurs bool   // our email as the reseller received it was translated
	body      string // what the sender typed, LF line ends
	inline    [3]string
	fwd       *inner
	oursKind  string // "" for the confirmation, "followup" for the email after creation
	date      string
	want      truth
	seeds     int
}

// inner is a message forwarded below the sender's text: their customer's
// answer, itself a reply to our email forwarded to them.
type inner struct {
	from, to person
	date     string // as the forwarding client writes it
	body     string
	ours     bool      // the forwarded message is our own email, forwarded back as it came
	inline   [3]string // the customer typed the answers under our quoted fill-in lines
}

// seed derives stable ids and boundaries from the file name, a different
// string at each call.
func (f *fixture) seed(n int) string {
	f.seeds++
	h := sha256.Sum256([]byte(fmt.Sprintf("%s#%d", f.file, f.seeds)))
	return hex.EncodeToString(h[:])[:n]
}

func (f *fixture) charsetOr(def string) string {
	if f.charset != "" {
		return f.charset
	}
	return def
}

func (f *fixture) cteOr(def string) string {
	if f.cte != "" {
		return f.cte
	}
	return def
}

func (f *fixture) toAddr(withName bool) string {
	box := f.mailbox
	name := ourName
	if box == "" {
		box = workflowIn
	} else {
		name = "Meridian Cloud Support"
	}
	a := box
	if !f.noToken {
		a = replyAddress(box, f.id)
	}
	if !withName {
		return a
	}
	return name + " <" + a + ">"
}

func (f *fixture) domain() string { return f.from.email[strings.IndexByte(f.from.email, '@')+1:] }

func (f *fixture) ours() original {
	if f.oursKind == "followup" {
		return renderOurs(mailer.FollowupData{RequestID: f.id, ContactName: firstName(f.from.name), CustomerName: f.customer,
			AccountID: "210987654321", AccountName: aws.AccountName(f.customer), RootEmail: "aws-root@" + f.domain(), SupportType: "business",
			DistributorAccountID: "111122223333", ExternalID: "ext-" + f.seed(16), RoleName: "MeridianBillingAccess", Sig: sig}, f.id)
	}
	lang := "en"
	if f.localOurs {
		lang = locales[f.loc].lang
	}
	return confirmationIn(lang, f.id, firstName(f.from.name), f.customer, f.mailbox)
}

func firstName(n string) string { return strings.Fields(n)[0] }

// subject encodes a subject header value the way clients do.
func subject(s, charset string, b bool) string { return encodeWord(s, charset, b) }

// ourAddress is how clients show our From in a quote.
func ourAddress() string { return ourName + " <" + ourFrom + ">" }

// ---- Outlook for Windows -------------------------------------------------

func outlookDesktop(f *fixture, l *locale) string {
	o := f.ours()
	cs := f.charsetOr("utf-8")
	cte := f.cteOr("quoted-printable")
	boundary := "----=_NextPart_000_00" + strings.ToUpper(f.seed(2)) + "_01DB5F" + strings.ToUpper(f.seed(2)) + "." + strings.ToUpper(f.seed(8))
	subj := l.re + " " + o.subject
	msgID := "<00" + f.seed(2) + "01db5f3a$" + f.seed(8) + "$" + f.seed(8) + "@" + f.domain() + ">"

	block := fmt.Sprintf("%s %s\n%s %s\n%s %s <%s>\n%s %s", l.from, ourAddress(), l.sent, l.outlookDate, l.to,
		f.from.name, f.from.email, l.subject, o.subject)
	text := outlookAutolinkText(f.body) + "\n\n" + block + "\n\n" + outlookText(o, f.inline)
	var fwdHTML string
	if in := f.fwd; in != nil {
		// Forwarding the customer's reply, which quotes the reseller's own
		// forward of our email: three header blocks, newest first.
		subj = l.fw + " " + l.re + " " + l.fw + " " + o.subject
		custBlock := fmt.Sprintf("%s %s <%s>\n%s %s\n%s %s <%s>\n%s %s", l.from, in.from.name, in.from.email, l.sent, in.date, l.to,
			in.to.name, in.to.email, l.subject, l.re+" "+l.fw+" "+o.subject)
		resBlock := fmt.Sprintf("%s %s <%s>\n%s %s\n%s %s <%s>\n%s %s", l.from, in.to.name, in.to.email, l.sent, l.outlookDate, l.to,
			in.from.name, in.from.email, l.subject, l.fw+" "+o.subject)
		text = outlookAutolinkText(f.body) + "\n\n" + custBlock + "\n\n" + outlookAutolinkText(in.body) + "\n\n" + resBlock + "\n\n" +
			block + "\n\n" + outlookText(o, f.inline)
		hblock := func(b string) string {
			var out strings.Builder
			out.WriteString(`<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>`)
			for i, ln := range strings.Split(b, "\n") {
				k, v, _ := strings.Cut(ln, ": ")
				if i > 0 {
					out.WriteString("<br>")
				}
				out.WriteString(`<b><span lang=` + l.wordLang + `>` + html.EscapeString(k+":") + `</span></b><span lang=` + l.wordLang + `> ` + html.EscapeString(v) + `</span>`)
			}
			out.WriteString(`<o:p></o:p></p></div>` + "\n" + `<p class=MsoNormal><o:p>&nbsp;</o:p></p>` + "\n")
			return out.String()
		}
		fwdHTML = hblock(custBlock) + textHTML(in.body, func(s string) string {
			return `<p class=MsoNormal><span lang=` + l.wordLang + `>` + s + `<o:p></o:p></span></p>` + "\n"
		}, `<p class=MsoNormal><o:p>&nbsp;</o:p></p>`+"\n") + `<p class=MsoNormal><o:p>&nbsp;</o:p></p>` + "\n" + hblock(resBlock)
	}

	wl := l.wordLang
	var h strings.Builder
	h.WriteString(`<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">` + "\n")
	h.WriteString(`<head><meta http-equiv=Content-Type content="text/html; charset=` + cs + `"><meta name=Generator content="Microsoft Word 15 (filtered medium)"><style><!--` + "\n")
	h.WriteString("/* Style Definitions */\np.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:\"Calibri\",sans-serif;}\n" +
		"a:link, span.MsoHyperlink\n\t{mso-style-priority:99;\n\tcolor:#0563C1;\n\ttext-decoration:underline;}\n" +
		"p.MsoListParagraph, li.MsoListParagraph, div.MsoListParagraph\n\t{mso-style-priority:34;\n\tmargin-top:0cm;\n\tmargin-right:0cm;\n\tmargin-bottom:0cm;\n\tmargin-left:36.0pt;\n\tfont-size:11.0pt;\n\tfont-family:\"Calibri\",sans-serif;}\n" +
		"span." + l.wordStyle + "\n\t{mso-style-type:personal-reply;\n\tfont-family:\"Calibri\",sans-serif;\n\tcolor:windowtext;}\n" +
		".MsoChpDefault\n\t{mso-style-type:export-only;\n\tfont-size:10.0pt;}\n@page WordSection1\n\t{size:612.0pt 792.0pt;\n\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}\ndiv.WordSection1\n\t{page:WordSection1;}\n" +
		"--></style><!--[if gte mso 9]><xml>\n<o:shapedefaults v:ext=\"edit\" spidmax=\"1026\" />\n</xml><![endif]--></head>")
	h.WriteString(`<body lang=` + wl + ` link="#0563C1" vlink="#954F72" style='word-wrap:break-word'><div class=WordSection1>`)
	h.WriteString(textHTML(f.body, func(s string) string {
		return `<p class=MsoNormal><span lang=` + wl + `>` + s + `<o:p></o:p></span></p>` + "\n"
	}, `<p class=MsoNormal><span lang=`+wl+`><o:p>&nbsp;</o:p></span></p>`+"\n"))
	h.WriteString(`<p class=MsoNormal><span lang=` + wl + `><o:p>&nbsp;</o:p></span></p>` + "\n")
	h.WriteString(fwdHTML)
	h.WriteString(`<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b><span lang=` + wl + `>` +
		html.EscapeString(l.from) + `</span></b><span lang=` + wl + `> ` + html.EscapeString(ourAddress()) + ` <br><b>` + html.EscapeString(l.sent) + `</b> ` +
		html.EscapeString(l.outlookDate) + `<br><b>` + html.EscapeString(l.to) + `</b> ` + html.EscapeString(f.from.name+" <"+f.from.email+">") +
		`<br><b>` + html.EscapeString(l.subject) + `</b> ` + html.EscapeString(o.subject) + `<o:p></o:p></span></p></div>` + "\n")
	h.WriteString(`<p class=MsoNormal><span lang=` + wl + `><o:p>&nbsp;</o:p></span></p>` + "\n")
	h.WriteString(outlookHTML(o, f.inline, wl))
	h.WriteString("</div></body></html>\n")

	hs := []header{
		{"From", addr(f.from.name, f.from.email, "utf-8", true)},
		{"To", f.toAddr(true)},
		{"References", "<" + o.messageID + ">"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"Subject", subject(subj, "utf-8", true)},
		{"Date", f.date},
		{"Message-ID", msgID},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative;\r\n\tboundary=\"" + boundary + "\""},
		{"X-Mailer", "Microsoft Outlook 16.0"},
		{"Thread-Index", "AQH" + f.seed(20) + "rA=="},
		{"Content-Language", strings.ToLower(l.tag)},
	}
	if f.fwd != nil { // a forward starts a new thread
		hs = append(hs[:2], hs[4:]...)
	}
	return writeHeaders(hs) + "\r\nThis is a multipart message in MIME format.\r\n\r\n" + multipart(boundary,
		part{ctype: "text/plain;\r\n\tcharset=\"" + cs + "\"", cte: cte, payload: encodeCharset(text, cs)}.render(),
		part{ctype: "text/html;\r\n\tcharset=\"" + cs + "\"", cte: cte, payload: encodeCharset(h.String(), cs)}.render(),
	)
}

// ---- Outlook on the web / Exchange Online -------------------------------

func owa(f *fixture, l *locale) string {
	o := f.ours()
	cs := f.charsetOr("iso-8859-1")
	cte := f.cteOr("quoted-printable")
	local := "AM9PR0" + strings.ToUpper(f.seed(1)) + "MB" + strings.ToUpper(f.seed(4)) + strings.ToUpper(f.seed(28))
	boundary := "_000_" + local + "_"
	block := fmt.Sprintf("%s %s\n%s %s\n%s %s <%s>\n%s %s", l.from, ourAddress(), l.sent, l.outlookDate, l.to,
		f.from.name, f.from.email, l.subject, o.subject)
	oursText := o.text
	if f.inline != [3]string{} {
		oursText = outlookText(o, f.inline)
	}
	text := outlookAutolinkText(f.body) + "\n\n________________________________\n" + block + "\n\n" + oursText

	var h strings.Builder
	h.WriteString(`<html><head>` + "\n" + `<meta http-equiv="Content-Type" content="text/html; charset=` + cs + `">` + "\n" +
		`<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>` + "\n" + `</head>` + "\n" + `<body dir="ltr">` + "\n")
	h.WriteString(`<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">` + "\n")
	h.WriteString(textHTML(f.body, func(s string) string { return s + "<br>\n" }, "<br>\n"))
	h.WriteString("</div>\n" + `<div id="appendonsend"></div>` + "\n" + `<hr style="display:inline-block;width:98%" tabindex="-1">` + "\n")
	h.WriteString(`<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>` +
		html.EscapeString(l.from) + `</b> ` + html.EscapeString(ourAddress()) + `<br>` + "\n" + `<b>` + html.EscapeString(l.sent) + `</b> ` +
		html.EscapeString(l.outlookDate) + `<br>` + "\n" + `<b>` + html.EscapeString(l.to) + `</b> ` + html.EscapeString(f.from.name+" <"+f.from.email+">") +
		`<br>` + "\n" + `<b>` + html.EscapeString(l.subject) + `</b> ` + html.EscapeString(o.subject) + `</font>` + "\n" + `<div>&nbsp;</div>` + "\n" + `</div>` + "\n")
	h.WriteString(`<div>` + withInlineHTML(o.html, f.inline) + "\n</div>\n</body>\n</html>\n")

	hs := []header{
		{"From", addr(f.from.name, f.from.email, "utf-8", true)},
		{"To", f.toAddr(true)},
		{"Subject", subject(l.re+" "+o.subject, "utf-8", true)},
		{"Thread-Topic", subject(o.subject, "utf-8", true)},
		{"Thread-Index", "AQHb" + f.seed(16) + "Ag=="},
		{"Date", f.date},
		{"Message-ID", "<" + local + "@" + local[:16] + ".eurprd04.prod.outlook.example>"},
		{"References", "<" + o.messageID + ">"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"Accept-Language", strings.ToLower(l.tag) + ", en-US"},
		{"Content-Language", strings.ToLower(l.tag)},
		{"X-MS-Has-Attach", ""},
		{"X-MS-TNEF-Correlator", ""},
		{"msip_labels", ""},
		{"Content-Type", "multipart/alternative;\r\n\tboundary=\"" + boundary + "\""},
		{"MIME-Version", "1.0"},
	}
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: "text/plain; charset=\"" + cs + "\"", cte: cte, payload: encodeCharset(text, cs)}.render(),
		part{ctype: "text/html; charset=\"" + cs + "\"", cte: cte, payload: encodeCharset(h.String(), cs)}.render(),
	)
}

// ---- Gmail ---------------------------------------------------------------

// gmailWrap wraps the attribution as Gmail's text part does: before the
// address when the line is long.
func gmailWrap(s string) string {
	if len([]rune(s)) <= 78 {
		return s
	}
	if i := strings.LastIndex(s, "<"); i > 0 {
		return s[:i+1] + "\n" + s[i+1:]
	}
	return s
}

func gmail(f *fixture, l *locale) string {
	o := f.ours()
	cte := f.cteOr("quoted-printable")
	boundary := "000000000000" + f.seed(16)
	var text string
	var h strings.Builder
	h.WriteString(`<div dir="ltr">`)
	h.WriteString(textHTML(f.body, func(s string) string { return "<div>" + s + "</div>" }, "<div><br></div>"))
	subj := "Re: " + o.subject
	refs := "<" + o.messageID + ">"
	if f.fwd != nil && f.fwd.ours {
		subj = "Fwd: " + o.subject
		text = f.body + "\n\n" + l.gmailFwd + "\n" + l.gmailFwdFrom + " " + ourAddress() + "\nDate: " + l.gmailOrigDate + "\nSubject: " +
			o.subject + "\nTo: " + f.from.name + " <" + f.from.email + ">\n\n\n" + o.text
		h.WriteString(`<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` + html.EscapeString(l.gmailFwd) + `<br>` +
			html.EscapeString(l.gmailFwdFrom) + ` <strong class="gmail_sendername" dir="auto">` + ourName + `</strong> <span dir="auto">&lt;<a href="mailto:` +
			ourFrom + `">` + ourFrom + `</a>&gt;</span><br>Date: ` + html.EscapeString(l.gmailOrigDate) + `<br>Subject: ` + html.EscapeString(o.subject) +
			`<br>To: ` + html.EscapeString(f.from.name) + ` &lt;<a href="mailto:` + f.from.email + `">` + f.from.email + `</a>&gt;<br></div><br><br>` +
			o.html + "</div></div>\n")
	} else if f.fwd != nil {
		in := f.fwd
		subj = "Fwd: " + l.re + " " + l.fw + " " + o.subject
		innerSubj := l.re + " " + l.fw + " " + o.subject
		// The customer quotes the reseller's forward of our email.
		fwdOurs := l.gmailFwd + "\n" + l.gmailFwdFrom + " " + ourAddress() + "\nDate: " + l.gmailOrigDate + "\nSubject: " + o.subject +
			"\nTo: " + in.to.name + " <" + in.to.email + ">\n\n\n" + o.text
		innerText := in.body + "\n\n" + gmailWrap(fmt.Sprintf(l.gmailAttr, in.to.name, in.to.email)) + "\n\n" + quoteWithAnswers(fwdOurs, in.inline)
		text = f.body + "\n\n" + l.gmailFwd + "\n" + l.gmailFwdFrom + " " + in.from.name + " <" + in.from.email + ">\nDate: " +
			in.date + "\nSubject: " + innerSubj + "\nTo: " + in.to.name + " <" + in.to.email + ">\n\n\n" + innerText
		h.WriteString(`<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` + html.EscapeString(l.gmailFwd) + `<br>` +
			html.EscapeString(l.gmailFwdFrom) + ` <strong class="gmail_sendername" dir="auto">` + html.EscapeString(in.from.name) + `</strong> <span dir="auto">&lt;<a href="mailto:` +
			in.from.email + `">` + in.from.email + `</a>&gt;</span><br>Date: ` + html.EscapeString(in.date) + `<br>Subject: ` + html.EscapeString(innerSubj) +
			`<br>To: ` + html.EscapeString(in.to.name) + ` &lt;<a href="mailto:` + in.to.email + `">` + in.to.email + `</a>&gt;<br></div><br><br>`)
		h.WriteString(`<div dir="ltr">` + textHTML(in.body, func(s string) string { return "<div>" + s + "</div>" }, "<div><br></div>") + `</div><br>`)
		h.WriteString(`<div class="gmail_quote"><div dir="ltr" class="gmail_attr">` + html.EscapeString(fmt.Sprintf(l.gmailAttr, in.to.name, in.to.email)) +
			`<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">` +
			`<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">` + html.EscapeString(l.gmailFwd) + `<br>` + html.EscapeString(l.gmailFwdFrom) +
			` <strong class="gmail_sendername" dir="auto">` + ourName + `</strong> <span dir="auto">&lt;<a href="mailto:` + ourFrom + `">` + ourFrom +
			`</a>&gt;</span><br>Date: ` + html.EscapeString(l.gmailOrigDate) + `<br>Subject: ` + html.EscapeString(o.subject) + `<br>To: ` +
			html.EscapeString(in.to.name) + ` &lt;<a href="mailto:` + in.to.email + `">` + in.to.email + `</a>&gt;<br></div><br><br>` + inlineOurs(o, in.inline) +
			`</div></div></blockquote></div></div>`)
		h.WriteString("</div>\n")
	} else {
		attr := fmt.Sprintf(l.gmailAttr, ourName, ourFrom)
		text = f.body + "\n\n" + gmailWrap(attr) + "\n\n" + quote(o.text)
		h.WriteString(`</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` + html.EscapeString(attr) +
			`<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">` + o.html +
			"</blockquote></div>\n")
	}
	hs := []header{
		{"MIME-Version", "1.0"},
		{"References", refs},
		{"In-Reply-To", refs},
		{"From", addr(f.from.name, f.from.email, "UTF-8", false)},
		{"Date", f.date},
		{"Message-ID", "<CA+" + f.seed(30) + "@mail.gmail.example>"},
		{"Subject", subject(subj, "UTF-8", false)},
		{"To", f.toAddr(false)},
		{"Content-Type", "multipart/alternative; boundary=\"" + boundary + "\""},
	}
	if f.fwd != nil {
		hs = hs[3:] // a forward is a new message: no In-Reply-To
		hs = append([]header{{"MIME-Version", "1.0"}}, hs...)
	}
	ptype := "text/plain; charset=\"UTF-8\""
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: ptype, cte: cte, payload: []byte(text)}.render(),
		part{ctype: "text/html; charset=\"UTF-8\"", cte: cte, payload: []byte(h.String())}.render(),
	)
}

// ---- Apple Mail (macOS) --------------------------------------------------

func appleBoundary(f *fixture) string {
	s := strings.ToUpper(f.seed(32))
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

func apple(f *fixture, l *locale) string {
	o := f.ours()
	boundary := "Apple-Mail=_" + appleBoundary(f)
	var text string
	var h strings.Builder
	h.WriteString(`<html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">`)
	h.WriteString(textHTML(f.body, func(s string) string { return "<div>" + s + "</div>" }, "<div><br></div>"))
	subj := "Re: " + o.subject
	if f.fwd != nil && f.fwd.ours {
		subj = "Fwd: " + o.subject
		text = f.body + "\n\n" + l.gmailFwd + "\n" + l.gmailFwdFrom + " " + ourAddress() + "\nDate: " + l.gmailOrigDate + "\nSubject: " +
			o.subject + "\nTo: " + f.from.name + " <" + f.from.email + ">\n\n\n" + o.text
		h.WriteString(`<br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` + html.EscapeString(l.gmailFwd) + `<br>` +
			html.EscapeString(l.gmailFwdFrom) + ` <strong class="gmail_sendername" dir="auto">` + ourName + `</strong> <span dir="auto">&lt;<a href="mailto:` +
			ourFrom + `">` + ourFrom + `</a>&gt;</span><br>Date: ` + html.EscapeString(l.gmailOrigDate) + `<br>Subject: ` + html.EscapeString(o.subject) +
			`<br>To: ` + html.EscapeString(f.from.name) + ` &lt;<a href="mailto:` + f.from.email + `">` + f.from.email + `</a>&gt;<br></div><br><br>` +
			o.html + "</div></div>\n")
	} else if f.fwd != nil {
		in := f.fwd
		subj = "Fwd: " + l.re + " " + l.fw + " " + o.subject
		innerSubj := l.re + " " + l.fw + " " + o.subject
		innerAttr := fmt.Sprintf(l.appleAttr, in.to.name, in.to.email)
		text = f.body + "\n\n" + l.appleFwd + "\n\n" + l.appleFrom + " " + in.from.name + " <" + in.from.email + ">\n" +
			l.appleSubject + " " + innerSubj + "\n" + l.appleDate + " " + in.date + "\n" + l.appleTo + " " + in.to.name + " <" + in.to.email + ">\n\n" +
			in.body + "\n\n" + quote(innerAttr+"\n\n"+o.text)
		row := func(k, v string) string {
			return `<div style="margin-top: 0px; margin-right: 0px; margin-bottom: 0px; margin-left: 0px;"><span style="font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif; color:rgba(0, 0, 0, 1.0);"><b>` +
				html.EscapeString(k) + ` </b></span><span style="font-family: -webkit-system-font, Helvetica Neue, Helvetica, sans-serif;">` + html.EscapeString(v) + `<br></span></div>`
		}
		h.WriteString(`<div><br><blockquote type="cite"><div>` + html.EscapeString(l.appleFwd) + `</div><br class="Apple-interchange-newline">` +
			row(l.appleFrom, in.from.name+" <"+in.from.email+">") + row(l.appleSubject, innerSubj) + row(l.appleDate, in.date) +
			row(l.appleTo, in.to.name+" <"+in.to.email+">") + `<br><div>` +
			textHTML(in.body, func(s string) string { return "<div>" + s + "</div>" }, "<div><br></div>") +
			`<div><br><blockquote type="cite"><div>` + html.EscapeString(innerAttr) + `</div><br class="Apple-interchange-newline"><div><div>` + o.html +
			`</div></div></blockquote></div></div></blockquote></div><br></body></html>`)
	} else {
		attr := fmt.Sprintf(l.appleAttr, ourName, ourFrom)
		text = f.body + "\n\n" + quote(attr+"\n\n"+o.text)
		h.WriteString(`<div><br><blockquote type="cite"><div>` + html.EscapeString(attr) + `</div><br class="Apple-interchange-newline"><div><div>` +
			o.html + `</div></div></blockquote></div><br></body></html>`)
	}
	hs := []header{
		{"From", addr(f.from.name, f.from.email, "utf-8", false)},
		{"Content-Type", "multipart/alternative;\r\n\tboundary=\"" + boundary + "\""},
		{"Mime-Version", "1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))"},
		{"Subject", subject(subj, "utf-8", false)},
		{"Date", f.date},
	}
	if f.fwd == nil {
		hs = append(hs, header{"In-Reply-To", "<" + o.messageID + ">"})
	}
	hs = append(hs, header{"To", f.toAddr(false)})
	if f.fwd == nil {
		hs = append(hs, header{"References", "<" + o.messageID + ">"})
	}
	hs = append(hs, header{"Message-Id", "<" + appleBoundary(f) + "@" + f.domain() + ">"}, header{"X-Mailer", "Apple Mail (2.3826.400.131.1.6)"})
	tpart := "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\n" + encodeBody([]byte(text), "quoted-printable")
	hpart := "Content-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html;\r\n\tcharset=utf-8\r\n\r\n" + encodeBody([]byte(h.String()), "quoted-printable")
	return writeHeaders(hs) + "\r\n" + multipart(boundary, tpart, hpart)
}

// ---- iPhone (iOS Mail) ----------------------------------------------------

func iphone(f *fixture, l *locale) string {
	o := f.ours()
	boundary := "Apple-Mail-" + appleBoundary(f)
	attr := fmt.Sprintf(l.appleAttr, ourName, ourFrom)
	text := f.body + "\n\n" + l.iphone + "\n\n" + quote(attr+"\n\n"+o.text)
	var h strings.Builder
	h.WriteString(`<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">`)
	h.WriteString(textHTML(f.body, func(s string) string { return `<div dir="ltr">` + s + `</div>` }, `<div dir="ltr"><br></div>`))
	h.WriteString(`<div dir="ltr"><br><div dir="ltr">` + html.EscapeString(l.iphone) + `</div><div dir="ltr"><br><blockquote type="cite">` +
		html.EscapeString(attr) + `<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">` + o.html + `</div></blockquote></div></body></html>`)
	hs := []header{
		{"Content-Type", "multipart/alternative; boundary=" + boundary},
		{"Content-Transfer-Encoding", "7bit"},
		{"From", addr(f.from.name, f.from.email, "utf-8", false)},
		{"Mime-Version", "1.0 (1.0)"},
		{"Date", f.date},
		{"Subject", subject("Re: "+o.subject, "utf-8", false)},
		{"Message-Id", "<" + appleBoundary(f) + "@" + f.domain() + ">"},
		{"References", "<" + o.messageID + ">"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"To", f.toAddr(false)},
		{"X-Mailer", "iPhone Mail (22B91)"},
	}
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: "text/plain; charset=utf-8", cte: "quoted-printable", payload: []byte(text)}.render(),
		part{ctype: "text/html; charset=utf-8", cte: "quoted-printable", payload: []byte(h.String())}.render(),
	)
}

// ---- Samsung Email (Android) ---------------------------------------------

func samsung(f *fixture, l *locale) string {
	o := f.ours()
	boundary := "--_com.samsung.android.email_" + fmt.Sprint(1764000000000000+int(f.seed(6)[0])*1000+len(f.file))
	hdr := fmt.Sprintf("%s\n%s %s \n%s %s \n%s %s <%s> \n%s %s ", l.samsungSep, l.samsungFrom, ourAddress(), l.samsungDate, l.samsungDateVal,
		l.samsungTo, f.from.name, f.from.email, l.samsungSubject, o.subject)
	text := f.body + "\n\n\n" + l.galaxy + "\n\n" + hdr + "\n\n" + o.text
	var h strings.Builder
	h.WriteString(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>`)
	h.WriteString(textHTML(f.body, func(s string) string { return `<div dir="auto">` + s + `</div>` }, `<div dir="auto"><br></div>`))
	h.WriteString(`<div dir="auto"><br></div><div dir="auto"><br></div><div id="composer_signature" dir="auto"><div style="font-size:12px;color:#575757" dir="auto">` +
		html.EscapeString(l.galaxy) + `</div></div><div dir="auto"><br></div><div><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000"><div>` +
		html.EscapeString(l.samsungSep) + `</div><div>` + html.EscapeString(l.samsungFrom+" "+ourAddress()) + ` </div><div>` +
		html.EscapeString(l.samsungDate+" "+l.samsungDateVal) + ` </div><div>` + html.EscapeString(l.samsungTo+" "+f.from.name+" <"+f.from.email+">") +
		` </div><div>` + html.EscapeString(l.samsungSubject+" "+o.subject) + ` </div><div><br></div></div>` + o.html + `</body></html>`)
	hs := []header{
		{"Message-ID", "<" + f.seed(24) + "@email.android.example>"},
		{"Date", f.date},
		{"From", addr(f.from.name, f.from.email, "UTF-8", true)},
		{"To", f.toAddr(false)},
		{"Subject", subject("Re: "+o.subject, "UTF-8", true)},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"References", "<" + o.messageID + ">"},
		{"Importance", "normal"},
		{"X-Priority", "3"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; boundary=\"" + boundary + "\""},
	}
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: "text/plain; charset=utf-8", cte: "base64", payload: []byte(text)}.render(),
		part{ctype: "text/html; charset=utf-8", cte: "base64", payload: []byte(h.String())}.render(),
	)
}

// ---- Thunderbird -----------------------------------------------------------

// thunderbird writes text only; body is the whole reply as typed, with
// "{{quote}}" where the quoted email goes, so that bottom-posted and inline
// answers can be laid out exactly.
func thunderbird(f *fixture, l *locale) string {
	o := f.ours()
	cs := f.charsetOr("UTF-8")
	cte := f.cteOr("8bit")
	attr := fmt.Sprintf(l.tbAttr, ourName)
	q := attr + "\n" + quoteWithAnswers(o.text, f.inline)
	text := f.body
	if strings.Contains(text, "{{quote}}") {
		text = strings.Replace(text, "{{quote}}", q, 1)
	} else if strings.Contains(text, "{{attr}}") {
		text = strings.Replace(text, "{{attr}}", attr, 1)
	} else {
		text += "\n\n" + q
	}
	hs := []header{
		{"Message-ID", "<" + f.seed(8) + "-" + f.seed(4) + "-4" + f.seed(3) + "-8" + f.seed(3) + "-" + f.seed(12) + "@" + f.domain() + ">"},
		{"Date", f.date},
		{"MIME-Version", "1.0"},
		{"User-Agent", "Mozilla Thunderbird"},
		{"Subject", subject("Re: "+o.subject, "UTF-8", false)},
		{"Content-Language", l.tag},
		{"To", f.toAddr(false)},
		{"References", "<" + o.messageID + ">"},
		{"From", addr(f.from.name, f.from.email, "UTF-8", false)},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"Content-Type", "text/plain; charset=" + cs + "; format=flowed"},
		{"Content-Transfer-Encoding", cte},
	}
	return writeHeaders(hs) + "\r\n" + encodeBody(encodeCharset(text, cs), cte)
}

// ---- Zimbra web client ---------------------------------------------------

func zimbra(f *fixture, l *locale) string {
	o := f.ours()
	cs := f.charsetOr("utf-8")
	cte := f.cteOr("quoted-printable")
	boundary := "=_" + f.seed(8) + "-" + f.seed(4) + "-" + f.seed(4) + "-" + f.seed(4) + "-" + f.seed(12)
	hdr := fmt.Sprintf("%s\n%s \"%s\" <%s>\n%s \"%s\" <%s>\n%s %s\n%s %s", l.zimbraSep, l.zimbraFrom, ourName, ourFrom,
		l.zimbraTo, f.from.name, f.from.email, l.zimbraSent, l.zimbraDate, l.zimbraSubject, o.subject)
	text := f.body + "\n\n" + hdr + "\n\n" + quote(o.text)
	var h strings.Builder
	h.WriteString(`<html><body><div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000">`)
	h.WriteString(textHTML(f.body, func(s string) string { return "<div>" + s + "</div>" }, `<div><br data-mce-bogus="1"></div>`))
	h.WriteString(`<div><br></div><hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__"><b>` + html.EscapeString(l.zimbraFrom) + ` </b>"` +
		html.EscapeString(ourName) + `" &lt;` + ourFrom + `&gt;<br><b>` + html.EscapeString(l.zimbraTo) + ` </b>"` + html.EscapeString(f.from.name) + `" &lt;` +
		f.from.email + `&gt;<br><b>` + html.EscapeString(l.zimbraSent) + ` </b>` + html.EscapeString(l.zimbraDate) + `<br><b>` +
		html.EscapeString(l.zimbraSubject) + ` </b>` + html.EscapeString(o.subject) + `<br></div><br><div data-marker="__QUOTED_TEXT__">` +
		`<blockquote style="border-left:2px solid #1010FF;margin-left:5px;padding-left:5px;color:#000;font-weight:normal;font-style:normal;text-decoration:none;font-family:Helvetica,Arial,sans-serif;font-size:12pt;">` +
		o.html + `</blockquote></div></div></body></html>`)
	hs := []header{
		{"Date", f.date},
		{"From", addr(f.from.name, f.from.email, "utf-8", false)},
		{"To", f.toAddr(true)},
		{"Message-ID", "<" + fmt.Sprint(1034567890+len(f.file)*7919) + "." + fmt.Sprint(100000+len(f.body)) + ".1764148361000.JavaMail.zimbra@" + f.domain() + ">"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"References", "<" + o.messageID + ">"},
		{"Subject", subject("Re: "+o.subject, "utf-8", false)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/alternative; \r\n\tboundary=\"" + boundary + "\""},
		{"X-Mailer", "Zimbra 10.0.6_GA_4611 (ZimbraWebClient - FF132 (Linux)/10.0.6_GA_4611)"},
		{"Thread-Topic", subject(o.subject, "utf-8", false)},
		{"Thread-Index", f.seed(20) + "=="},
	}
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: "text/plain; charset=" + cs, cte: cte, payload: encodeCharset(text, cs)}.render(),
		part{ctype: "text/html; charset=" + cs, cte: cte, payload: encodeCharset(h.String(), cs)}.render(),
	)
}

// ---- HTML-only webmail (GMX/web.de style) --------------------------------

func webmail(f *fixture, l *locale) string {
	o := f.ours()
	cs := f.charsetOr("UTF-8")
	cte := f.cteOr("quoted-printable")
	var h strings.Builder
	h.WriteString(`<html><head></head><body><div style="font-family: Verdana;font-size: 12.0px;">`)
	h.WriteString(textHTML(f.body, func(s string) string { return "<div>" + s + "</div>" }, "<div>&nbsp;</div>"))
	h.WriteString(`<div>&nbsp;</div><div>&nbsp;<div name="quote" style="margin:10.0px 5.0px 5.0px 10.0px; padding: 10.0px 0 10.0px 10.0px; border-left:2.0px solid #C3D9E5; word-wrap: break-word; -webkit-nbsp-mode: space; -webkit-line-break: after-white-space;">` +
		`<div style="margin:0 0 10.0px 0;"><b>` + html.EscapeString(l.webSent) + `</b>&nbsp;` + html.EscapeString(l.webDate) + `<br/><b>` +
		html.EscapeString(l.from) + `</b>&nbsp;"` + html.EscapeString(ourName) + `" &lt;` + ourFrom + `&gt;<br/><b>` + html.EscapeString(l.to) +
		`</b>&nbsp;` + html.EscapeString(f.from.email) + `<br/><b>` + html.EscapeString(l.subject) + `</b>&nbsp;` + html.EscapeString(o.subject) +
		`</div><div name="quoted-content">` + o.html + `</div></div></div></div></body></html>`)
	hs := []header{
		{"MIME-Version", "1.0"},
		{"Message-ID", "<trinity-" + f.seed(8) + "-" + f.seed(4) + "-" + f.seed(4) + "-" + f.seed(4) + "-" + f.seed(12) + "-1764148361123@3c-app-mailcom-bs12>"},
		{"From", addr(f.from.name, f.from.email, cs, false)},
		{"To", f.toAddr(false)},
		{"Subject", subject("Aw: "+o.subject, cs, false)},
		{"Content-Type", "text/html; charset=" + cs},
		{"Date", f.date},
		{"Importance", "normal"},
		{"Sensitivity", "Normal"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"References", "<" + o.messageID + ">"},
		{"Content-Transfer-Encoding", cte},
	}
	if l.lang != "de" {
		hs[4] = header{"Subject", subject("Re: "+o.subject, cs, false)}
	}
	return writeHeaders(hs) + "\r\n" + encodeBody(encodeCharset(h.String(), cs), cte)
}

// ---- Outlook for Android --------------------------------------------------

func outlookAndroid(f *fixture, l *locale) string {
	o := f.ours()
	boundary := "_000_" + strings.ToUpper(f.seed(30)) + "_"
	block := fmt.Sprintf("%s %s\n%s %s\n%s %s <%s>\n%s %s", l.from, ourAddress(), l.sent, l.outlookDate, l.to,
		f.from.name, f.from.email, l.subject, o.subject)
	text := f.body + "\n\n" + l.outlookMobile + "\n________________________________\n" + block + "\n\n" + o.text
	var h strings.Builder
	h.WriteString(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body><div dir="auto">`)
	h.WriteString(textHTML(f.body, func(s string) string { return s + "<br>" }, "<br>"))
	h.WriteString(`</div><div dir="auto"><br></div><div dir="auto">` + html.EscapeString(l.outlookMobile) + `</div><hr style="display:inline-block;width:98%" tabindex="-1">` +
		`<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>` + html.EscapeString(l.from) + `</b> ` +
		html.EscapeString(ourAddress()) + `<br><b>` + html.EscapeString(l.sent) + `</b> ` + html.EscapeString(l.outlookDate) + `<br><b>` +
		html.EscapeString(l.to) + `</b> ` + html.EscapeString(f.from.name+" <"+f.from.email+">") + `<br><b>` + html.EscapeString(l.subject) + `</b> ` +
		html.EscapeString(o.subject) + `</font><div>&nbsp;</div></div>` + o.html + `</body></html>`)
	hs := []header{
		{"From", addr(f.from.name, f.from.email, "utf-8", true)},
		{"To", f.toAddr(true)},
		{"Subject", subject(l.re+" "+o.subject, "utf-8", true)},
		{"Date", f.date},
		{"Message-ID", "<" + strings.ToUpper(f.seed(30)) + "@" + strings.ToUpper(f.seed(12)) + ".namprd03.prod.outlook.example>"},
		{"References", "<" + o.messageID + ">"},
		{"In-Reply-To", "<" + o.messageID + ">"},
		{"Content-Language", strings.ToLower(l.tag)},
		{"X-MS-Has-Attach", ""},
		{"Content-Type", "multipart/alternative;\r\n\tboundary=\"" + boundary + "\""},
		{"MIME-Version", "1.0"},
	}
	return writeHeaders(hs) + "\r\n" + multipart(boundary,
		part{ctype: "text/plain; charset=\"utf-8\"", cte: "base64", payload: []byte(text)}.render(),
		part{ctype: "text/html; charset=\"utf-8\"", cte: "base64", payload: []byte(h.String())}.render(),
	)
}

var clients = map[string]func(*fixture, *locale) string{
	"outlook": outlookDesktop, "owa": owa, "gmail": gmail, "apple": apple, "iphone": iphone,
	"samsung": samsung, "thunderbird": thunderbird, "zimbra": zimbra, "webmail": webmail,
	"outlook-android": outlookAndroid,
}

// quoteWithAnswers quotes our email and types each answer, unquoted, under
// the fill-in line it answers, as a bottom-posting reseller does.
func quoteWithAnswers(text string, answers [3]string) string {
	if answers == [3]string{} {
		return quote(text)
	}
	prefixes := []string{"Root email", "Account nickname", "Support type"}
	var b strings.Builder
	for _, l := range strings.Split(quote(text), "\n") {
		b.WriteString(l + "\n")
		for i, p := range prefixes {
			if strings.HasPrefix(l, "> "+p) && strings.HasSuffix(l, ":") && answers[i] != "" {
				b.WriteString(answers[i] + "\n")
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// inlineOurs is our HTML email with answers typed under its fill-in lines,
// as Gmail keeps them: the quote is closed around each answer.
func inlineOurs(o original, answers [3]string) string {
	if answers == [3]string{} {
		return o.html
	}
	out := o.html
	for i, p := range []string{"Root email:", "Account nickname:", "Support type:"} {
		if answers[i] == "" {
			continue
		}
		j := strings.Index(out, p)
		if j < 0 {
			panic("no " + p)
		}
		j += len(p)
		out = out[:j] + `</p></blockquote><div>` + autolink(html.EscapeString(answers[i])) +
			`</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><p>` + out[j:]
	}
	return out
}
