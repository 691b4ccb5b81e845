package imports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// A batch is bounded in bytes as well as in rows: rows of long strings
// (up to MaxRecordBytes each) would otherwise pile up a batch's worth of
// rows in memory before the insert.
func TestBatchBoundedInBytes(t *testing.T) {
	ctx := context.Background()
	m, e := newManager(t)
	defer func(n int) { maxBatchBytes = n }(maxBatchBytes)
	maxBatchBytes = 4 << 10
	var body strings.Builder
	body.WriteString("date,page,visitors\n")
	const rows = 64
	for i := range rows {
		fmt.Fprintf(&body, "2023-02-09,/%s%d,1\n", strings.Repeat("p", 500), i)
	}
	var batches, biggest int
	var last uint64
	m.onBatch = func(j Job) {
		batches++
		biggest = max(biggest, int(j.Rows["imported_pages"]-last))
		last = j.Rows["imported_pages"]
	}
	j, _, err := m.Submit(ctx, 1, SourcePlausible, "imported_pages.csv", strings.NewReader(body.String()), "cli")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Process(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	// 4 KiB holds 8 rows of about 530 bytes; the row past the bound closes
	// the batch.
	if biggest > 9 || batches < rows/9 {
		t.Errorf("%d batches, the biggest of %d rows: want batches of at most 9 rows", batches, biggest)
	}
	if n := count(t, e, "SELECT count() FROM imported_pages"); n != rows {
		t.Errorf("%d rows stored, want %d", n, rows)
	}
}

// An archive's entries are counted from its end record before the archive
// is read: each entry costs memory, and a big upload of tiny entries
// would hold millions.
func TestZipEntriesBounded(t *testing.T) {
	ctx := context.Background()
	m, _ := newManager(t)
	files := map[string]string{"imported_visitors.csv": "date,visitors\n2023-01-01,1\n"}
	for i := range MaxZipEntries {
		files[fmt.Sprintf("n/%d", i)] = ""
	}
	_, _, err := m.Submit(ctx, 1, SourcePlausible, "x.zip", bytes.NewReader(zipOf(t, files)), "cli")
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "entries") {
		t.Fatalf("an archive of %d entries: error %v, want an input error about its entries", len(files), err)
	}
	delete(files, "n/0")
	if _, _, err := m.Submit(ctx, 1, SourcePlausible, "x.zip", bytes.NewReader(zipOf(t, files)), "cli"); err != nil {
		t.Fatalf("an archive of %d entries: %v", len(files), err)
	}
	// Fewer entries, but a directory past the bound on what is read.
	files = map[string]string{"imported_visitors.csv": "date,visitors\n2023-01-01,2\n"}
	for i := range 100 {
		files[fmt.Sprintf("%d/%s", i, strings.Repeat("n", 60_000))] = ""
	}
	_, _, err = m.Submit(ctx, 1, SourcePlausible, "x.zip", bytes.NewReader(zipOf(t, files)), "cli")
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "entries") {
		t.Fatalf("an archive of a 6 MB directory: error %v, want an input error about its entries", err)
	}
}
