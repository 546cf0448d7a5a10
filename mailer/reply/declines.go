package reply

// refusals open an answer that says no, in every language we read; the
// lexicon's negators ("not", "kein", …) count too.
var refusals = set{}

// affirmations open an answer that says yes: the only answers that confirm
// a held reply. Anything else — a no, a question, an empty body, an
// out-of-office — confirms nothing.
var affirmations = set{}

func init() {
	refusals.add("no", "nope", "nein", "non", "nao", "nee", "neen", "niet", "wasn", "didn", "never", "nie", "niemals", "nunca", "jamais")
	affirmations.add("yes", "yeah", "yep", "yup", "ja", "jawohl", "jep", "si", "sim", "oui", "confirm", "confirmed", "confirming",
		"confirmo", "confirmado", "confirmada", "confirme", "confirmee", "bestatigt", "bestatige", "ok", "okay", "correct", "correcto",
		"correto", "richtig", "genau", "claro", "exacto", "exato", "agreed", "confermato", "confermo", "bevestigd", "bevestig")
}

// firstWords is the first line of the sender's own words (above the quoted
// original and the signature) that says anything, folded into words.
func firstWords(own []line) []string {
	for _, l := range own {
		if l.depth > 0 {
			continue
		}
		if ws := words(fold(l.text)); len(ws) > 0 {
			return ws
		}
	}
	return nil
}

// affirms reports whether the sender's own words start by saying yes
// ("Yes, that was me", "Ja", "Sí, confirmo", "Confirmed.") and say no
// refusal in the same breath.
func affirms(own []line) bool {
	ws := firstWords(own)
	return len(ws) > 0 && affirmations[ws[0]] && !refuses(ws)
}

// declines reports whether the sender's own words start by saying no:
// "No, that was not me", "Nein, das war ich nicht", "Non". Such an answer
// to the email that asks to confirm a held reply must never confirm it.
func declines(own []line) bool { return refuses(firstWords(own)) }

// refuses reports whether the words of a line say no: first, or in the
// first sentence that speaks ("That was not me", "I didn't send it").
func refuses(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	if refusals[ws[0]] || lex.negators[ws[0]] {
		return true
	}
	for _, w := range ws[:min(len(ws), 8)] {
		if w == "not" || w == "didn" || w == "wasn" || w == "nicht" || w == "pas" || w == "nao" || w == "niet" || w == "non" ||
			w == "never" || w == "nie" || w == "nunca" || w == "jamais" || w == "nein" {
			return true
		}
	}
	return false
}
