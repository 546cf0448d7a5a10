package reply

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Each language the parser understands is one JSON file in lang/: the words
// of its labels, its names for the support types, the lines its mail clients
// put above quoted and forwarded mail, its closings and mobile footers, and
// the phrases that introduce an answer in a sentence. Adding a language is
// adding a file; no code knows which language a word belongs to.
//
//go:embed lang/*.json
var langFS embed.FS

// langTable is the shape of one lang/*.json file. Entries are written as a
// person types them ("Développeur", "Grüße"); they are folded when loaded.
type langTable struct {
	Lang   string `json:"lang"`
	Labels struct {
		Filler   []string   `json:"filler"` // words that carry no meaning in a label
		Root     labelWords `json:"root"`
		Nickname labelWords `json:"nickname"`
		Support  labelWords `json:"support"`
	} `json:"labels"`
	Support struct {
		Values    map[string][]string `json:"values"`     // support type → words or two-word phrases
		Fuzzy     []string            `json:"fuzzy"`      // spellings a near miss is compared with
		NoneWords []string            `json:"none_words"` // "kein", "sin": with a support noun, Basic
		Noise     []string            `json:"noise"`      // may stand next to a type in a value
	} `json:"support"`
	Quote struct {
		From              []string `json:"from"`               // header names opening a quoted header block
		Headers           []string `json:"headers"`            // the other header names of such a block
		Subject           []string `json:"subject"`            // the subject's header name
		Separators        []string `json:"separators"`         // "Original Message" lines
		ForwardSeparators []string `json:"forward_separators"` // "Forwarded message" lines
		AttributionStarts []string `json:"attribution_starts"` // "On", "Am", "El" … opening "… wrote:"
		AttributionVerbs  []string `json:"attribution_verbs"`  // "wrote", "schrieb", "ha scritto" …
		ReplyPrefixes     []string `json:"reply_prefixes"`     // "RE", "AW", "RES" …
		ForwardPrefixes   []string `json:"forward_prefixes"`   // "FW", "WG", "RV", "TR", "I", "ENC" …
	} `json:"quote"`
	Signature struct {
		Valedictions  []string `json:"valedictions"`
		MobileFooters []string `json:"mobile_footers"`
		Conjunctions  []string `json:"conjunctions"` // "Merci et bonne journée" is still a closing
	} `json:"signature"`
	Prose struct {
		RootWords        []string `json:"root_words"` // a sentence naming one of these may give the root address
		NicknameTriggers []string `json:"nickname_triggers"`
		NicknameStops    []string `json:"nickname_stops"`
		NicknameEnds     []string `json:"nickname_ends"` // verbs that close a nickname: "… heißen"
		SupportNouns     []string `json:"support_nouns"` // "support", "Support", "soporte": "no support" is Basic
		PlanNouns        []string `json:"plan_nouns"`    // "plan", "Paket": "business plan" is Business
		Glue             []string `json:"glue"`
		Negators         []string `json:"negators"`
	} `json:"prose"`
	Placeholders []string `json:"placeholders"`
	// OurPhrases are sentences only our own emails contain, in this
	// language: a quoted or forwarded message that has one is ours.
	OurPhrases     []string `json:"our_phrases"`
	AutoSubjects   []string `json:"auto_subjects"`
	BounceSubjects []string `json:"bounce_subjects"`
}

// labelWords says which words may make up a label for one field and which
// must be there: a core word ("root", "Kontoname", "soporte"), or, for the
// nickname, a name word with an account word ("Nome dell'account").
type labelWords struct {
	Core    []string `json:"core"`
	Name    []string `json:"name"`
	Account []string `json:"account"`
	Words   []string `json:"words"`
}

// lexicon is every language's table merged and folded: a reply is read
// without knowing its language, and a German reseller may well answer with
// the English labels of our email.
type lexicon struct {
	langs  []string
	filler set
	fields [4]fieldWords // indexed by field

	supportWord   map[string]string // folded word → support type
	supportPhrase map[string]string // "prev word" → type: "de base"
	phraseHeads   set               // first words of those phrases
	fuzzy         []fuzzyTarget
	noneWords     set
	valueNoise    set

	fromNames, headerNames, subjectNames set
	separators, forwardSeparators        set
	attrStarts                           []string
	attrVerbs                            []string
	replyPrefixes, forwardPrefixes       set

	valedictions  []string
	mobileFooters []string
	conjunctions  []string

	rootWords     []string
	nickTriggers  []string
	nickStops     []string
	nickEnds      []string
	supportNouns  set
	planNouns     set
	glue          set
	negators      set
	placeholders  set
	ourPhrases    []string
	autoPhrases   []string
	bouncePhrases []string
}

type fieldWords struct {
	core, name, account, all set
}

type fuzzyTarget struct{ word, typ string }

type set map[string]bool

func (s set) add(words ...string) {
	for _, w := range words {
		s[w] = true
	}
}

// lex is built once from the embedded tables and only read afterwards.
var lex = mustLoadLexicon()

func mustLoadLexicon() *lexicon {
	l, err := loadLexicon()
	if err != nil {
		panic("reply: language tables: " + err.Error())
	}
	return l
}

func loadLexicon() (*lexicon, error) {
	names, err := langFS.ReadDir("lang")
	if err != nil {
		return nil, err
	}
	var tables []langTable
	for _, n := range names {
		b, err := langFS.ReadFile(path.Join("lang", n.Name()))
		if err != nil {
			return nil, err
		}
		var t langTable
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Name(), err)
		}
		if t.Lang+".json" != n.Name() {
			return nil, fmt.Errorf("%s declares language %q", n.Name(), t.Lang)
		}
		tables = append(tables, t)
	}
	return mergeTables(tables)
}

func mergeTables(tables []langTable) (*lexicon, error) {
	l := &lexicon{
		filler: set{}, supportWord: map[string]string{}, supportPhrase: map[string]string{}, phraseHeads: set{},
		noneWords: set{}, valueNoise: set{}, fromNames: set{}, headerNames: set{}, subjectNames: set{},
		separators: set{}, forwardSeparators: set{}, replyPrefixes: set{}, forwardPrefixes: set{},
		supportNouns: set{}, planNouns: set{}, glue: set{}, negators: set{}, placeholders: set{},
	}
	for i := range l.fields {
		l.fields[i] = fieldWords{core: set{}, name: set{}, account: set{}, all: set{}}
	}
	for _, t := range tables {
		l.langs = append(l.langs, t.Lang)
		l.filler.add(foldWords(t.Labels.Filler)...)
		for f, lw := range map[field]labelWords{fRoot: t.Labels.Root, fNick: t.Labels.Nickname, fSupport: t.Labels.Support} {
			fw := &l.fields[f]
			fw.core.add(foldWords(lw.Core)...)
			fw.name.add(foldWords(lw.Name)...)
			fw.account.add(foldWords(lw.Account)...)
			for _, part := range [][]string{lw.Core, lw.Name, lw.Account, lw.Words} {
				fw.all.add(foldWords(part)...)
			}
		}
		for typ, vs := range t.Support.Values {
			switch typ {
			case Business, Developer, Basic, Enterprise:
			default:
				return nil, fmt.Errorf("%s: unknown support type %q", t.Lang, typ)
			}
			for _, v := range vs {
				ws := words(fold(v))
				switch len(ws) {
				case 1:
					l.supportWord[ws[0]] = typ
				case 2:
					l.supportPhrase[ws[0]+" "+ws[1]] = typ
					l.phraseHeads[ws[0]] = true
				default:
					return nil, fmt.Errorf("%s: support value %q is not one or two words", t.Lang, v)
				}
			}
		}
		for _, w := range foldWords(t.Support.Fuzzy) {
			typ, ok := l.supportWord[w]
			if !ok {
				return nil, fmt.Errorf("%s: fuzzy spelling %q is not a support value", t.Lang, w)
			}
			l.fuzzy = append(l.fuzzy, fuzzyTarget{w, typ})
		}
		l.noneWords.add(foldWords(t.Support.NoneWords)...)
		l.valueNoise.add(foldWords(t.Support.Noise)...)

		q := t.Quote
		l.fromNames.add(foldPhrases(q.From)...)
		l.headerNames.add(foldPhrases(q.Headers)...)
		l.headerNames.add(foldPhrases(q.Subject)...)
		l.subjectNames.add(foldPhrases(q.Subject)...)
		l.separators.add(foldPhrases(q.Separators)...)
		l.forwardSeparators.add(foldPhrases(q.ForwardSeparators)...)
		l.attrStarts = append(l.attrStarts, foldPhrases(q.AttributionStarts)...)
		l.attrVerbs = append(l.attrVerbs, foldPhrases(q.AttributionVerbs)...)
		l.replyPrefixes.add(foldPhrases(q.ReplyPrefixes)...)
		l.forwardPrefixes.add(foldPhrases(q.ForwardPrefixes)...)

		l.valedictions = append(l.valedictions, foldPhrases(t.Signature.Valedictions)...)
		l.mobileFooters = append(l.mobileFooters, foldTriggers(t.Signature.MobileFooters)...)
		l.conjunctions = append(l.conjunctions, foldPhrases(t.Signature.Conjunctions)...)

		p := t.Prose
		l.rootWords = append(l.rootWords, foldPhrases(p.RootWords)...)
		l.nickTriggers = append(l.nickTriggers, foldTriggers(p.NicknameTriggers)...)
		l.nickStops = append(l.nickStops, foldTriggers(p.NicknameStops)...)
		l.nickEnds = append(l.nickEnds, foldPhrases(p.NicknameEnds)...)
		l.supportNouns.add(foldWords(p.SupportNouns)...)
		l.planNouns.add(foldWords(p.PlanNouns)...)
		l.glue.add(foldWords(p.Glue)...)
		l.negators.add(foldWords(p.Negators)...)
		l.placeholders.add(foldPhrases(t.Placeholders)...)
		l.ourPhrases = append(l.ourPhrases, foldPhrases(t.OurPhrases)...)
		l.autoPhrases = append(l.autoPhrases, foldPhrases(t.AutoSubjects)...)
		l.bouncePhrases = append(l.bouncePhrases, foldPhrases(t.BounceSubjects)...)
	}
	for _, f := range []field{fRoot, fNick, fSupport} {
		if len(l.fields[f].core) == 0 {
			return nil, fmt.Errorf("no core label word for field %d", f)
		}
	}
	// Longest first, so that "mit freundlichen grussen" is tried before "mit"
	// and "kind regards" before "kind"; the order of files does not matter.
	for _, list := range []*[]string{&l.valedictions, &l.mobileFooters, &l.attrStarts, &l.attrVerbs,
		&l.rootWords, &l.nickTriggers, &l.nickStops, &l.nickEnds, &l.autoPhrases, &l.bouncePhrases} {
		*list = uniqueByLength(*list)
	}
	return l, nil
}

// foldWords folds entries that must be single words ("E-Mail" is "email":
// labels are compared word by word after the same joining).
func foldWords(ws []string) []string {
	out := make([]string, 0, len(ws))
	for _, w := range ws {
		out = append(out, strings.Join(joinEmail(words(fold(w))), ""))
	}
	return out
}

// foldPhrases folds entries compared as text: runs of spaces collapse.
func foldPhrases(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if f := strings.Join(strings.Fields(fold(p)), " "); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// foldTriggers folds sentence phrases but keeps their edge spaces, which
// say where a word must begin or end ("call it ", " and ").
func foldTriggers(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		lead := strings.HasPrefix(p, " ")
		trail := strings.HasSuffix(p, " ")
		f := strings.Join(strings.Fields(fold(p)), " ")
		if f == "" {
			continue
		}
		if lead {
			f = " " + f
		}
		if trail {
			f += " "
		}
		out = append(out, f)
	}
	return out
}

func uniqueByLength(list []string) []string {
	seen := set{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
