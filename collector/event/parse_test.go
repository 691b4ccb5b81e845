package event

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name string
		body string
		lim  Limits
		want Payload
	}{
		{
			name: "long keys",
			body: `{"name":"pageview","url":"https://example.fr/a?b=1","domain":"example.fr","referrer":"https://www.google.fr/"}`,
			want: Payload{Name: "pageview", URL: "https://example.fr/a?b=1", Referrer: "https://www.google.fr/",
				Domains: []string{"example.fr"}, Interactive: true, ScrollDepth: -1},
		},
		{
			name: "tracker short keys, props as JSON string, hash mode",
			body: `{"n":"Signup","u":"https://app.example.fr/#/plans","d":"app.example.fr","r":null,"m":"{\"plan\":\"pro\",\"seats\":3}","h":1,"v":27}`,
			want: Payload{Name: "Signup", URL: "https://app.example.fr/#/plans", Domains: []string{"app.example.fr"},
				Props: map[string]string{"plan": "pro", "seats": "3"}, HashMode: true, Interactive: true, ScrollDepth: -1, TrackerVersion: 27},
		},
		{
			name: "short key wins over long key",
			body: `{"n":"short","name":"long","u":"http://a.fr","url":"http://b.fr","d":"a.fr","domain":"b.fr"}`,
			want: Payload{Name: "short", URL: "http://a.fr", Domains: []string{"a.fr"}, Interactive: true, ScrollDepth: -1},
		},
		{
			name: "several domains normalised and deduplicated",
			body: `{"n":"pageview","u":"https://example.fr","d":" Example.fr, www.example.fr ,rollup.example.com,,EXAMPLE.FR"}`,
			want: Payload{Name: "pageview", URL: "https://example.fr", Domains: []string{"example.fr", "rollup.example.com"},
				Interactive: true, ScrollDepth: -1},
		},
		{
			name: "prop values stringified, null empty and nested dropped",
			body: `{"n":"x","u":"https://e.fr","d":"e.fr","p":{"s":"a\u00e9","i":42,"f":1.50,"big":1e21,"t":true,"no":false,"nil":null,"empty":"  ","arr":[1],"obj":{"a":1}," ":"blank key"}}`,
			want: Payload{Name: "x", URL: "https://e.fr", Domains: []string{"e.fr"}, Interactive: true, ScrollDepth: -1,
				Props: map[string]string{"s": "aé", "i": "42", "f": "1.5", "big": "1e+21", "t": "true", "no": "false"}},
		},
		{
			name: "an integer name is its text, a scroll depth past 100 is 100 (as Plausible)",
			body: `{"n":404,"u":"https://e.fr/missing","d":"e.fr","sd":150}`,
			want: Payload{Name: "404", URL: "https://e.fr/missing", Domains: []string{"e.fr"}, Interactive: true, ScrollDepth: 100},
		},
		{
			name: "props that are not an object are ignored",
			body: `{"n":"x","u":"https://e.fr","d":"e.fr","props":"not json","m":[1,2]}`,
			want: Payload{Name: "x", URL: "https://e.fr", Domains: []string{"e.fr"}, Interactive: true, ScrollDepth: -1},
		},
		{
			name: "revenue object with string amount, currency uppercased",
			body: `{"name":"Purchase","url":"https://shop.fr/ok","domain":"shop.fr","revenue":{"amount":"1234.5678","currency":"eur"}}`,
			want: Payload{Name: "Purchase", URL: "https://shop.fr/ok", Domains: []string{"shop.fr"}, Interactive: true, ScrollDepth: -1,
				RevenueMilli: 1234568, RevenueCurrency: "EUR"},
		},
		{
			name: "revenue as JSON string under $",
			body: `{"n":"Purchase","u":"https://shop.fr/ok","d":"shop.fr","$":"{\"amount\":-19.99,\"currency\":\"USD\"}"}`,
			want: Payload{Name: "Purchase", URL: "https://shop.fr/ok", Domains: []string{"shop.fr"}, Interactive: true, ScrollDepth: -1,
				RevenueMilli: -19990, RevenueCurrency: "USD"},
		},
		{
			name: "engagement defaults to non-interactive",
			body: `{"n":"engagement","u":"https://e.fr/post","d":"e.fr","sd":73,"e":15234}`,
			want: Payload{Name: "engagement", URL: "https://e.fr/post", Domains: []string{"e.fr"}, ScrollDepth: 73, EngagementMS: 15234},
		},
		{
			name: "explicit interactive false",
			body: `{"n":"Scroll","u":"https://e.fr","d":"e.fr","i":false}`,
			want: Payload{Name: "Scroll", URL: "https://e.fr", Domains: []string{"e.fr"}, ScrollDepth: -1},
		},
		{
			name: "unknown keys ignored, referrer truncated",
			body: `{"n":"x","u":"https://e.fr","d":"e.fr","zzz":{"a":[1,2,{"b":null}]},"r":"https://ref.fr/` + strings.Repeat("é", 20) + `"}`,
			lim:  Limits{MaxURLBytes: 24},
			want: Payload{Name: "x", URL: "https://e.fr", Domains: []string{"e.fr"}, Referrer: "https://ref.fr/éééé", Interactive: true, ScrollDepth: -1},
		},
		{
			name: "upper-case scheme",
			body: `{"n":"x","u":"HTTPS://E.fr:8443/x","d":"e.fr"}`,
			want: Payload{Name: "x", URL: "HTTPS://E.fr:8443/x", Domains: []string{"e.fr"}, Interactive: true, ScrollDepth: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body), tt.lim)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestParseKeepsThirtyProps: as Plausible, props past the limit are left
// out (the first ones listed are kept), not the event.
func TestParseKeepsThirtyProps(t *testing.T) {
	manyProps := make([]string, 31)
	for i := range manyProps {
		manyProps[i] = `"k` + strings.Repeat("x", i) + `":"v"`
	}
	p, err := Parse([]byte(`{"n":"x","u":"https://e.fr","d":"e.fr","p":{`+strings.Join(manyProps, ",")+`}}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, last := p.Props["k"+strings.Repeat("x", 30)]; len(p.Props) != 30 || last {
		t.Fatalf("kept %d props (the 31st: %v), want the first 30", len(p.Props), last)
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, body, field string
		lim               Limits
	}{
		{"empty body", ``, "body", Limits{}},
		{"blank body", " \n", "body", Limits{}},
		{"too large", `{"n":"` + strings.Repeat("a", 9000) + `"}`, "body", Limits{}},
		{"custom body limit", `{"n":"pageview","u":"https://e.fr","d":"e.fr"}`, "body", Limits{MaxBodyBytes: 20}},
		{"not JSON", `n=pageview`, "body", Limits{}},
		{"trailing garbage", `{"n":"x","u":"https://e.fr","d":"e.fr"}x`, "body", Limits{}},
		{"array", `[1]`, "body", Limits{}},
		{"invalid UTF-8", "{\"n\":\"\xff\",\"u\":\"https://e.fr\",\"d\":\"e.fr\"}", "body", Limits{}},
		{"name missing", `{"u":"https://e.fr","d":"e.fr"}`, "name", Limits{}},
		{"name wrong type", `{"n":true,"u":"https://e.fr","d":"e.fr"}`, "name", Limits{}},
		{"name a fraction", `{"n":4.5,"u":"https://e.fr","d":"e.fr"}`, "name", Limits{}},
		{"name too long", `{"n":"` + strings.Repeat("a", 121) + `","u":"https://e.fr","d":"e.fr"}`, "name", Limits{}},
		{"url missing", `{"n":"x","d":"e.fr"}`, "url", Limits{}},
		{"url relative", `{"n":"x","u":"/path","d":"e.fr"}`, "url", Limits{}},
		{"url no host", `{"n":"x","u":"https:///path","d":"e.fr"}`, "url", Limits{}},
		{"url ftp", `{"n":"x","u":"ftp://e.fr/","d":"e.fr"}`, "url", Limits{}},
		{"url data", `{"n":"x","u":"data:text/html,hi","d":"e.fr"}`, "url", Limits{}},
		{"url control char", `{"n":"x","u":"https://e.fr/\u0001","d":"e.fr"}`, "url", Limits{}},
		{"url too long", `{"n":"x","u":"https://e.fr/` + strings.Repeat("a", 2000) + `","d":"e.fr"}`, "url", Limits{}},
		{"domain missing", `{"n":"x","u":"https://e.fr"}`, "domain", Limits{}},
		{"domain only commas", `{"n":"x","u":"https://e.fr","d":" , ,"}`, "domain", Limits{}},
		{"domain with space", `{"n":"x","u":"https://e.fr","d":"e .fr"}`, "domain", Limits{}},
		{"prop key too long", `{"n":"x","u":"https://e.fr","d":"e.fr","p":{"` + strings.Repeat("k", 301) + `":"v"}}`, "props", Limits{}},
		{"prop value too long", `{"n":"x","u":"https://e.fr","d":"e.fr","p":{"k":"` + strings.Repeat("v", 2001) + `"}}`, "props", Limits{}},
		{"scroll depth negative", `{"n":"engagement","u":"https://e.fr","d":"e.fr","sd":-1}`, "sd", Limits{}},
		{"scroll depth fraction", `{"n":"engagement","u":"https://e.fr","d":"e.fr","sd":50.5}`, "sd", Limits{}},
		{"engaged time negative", `{"n":"engagement","u":"https://e.fr","d":"e.fr","e":-1}`, "e", Limits{}},
		{"engaged time string", `{"n":"engagement","u":"https://e.fr","d":"e.fr","e":"12"}`, "e", Limits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.body), tt.lim)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %+v, %v; want a *FieldError on %q", p, err, tt.field)
			}
			if fe.Field != tt.field {
				t.Errorf("error %q names field %q, want %q", err, fe.Field, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Errorf("error %q does not start with the field name", err)
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"n":"x","u":"/relative","d":"e.fr"}`), Limits{})
	if got, want := err.Error(), "url: must be an absolute http(s) URL"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestDecimalMilli(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"-0", 0, true},
		{"12", 12000, true},
		{"100", 100000, true},
		{"0.001", 1, true},
		{"0.0005", 1, true},
		{"0.00049", 0, true},
		{"-0.0005", -1, true},
		{"19.99", 19990, true},
		{"1234.5678", 1234568, true},
		{"+7.5", 7500, true},
		{".5", 500, true},
		{"1.", 1000, true},
		{"1e3", 1000000, true},
		{"1.5E-2", 15, true},
		{"25e-4", 3, true},
		{"1e-999", 0, true},
		{"0.1000000000000000000000000000000000000009", 100, true},
		{"999999999999.999", 999999999999999, true},
		{"999999999999.9995", maxRevenueMilli, true},
		{"1e99999999", maxRevenueMilli, true},
		{"-123456789012345678901234567890", -maxRevenueMilli, true},
		{"", 0, false},
		{"-", 0, false},
		{".", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"1.2.3", 0, false},
		{"NaN", 0, false},
		{"Infinity", 0, false},
		{"0x10", 0, false},
		{"1 000", 0, false},
		{"1,5", 0, false},
	}
	for _, tt := range tests {
		got, ok := decimalMilli(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("decimalMilli(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestIsCurrency(t *testing.T) {
	for _, c := range []string{"AED", "EUR", "USD", "JPY", "XOF", "ZWL", "CHF"} {
		if !isCurrency(c) {
			t.Errorf("isCurrency(%q) = false", c)
		}
	}
	for _, c := range []string{"", "EU", "EURO", "eur", "XXX", "XTS", "D A", "EDA", "ZZZ", "€€€"} {
		if isCurrency(c) {
			t.Errorf("isCurrency(%q) = true", c)
		}
	}
}

func TestDefaultLimits(t *testing.T) {
	want := Limits{8192, 120, 2000, 30, 300, 2000}
	if got := (Limits{}).withDefaults(); got != want {
		t.Errorf("the limits of a zero Limits = %+v, want %+v", got, want)
	}
}

// typical is what the browser tracker sends for a pageview with a prop.
var typical = []byte(`{"n":"pageview","u":"https://www.example.fr/blog/2024/mon-article?utm_source=newsletter&utm_medium=email","d":"example.fr","r":"https://www.google.fr/","p":{"author":"Camille","lang":"fr"},"v":27}`)

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{
		{"typical", typical},
		{"revenue", []byte(`{"n":"Purchase","u":"https://shop.example.fr/checkout/done","d":"shop.example.fr","r":"https://shop.example.fr/cart","m":"{\"sku\":\"A-12\",\"qty\":2}","$":"{\"amount\":\"59.90\",\"currency\":\"EUR\"}","v":27}`)},
		// An internationalised domain takes IDNA's mapping (NormalizeDomain).
		{"idn", []byte(`{"n":"pageview","u":"https://www.bücher.de/neu","d":"bücher.de","r":null,"v":27}`)},
		{"engagement", []byte(`{"n":"engagement","u":"https://www.example.fr/blog/2024/mon-article","d":"example.fr","r":null,"sd":64,"e":41230,"v":27}`)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(bc.body, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// An invalid revenue does not refuse the event (Plausible answers 202 and
// keeps it): the revenue is dropped and the field at fault is reported.
func TestInvalidRevenueKeepsEvent(t *testing.T) {
	tests := []struct{ name, body, field string }{
		{"revenue not object", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":12}`, "revenue"},
		{"revenue bad JSON string", `{"n":"x","u":"https://e.fr","d":"e.fr","$":"{amount"}`, "revenue"},
		{"revenue no amount", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"currency":"EUR"}}`, "revenue.amount"},
		{"revenue amount text", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":"12€","currency":"EUR"}}`, "revenue.amount"},
		{"revenue amount bool", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":true,"currency":"EUR"}}`, "revenue.amount"},
		{"revenue too large", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":1e12,"currency":"EUR"}}`, "revenue.amount"},
		{"revenue rounds to limit", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":"-999999999999.9995","currency":"EUR"}}`, "revenue.amount"},
		{"revenue no currency", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":1}}`, "revenue.currency"},
		{"revenue unknown currency", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":1,"currency":"EUX"}}`, "revenue.currency"},
		{"revenue currency straddling codes", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":1,"currency":"EDA"}}`, "revenue.currency"},
		{"revenue currency number", `{"n":"x","u":"https://e.fr","d":"e.fr","revenue":{"amount":1,"currency":978}}`, "revenue.currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.body), Limits{})
			if err != nil {
				t.Fatalf("Parse refused the event: %v", err)
			}
			if p.RevenueMilli != 0 || p.RevenueCurrency != "" {
				t.Errorf("revenue kept: %d %q", p.RevenueMilli, p.RevenueCurrency)
			}
			if p.RevenueInvalid != tt.field {
				t.Errorf("RevenueInvalid = %q, want %q", p.RevenueInvalid, tt.field)
			}
			if p.Name != "x" || len(p.Domains) != 1 {
				t.Errorf("event = %+v", p)
			}
		})
	}
}

// Only a body over the limit is ErrBodyTooLarge (the collector answers it
// with 413, every other FieldError with 400), whatever the limit.
func TestBodyTooLarge(t *testing.T) {
	for _, tt := range []struct {
		body string
		lim  Limits
		want bool
	}{
		{`{"n":"` + strings.Repeat("a", 9000) + `"}`, Limits{}, true},
		{`{"n":"pageview","u":"https://e.fr","d":"e.fr"}`, Limits{MaxBodyBytes: 20}, true},
		{`{"n":"` + strings.Repeat("a", 121) + `","u":"https://e.fr","d":"e.fr"}`, Limits{}, false},
		{`{"n":`, Limits{}, false},
		{``, Limits{}, false},
	} {
		_, err := Parse([]byte(tt.body), tt.lim)
		if err == nil {
			t.Fatalf("%.40q accepted", tt.body)
		}
		if got := errors.Is(err, ErrBodyTooLarge); got != tt.want {
			t.Errorf("%.40q (limit %d): errors.Is(%v, ErrBodyTooLarge) = %v, want %v", tt.body, tt.lim.MaxBodyBytes, err, got, tt.want)
		}
	}
}
