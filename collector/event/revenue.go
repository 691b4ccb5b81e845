package event

import "strings"

// maxRevenueMilli bounds revenue to ±1e12 units (exclusive): the store sums
// milli-units in int64, and this leaves room for millions of such events.
const maxRevenueMilli = 1_000_000_000_000_000

func parseRevenue(v value) (int64, string, error) {
	if !v.present() {
		return 0, "", nil
	}
	r, ok := objectReader(v)
	if !ok {
		return 0, "", fieldErr("revenue", "must be an object with amount and currency")
	}
	var amount, currency value
	for {
		key, mv, more, err := r.next()
		if err == nil && !more {
			err = r.end()
		}
		if err != nil {
			return 0, "", fieldErr("revenue", "invalid JSON: "+err.Error())
		}
		if !more {
			break
		}
		switch key {
		case "amount":
			amount = mv
		case "currency":
			currency = mv
		}
	}
	milli, err := parseAmount(amount)
	if err != nil {
		return 0, "", err
	}
	cur, err := parseCurrency(currency)
	if err != nil {
		return 0, "", err
	}
	return milli, cur, nil
}

func parseAmount(v value) (int64, error) {
	var s string
	switch v.kind {
	case kAbsent, kNull:
		return 0, fieldErr("revenue.amount", "required")
	case kNumber:
		s = v.s
	case kString:
		s = strings.TrimSpace(v.text())
	default:
		return 0, fieldErr("revenue.amount", "must be a number")
	}
	milli, ok := decimalMilli(s)
	if !ok {
		return 0, fieldErr("revenue.amount", "must be a number")
	}
	if milli <= -maxRevenueMilli || milli >= maxRevenueMilli {
		return 0, fieldErr("revenue.amount", "must be greater than -1e12 and less than 1e12")
	}
	return milli, nil
}

// decimalMilli parses a decimal number (optionally signed, with fraction and
// exponent) into thousandths, rounding half away from zero. It works on the
// digits rather than a float64, so 0.1+0.2-style errors never reach sums.
// Values whose magnitude reaches maxRevenueMilli come back as ±maxRevenueMilli.
func decimalMilli(s string) (int64, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	var buf [32]byte
	digits := buf[:0] // significant digits, leading zeros dropped
	exp := 0          // value = digits × 10^exp
	sawDigit, sawDot := false, false
scan:
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			if sawDot {
				exp--
			}
			if c == '0' && len(digits) == 0 {
				continue
			}
			if len(digits) < cap(buf)-2 {
				digits = append(digits, c)
			} else {
				// Digits this far down never reach the rounding position.
				exp++
			}
		case c == '.' && !sawDot:
			sawDot = true
		default:
			break scan
		}
	}
	if !sawDigit {
		return 0, false
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return 0, false
		}
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		if i == len(s) {
			return 0, false
		}
		e := 0
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			if e < 10000 {
				e = e*10 + int(c-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if len(digits) == 0 {
		return 0, true
	}
	// Scale to thousandths: keep digits[:n], round on digits[n].
	shift := exp + 3
	n := len(digits) + shift
	if n > 16 {
		return signed(maxRevenueMilli, neg), true
	}
	var v int64
	for j := 0; j < n; j++ {
		v *= 10
		if j < len(digits) {
			v += int64(digits[j] - '0')
		}
	}
	if n >= 0 && n < len(digits) && digits[n] >= '5' {
		v++
	}
	if v >= maxRevenueMilli {
		v = maxRevenueMilli
	}
	return signed(v, neg), true
}

func signed(v int64, neg bool) int64 {
	if neg {
		return -v
	}
	return v
}

func parseCurrency(v value) (string, error) {
	switch v.kind {
	case kAbsent, kNull:
		return "", fieldErr("revenue.currency", "required")
	case kString:
		if s := strings.ToUpper(strings.TrimSpace(v.text())); isCurrency(s) {
			return s, nil
		}
	}
	return "", fieldErr("revenue.currency", "must be a 3-letter ISO 4217 code")
}

// currencies lists ISO 4217 codes in use, plus a few withdrawn recently
// (HRK, SLL, ANG, CUC, ZWL) that stale carts may still send. XTS and XXX,
// the test and "no currency" codes, are left out.
const currencies = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV " +
	"BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE " +
	"CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD " +
	"HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD " +
	"KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN " +
	"MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD " +
	"RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS " +
	"TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST " +
	"XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL"

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	// Codes sit at multiples of 4; a hit elsewhere would straddle two codes.
	for off := 0; ; {
		j := strings.Index(currencies[off:], s)
		if j < 0 {
			return false
		}
		if (off+j)%4 == 0 {
			return true
		}
		off += j + 1
	}
}
