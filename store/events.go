package store

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sillage-analytics/sillage"
)

// AppendEventJSON appends e as one JSONEachRow line with EventColumns'
// keys, a loop over Events. Inserts use RowBinary (AppendEventRowBinary);
// this text form, which the engine parses and checks itself, is what the
// tests hold RowBinary to.
func AppendEventJSON(b []byte, e *sillage.Event) []byte {
	for i := range Events {
		c := &Events[i]
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(appendString(b, c.Name), ':')
		switch c.Kind {
		case KindString, KindFixedString:
			b = appendString(b, *c.Text(e))
		case KindUInt8:
			b = strconv.AppendUint(b, uint64(*c.Uint8(e)), 10)
		case KindUInt16:
			b = strconv.AppendUint(b, uint64(*c.Uint16(e)), 10)
		case KindUInt32:
			b = strconv.AppendUint(b, uint64(*c.Uint32(e)), 10)
		case KindUInt64:
			b = strconv.AppendUint(b, *c.Uint64(e), 10)
		case KindDateTime64:
			b = appendTime(b, *c.Time(e))
		case KindDecimal:
			b = appendMilli(b, *c.Milli(e))
		case KindBool:
			b = strconv.AppendBool(b, *c.Bool(e))
		case KindMap:
			b = append(b, '{')
			first := true
			for k, v := range *c.Map(e) {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = append(appendString(b, k), ':')
				b = appendString(b, v)
			}
			b = append(b, '}')
		}
	}
	return append(b, "}\n"...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, "2006-01-02 15:04:05.000")
	return append(b, '"')
}

// appendMilli writes thousandths as a decimal string with three places.
func appendMilli(b []byte, milli int64) []byte {
	b = append(b, '"')
	if milli < 0 {
		b = append(b, '-')
		milli = -milli
	}
	b = strconv.AppendInt(b, milli/1000, 10)
	frac := milli % 1000
	b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	return append(b, '"')
}

const hex = "0123456789abcdef"

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
