package useragent

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// need is what every match of a pattern contains, read from its syntax: a
// pattern is tried only when the user agent passes every clause of its
// need. This skips most of uap-go's hundreds of patterns without running
// them, and cannot change the result: a skipped pattern could not match.
type need []clause

// A clause holds when the input contains one of its literals.
type clause []literal

// A literal is a string the input must contain; a case-insensitive one is
// ASCII, lower case, and looked for in the folded input (see fold).
type literal struct {
	s    string
	fold bool
}

func needOf(re *regexp.Regexp) need {
	t, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return nil // never skipped
	}
	return needs(t)
}

// needs returns the clauses every match of t satisfies.
func needs(t *syntax.Regexp) need {
	switch t.Op {
	case syntax.OpLiteral:
		s := string(t.Rune)
		switch {
		case strings.ContainsRune(s, utf8.RuneError):
			// would match any invalid byte of the input
		case t.Flags&syntax.FoldCase == 0:
			return need{{{s: s}}}
		case isASCII(s):
			return need{{{s: strings.ToLower(s), fold: true}}}
		}
	case syntax.OpConcat:
		var n need
		for _, s := range t.Sub {
			n = append(n, needs(s)...)
		}
		return n
	case syntax.OpCapture, syntax.OpPlus:
		return needs(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return needs(t.Sub[0])
		}
	case syntax.OpAlternate:
		// A match contains one of the literals of the best clause of each
		// branch; a branch that needs nothing makes the whole need nothing.
		var c clause
		for _, s := range t.Sub {
			best := strongest(needs(s))
			if best == nil {
				return nil
			}
			c = append(c, best...)
		}
		return need{c}
	}
	// Optional parts, classes, empty-width assertions require nothing.
	return nil
}

// strongest picks the clause least likely to hold: the one whose shortest
// literal is longest, fewest literals first.
func strongest(n need) clause {
	var best clause
	score := func(c clause) int {
		m := 1 << 30
		for _, l := range c {
			m = min(m, len(l.s))
		}
		return m*64 - len(c)
	}
	for _, c := range n {
		if best == nil || score(c) > score(best) {
			best = c
		}
	}
	return best
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// fold maps s so that a case-insensitive ASCII literal matches in s only
// where it is found in fold(s) in lower case: ASCII letters are lowered,
// and the only other runes that fold to ASCII letters, the Kelvin sign
// (k) and the long s (ſ), become those letters.
func fold(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('A' <= c && c <= 'Z') || c == 0xe2 || c == 0xc5 {
			b = make([]byte, 0, len(s))
			b = append(b, s[:i]...)
			break
		}
	}
	if b == nil {
		return s
	}
	for i := len(b); i < len(s); {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		case strings.HasPrefix(s[i:], "\u212a"):
			b = append(b, 'k')
			i += len("\u212a")
			continue
		case strings.HasPrefix(s[i:], "\u017f"):
			b = append(b, 's')
			i += len("\u017f")
			continue
		default:
			b = append(b, c)
		}
		i++
	}
	return string(b)
}

// may reports whether a pattern with this need can match ua, whose folded
// form is folded.
func (n need) may(ua, folded string) bool {
	for _, c := range n {
		if !c.holds(ua, folded) {
			return false
		}
	}
	return true
}

func (c clause) holds(ua, folded string) bool {
	for _, l := range c {
		in := ua
		if l.fold {
			in = folded
		}
		if strings.Contains(in, l.s) {
			return true
		}
	}
	return false
}
