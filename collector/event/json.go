package event

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A purpose-built JSON reader rather than encoding/json: event bodies are
// small flat objects read once, and reflection-driven decoding cost ~10 µs
// a body here, about five times this. It also matches keys exactly, as
// Plausible does, where encoding/json folds case. It validates strictly
// (RFC 8259); FuzzJSONReader checks it against encoding/json.

type kind uint8

const (
	kAbsent kind = iota
	kNull
	kFalse
	kTrue
	kNumber
	kString
	kArray
	kObject
)

var kindNames = [...]string{"absent", "null", "false", "true", "number", "string", "array", "object"}

func (k kind) String() string { return kindNames[k] }

// value is one JSON value as it appears in the input.
type value struct {
	kind    kind
	escaped bool   // a string holding backslash escapes
	raw     []byte // the value's text; strings keep their quotes
	s       string // raw again, as a substring of the reader's string copy
}

func (v value) present() bool { return v.kind > kNull }

// text returns a string's contents, unescaped.
func (v value) text() string {
	if !v.escaped {
		return v.s[1 : len(v.s)-1]
	}
	return string(unescape(v.raw[1 : len(v.raw)-1]))
}

// maxDepth bounds nesting; no legitimate event nests more than three deep.
const maxDepth = 32

type syntaxError struct {
	msg string
	off int
}

func (e *syntaxError) Error() string { return e.msg + " at offset " + strconv.Itoa(e.off) }

// reader reads b. Parsed strings are substrings of s, a copy of b made
// once, so that a body costs one allocation for all its unescaped strings;
// they keep that copy alive, which is at most MaxBodyBytes.
type reader struct {
	b       []byte
	s       string
	i       int
	depth   int
	members int // members read so far in the object being iterated
}

func (r *reader) fail(msg string) error { return &syntaxError{msg, r.i} }

func (r *reader) unexpected() error {
	if r.i >= len(r.b) {
		return r.fail("unexpected end of input")
	}
	return r.fail("unexpected character " + strconv.QuoteRune(rune(r.b[r.i])))
}

func (r *reader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// end reports an error unless only white space is left.
func (r *reader) end() error {
	r.ws()
	if r.i != len(r.b) {
		return r.unexpected()
	}
	return nil
}

// beginObject consumes the '{' of an object whose members follow.
func (r *reader) beginObject() error {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '{' {
		return r.unexpected()
	}
	r.i++
	r.members = 0
	return nil
}

// next reads the object's next member; ok is false after the closing '}'.
func (r *reader) next() (key string, v value, ok bool, err error) {
	r.ws()
	if r.i < len(r.b) && r.b[r.i] == '}' {
		r.i++
		return "", value{}, false, nil
	}
	if r.members > 0 {
		if r.i >= len(r.b) || r.b[r.i] != ',' {
			return "", value{}, false, r.unexpected()
		}
		r.i++
		r.ws()
	}
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", value{}, false, r.unexpected()
	}
	start := r.i
	escaped, err := r.str()
	if err != nil {
		return "", value{}, false, err
	}
	key = r.s[start+1 : r.i-1]
	if escaped {
		key = string(unescape(r.b[start+1 : r.i-1]))
	}
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != ':' {
		return "", value{}, false, r.unexpected()
	}
	r.i++
	v, err = r.value()
	if err != nil {
		return "", value{}, false, err
	}
	r.members++
	return key, v, true, nil
}

// value reads and validates one value of any kind.
func (r *reader) value() (value, error) {
	r.ws()
	if r.i >= len(r.b) {
		return value{}, r.unexpected()
	}
	start := r.i
	var v value
	var err error
	switch c := r.b[r.i]; {
	case c == '"':
		v.kind = kString
		v.escaped, err = r.str()
	case c == '{' || c == '[':
		v.kind = kObject
		if c == '[' {
			v.kind = kArray
		}
		err = r.composite()
	case c == 't':
		v.kind, err = kTrue, r.literal("true")
	case c == 'f':
		v.kind, err = kFalse, r.literal("false")
	case c == 'n':
		v.kind, err = kNull, r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		v.kind, err = kNumber, r.number()
	default:
		return value{}, r.unexpected()
	}
	v.raw, v.s = r.b[start:r.i], r.s[start:r.i]
	return v, err
}

// composite skips an object or array, validating it.
func (r *reader) composite() error {
	if r.depth++; r.depth > maxDepth {
		return r.fail("nested too deep")
	}
	defer func() { r.depth-- }()
	open := r.b[r.i]
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	r.i++
	for n := 0; ; n++ {
		r.ws()
		if r.i < len(r.b) && r.b[r.i] == closer && n == 0 {
			r.i++
			return nil
		}
		if open == '{' {
			if r.i >= len(r.b) || r.b[r.i] != '"' {
				return r.unexpected()
			}
			if _, err := r.str(); err != nil {
				return err
			}
			r.ws()
			if r.i >= len(r.b) || r.b[r.i] != ':' {
				return r.unexpected()
			}
			r.i++
		}
		if _, err := r.value(); err != nil {
			return err
		}
		r.ws()
		if r.i >= len(r.b) {
			return r.unexpected()
		}
		switch r.b[r.i] {
		case ',':
			r.i++
		case closer:
			r.i++
			return nil
		default:
			return r.unexpected()
		}
	}
}

func (r *reader) literal(lit string) error {
	if len(r.b)-r.i < len(lit) || string(r.b[r.i:r.i+len(lit)]) != lit {
		return r.fail("invalid literal")
	}
	r.i += len(lit)
	return nil
}

// str skips a string whose opening quote is at r.i.
func (r *reader) str() (escaped bool, err error) {
	r.i++
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			return escaped, nil
		case c == '\\':
			escaped = true
			r.i++
			if r.i >= len(r.b) {
				return false, r.unexpected()
			}
			switch r.b[r.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				r.i++
			case 'u':
				r.i++
				if len(r.b)-r.i < 4 {
					return false, r.fail("invalid \\u escape")
				}
				for _, h := range r.b[r.i : r.i+4] {
					if hexVal(h) < 0 {
						return false, r.fail("invalid \\u escape")
					}
				}
				r.i += 4
			default:
				return false, r.fail("invalid escape")
			}
		case c < 0x20:
			return false, r.fail("control character in string")
		default:
			r.i++
		}
	}
	return false, r.fail("unterminated string")
}

func (r *reader) number() error {
	if r.b[r.i] == '-' {
		r.i++
	}
	switch {
	case r.i < len(r.b) && r.b[r.i] == '0':
		r.i++
	case r.i < len(r.b) && r.b[r.i] >= '1' && r.b[r.i] <= '9':
		r.digits()
	default:
		return r.fail("invalid number")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if r.digits() == 0 {
			return r.fail("invalid number")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if r.digits() == 0 {
			return r.fail("invalid number")
		}
	}
	return nil
}

func (r *reader) digits() int {
	start := r.i
	for r.i < len(r.b) && r.b[r.i] >= '0' && r.b[r.i] <= '9' {
		r.i++
	}
	return r.i - start
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// unescape decodes the escapes of a validated string's contents. Unpaired
// surrogates become U+FFFD, as with encoding/json, so output is valid UTF-8
// whenever the input is.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		i++
		switch s[i] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2 = hex4(s[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, s[i])
		}
		i++
	}
	return out
}

func hex4(s []byte) rune {
	return hexVal(s[0])<<12 | hexVal(s[1])<<8 | hexVal(s[2])<<4 | hexVal(s[3])
}
