package devmail

import (
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
)

// systemFlags are spelled the RFC 9051 way whatever case a client used.
var systemFlags = []imap.Flag{
	imap.FlagSeen, imap.FlagAnswered, imap.FlagFlagged, imap.FlagDeleted, imap.FlagDraft,
}

// flagSet holds a message's flags. Flags compare case-insensitively (RFC 9051
// §2.3.2) but keywords keep the spelling first stored, so that a client
// setting "$AcctflowProcessed" reads back exactly that.
type flagSet map[string]imap.Flag

func flagKey(f imap.Flag) string { return strings.ToLower(string(f)) }

func canonical(f imap.Flag) imap.Flag {
	for _, s := range systemFlags {
		if strings.EqualFold(string(s), string(f)) {
			return s
		}
	}
	return f
}

func newFlagSet(flags []imap.Flag) flagSet {
	s := make(flagSet, len(flags))
	for _, f := range flags {
		s.add(f)
	}
	return s
}

func (s flagSet) has(f imap.Flag) bool {
	_, ok := s[flagKey(f)]
	return ok
}

// unstorable are flags a client may not set: \Recent is session state the
// server sets (RFC 3501 §2.3.2), \* only appears in PERMANENTFLAGS.
var unstorable = []imap.Flag{`\Recent`, imap.FlagWildcard}

func (s flagSet) add(f imap.Flag) {
	if f == "" || s.has(f) || slices.ContainsFunc(unstorable, func(u imap.Flag) bool {
		return strings.EqualFold(string(u), string(f))
	}) {
		return
	}
	s[flagKey(f)] = canonical(f)
}

func (s flagSet) del(f imap.Flag) { delete(s, flagKey(f)) }

// list returns the flags sorted, so responses and files are stable.
func (s flagSet) list() []imap.Flag {
	l := make([]imap.Flag, 0, len(s))
	for _, f := range s {
		l = append(l, f)
	}
	slices.Sort(l)
	return l
}

func (s flagSet) clone() flagSet {
	c := make(flagSet, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// apply performs a STORE operation and reports whether anything changed.
func (s flagSet) apply(op imap.StoreFlagsOp, flags []imap.Flag) bool {
	before := s.clone()
	switch op {
	case imap.StoreFlagsSet:
		clear(s)
		fallthrough
	case imap.StoreFlagsAdd:
		for _, f := range flags {
			s.add(f)
		}
	case imap.StoreFlagsDel:
		for _, f := range flags {
			s.del(f)
		}
	}
	return !sameFlags(before, s)
}

func sameFlags(a, b flagSet) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
