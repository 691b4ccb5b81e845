package event

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sillage-analytics/sillage/collector/enrich"
)

// Seeds beyond these live in testdata/fuzz.
func addSeeds(f *testing.F) {
	f.Add(typical)
	f.Add([]byte(`{"n":"engagement","u":"https://e.fr/","d":"e.fr","sd":100,"e":0,"h":1}`))
	f.Add([]byte(`{"name":"Purchase","url":"http://e.fr","domain":"a.fr,b.fr","revenue":{"amount":"1.0005","currency":"eur"}}`))
}

var smallLimits = Limits{MaxBodyBytes: 512, MaxNameBytes: 8, MaxURLBytes: 64, MaxProps: 2, MaxPropKeyBytes: 4, MaxPropValueBytes: 8}

func FuzzParse(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, lim := range []Limits{{}, smallLimits} {
			p, err := Parse(body, lim)
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
					t.Fatalf("error %v (%T) is not a FieldError naming a field", err, err)
				}
				continue
			}
			checkLimits(t, p, lim.withDefaults(), len(body))
			// What the collector accepts, enrichment must be able to read.
			if _, _, _, err := enrich.ParseURL(p.URL, p.HashMode, enrich.URLOptions{}); err != nil {
				t.Errorf("accepted url %q that enrich refuses: %v", p.URL, err)
			}
		}
	})
}

func checkLimits(t *testing.T, p Payload, lim Limits, bodyLen int) {
	t.Helper()
	if bodyLen > lim.MaxBodyBytes {
		t.Errorf("accepted a %d-byte body", bodyLen)
	}
	if p.Name == "" || len(p.Name) > lim.MaxNameBytes {
		t.Errorf("accepted name %q", p.Name)
	}
	if len(p.URL) > lim.MaxURLBytes || !(hasPrefixFold(p.URL, "http://") || hasPrefixFold(p.URL, "https://")) {
		t.Errorf("accepted url %q", p.URL)
	}
	if len(p.Referrer) > lim.MaxURLBytes {
		t.Errorf("referrer of %d bytes", len(p.Referrer))
	}
	if len(p.Domains) == 0 {
		t.Error("no domain")
	}
	seen := map[string]bool{}
	for _, d := range p.Domains {
		if d == "" || seen[d] || strings.HasPrefix(d, "www.") || d != strings.ToLower(d) || strings.ContainsAny(d, ", ") {
			t.Errorf("domain %q in %q", d, p.Domains)
		}
		seen[d] = true
	}
	if len(p.Props) > lim.MaxProps {
		t.Errorf("%d props", len(p.Props))
	}
	for k, v := range p.Props {
		if k == "" || v == "" || len(k) > lim.MaxPropKeyBytes || len(v) > lim.MaxPropValueBytes {
			t.Errorf("prop %q=%q", k, v)
		}
	}
	if p.RevenueMilli <= -maxRevenueMilli || p.RevenueMilli >= maxRevenueMilli {
		t.Errorf("revenue %d", p.RevenueMilli)
	}
	if p.RevenueCurrency == "" && p.RevenueMilli != 0 || p.RevenueCurrency != "" && !isCurrency(p.RevenueCurrency) {
		t.Errorf("revenue %d %q", p.RevenueMilli, p.RevenueCurrency)
	}
	if p.ScrollDepth < -1 || p.ScrollDepth > 100 || p.EngagementMS < 0 || p.EngagementMS > 1<<32-1 {
		t.Errorf("engagement sd=%d e=%d", p.ScrollDepth, p.EngagementMS)
	}
	all := []string{p.Name, p.URL, p.Referrer, p.RevenueCurrency}
	all = append(all, p.Domains...)
	for k, v := range p.Props {
		all = append(all, k, v)
	}
	for _, s := range all {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in %q", s)
		}
	}
}

// FuzzJSONReader checks the hand-written reader against encoding/json: same
// verdict on validity, same keys, same decoded strings.
func FuzzJSONReader(f *testing.F) {
	addSeeds(f)
	f.Add([]byte(`{"a":"\ud83d\ude00\ud800x\u00e9\"\\\/\b\f\n\r\t","b":[1,-0.5e+3,true,false,null,{}],"a":{}}`))
	f.Add([]byte(` [ ] `))
	f.Add([]byte(`{"a":01}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if !utf8.Valid(b) {
			return
		}
		r := reader{b: b, s: string(b)}
		v, err := r.value()
		if err == nil {
			err = r.end()
		}
		var se *syntaxError
		if errors.As(err, &se) && se.msg == "nested too deep" {
			return
		}
		if got, want := err == nil, json.Valid(b); got != want {
			t.Fatalf("reader accepts=%v (%v), encoding/json accepts=%v", got, err, want)
		}
		if err != nil || v.kind != kObject {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got := map[string]value{}
		r = reader{b: v.raw, s: v.s}
		if err := r.beginObject(); err != nil {
			t.Fatal(err)
		}
		for {
			key, mv, ok, err := r.next()
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got[key] = mv
		}
		if len(got) != len(want) {
			t.Fatalf("keys %d, encoding/json %d", len(got), len(want))
		}
		for k, raw := range want {
			mv, ok := got[k]
			if !ok {
				t.Fatalf("key %q missing", k)
			}
			if mv.kind != kString {
				continue
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			if mv.text() != s {
				t.Fatalf("key %q: %q, encoding/json %q", k, mv.text(), s)
			}
		}
	})
}

// FuzzDecimalMilli checks the digit-level rounding against math/big.
func FuzzDecimalMilli(f *testing.F) {
	for _, s := range []string{"0", "19.99", "-0.0005", "1e3", "999999999999.9995", "1.5E-2", ".5", "1."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := decimalMilli(s)
		if !ok {
			return
		}
		// Keep big.Rat's work small; huge exponents saturate, tested above.
		if i := strings.IndexAny(s, "eE"); i >= 0 && len(s)-i > 3 || len(s) > 60 || strings.ContainsAny(s, "/_xXpP") {
			return
		}
		r, okRat := new(big.Rat).SetString(s)
		if !okRat {
			t.Fatalf("decimalMilli(%q) accepted what big.Rat refuses", s)
		}
		r.Mul(r, big.NewRat(1000, 1))
		// Round half away from zero: trunc(x + sign(x)/2).
		half := big.NewRat(int64(r.Sign()), 2)
		r.Add(r, half)
		want := new(big.Int).Quo(r.Num(), r.Denom())
		limit := big.NewInt(maxRevenueMilli)
		if want.CmpAbs(limit) >= 0 {
			if got != maxRevenueMilli && got != -maxRevenueMilli {
				t.Fatalf("decimalMilli(%q) = %d, want saturation", s, got)
			}
			return
		}
		if want.Int64() != got {
			t.Fatalf("decimalMilli(%q) = %d, want %d", s, got, want.Int64())
		}
	})
}
