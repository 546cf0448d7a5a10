package reply

// What the HTML renderer needs to know about elements.

var voidElems = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true, "img": true,
	"input": true, "link": true, "meta": true, "param": true, "source": true, "track": true, "wbr": true,
}

var skipElems = map[string]bool{
	"head": true, "style": true, "script": true, "title": true, "template": true, "xml": true,
	"svg": true, "noscript": true, "object": true,
}

var blockElems = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true, "center": true, "dd": true,
	"details": true, "dialog": true, "div": true, "dl": true, "dt": true, "fieldset": true,
	"figcaption": true, "figure": true, "footer": true, "form": true, "h1": true, "h2": true,
	"h3": true, "h4": true, "h5": true, "h6": true, "header": true, "hr": true, "li": true,
	"main": true, "nav": true, "ol": true, "p": true, "pre": true, "section": true, "summary": true,
	"table": true, "tr": true, "ul": true, "caption": true, "tbody": true, "thead": true, "tfoot": true,
}

// paraElems end with a blank line, like a paragraph in a text/plain body.
var paraElems = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"table": true, "blockquote": true, "ol": true, "ul": true, "pre": true,
}

// quoteClasses mark containers whose whole text is quoted: Yahoo's quoted
// message and the attribution lines of Gmail and Thunderbird. Gmail's,
// Proton's and Zoho's outer quote containers are not among them: answers
// typed inline sit inside them, between the blockquotes that do the quoting.
var quoteClasses = []string{"yahoo_quoted", "moz-cite-prefix", "gmail_attr"}
