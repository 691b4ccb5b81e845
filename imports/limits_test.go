package imports

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless yields a header line, then one byte forever after it, counting
// what was read: the body of a decompressed zip bomb.
type endless struct {
	head string
	fill byte
	read int64
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if e.head != "" {
			c := copy(p[n:], e.head)
			e.head = e.head[c:]
			n += c
			continue
		}
		p[n] = e.fill
		n++
	}
	e.read += int64(n)
	return n, nil
}

// A line (or a quoted field) that never ends is refused once it passes
// the bound, before it is held whole in memory.
func TestRecordTooLong(t *testing.T) {
	visitors, _ := lookupTable("imported_visitors")
	pages, _ := lookupTable("imported_pages")
	for _, tc := range []struct {
		name  string
		table *Table
		head  string
		fill  byte
	}{
		{"no newline", visitors, "date,visitors\n2023-01-01,", '1'},
		{"unclosed quote", pages, "date,page,visitors\n2023-01-01,\"/", '\n'},
		{"long header", pages, "date,page", 'a'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &endless{head: tc.head, fill: tc.fill}
			// A cap on the source: without a bound the reader would
			// read all of it.
			r := io.LimitReader(src, 64<<20)
			var err error
			rr, err := newRowReader("x.csv", tc.table, r, 1, 1)
			if err == nil {
				_, err = rr.next(nil)
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "longer than") {
				t.Fatalf("error %v, want an input error about a line longer than the bound", err)
			}
			if src.read > 2*MaxRecordBytes {
				t.Fatalf("read %d bytes before refusing, want at most %d", src.read, 2*MaxRecordBytes)
			}
		})
	}
}
