// Package idn tells the two spellings of an internationalised domain
// apart: browsers report bücher.de as xn--bcher-kva.de, and a site is one
// site however its owner or the event spells it.
package idn

import (
	"strings"

	"golang.org/x/net/idna"
)

// Twin is the other spelling of an internationalised domain: the ASCII
// ("xn--") form of a Unicode one, the Unicode form of an ASCII one with
// "xn--" labels; "" for any other domain or one IDNA refuses.
func Twin(domain string) string {
	conv := idna.Lookup.ToASCII
	if !strings.ContainsFunc(domain, func(r rune) bool { return r >= 0x80 }) {
		if !strings.Contains(domain, "xn--") {
			return ""
		}
		conv = idna.Lookup.ToUnicode
	}
	t, err := conv(domain)
	if err != nil || t == domain {
		return ""
	}
	return t
}
