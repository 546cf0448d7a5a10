package reply

// refusals open an answer that says no, in every language we read; the
// lexicon's negators ("not", "kein", …) count too.
var refusals = set{}

func init() {
	refusals.add("no", "nope", "nein", "non", "nao", "nee", "neen", "niet", "wasn", "didn")
}

// declines reports whether the sender's own words (above the quoted
// original and the signature) start by saying no: "No, that was not me",
// "Nein, das war ich nicht", "Non". Such an answer to the email that asks to
// confirm a held reply must never confirm it.
func declines(own []line) bool {
	for _, l := range own {
		if l.depth > 0 {
			continue
		}
		ws := words(fold(l.text))
		if len(ws) == 0 {
			continue
		}
		if refusals[ws[0]] || lex.negators[ws[0]] {
			return true
		}
		// "That was not me", "I didn't send it": a refusal in the first
		// sentence that speaks.
		for _, w := range ws[:min(len(ws), 8)] {
			if w == "not" || w == "didn" || w == "wasn" || w == "nicht" || w == "pas" || w == "nao" || w == "niet" || w == "non" {
				return true
			}
		}
		return false
	}
	return false
}
