package imports

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeExport writes a Plausible export of about rows rows to w: mostly
// imported_pages and imported_sources, the largest tables of real exports,
// with a few thousand distinct pages and sources per day.
func writeExport(w io.Writer, rows int) error {
	zw := zip.NewWriter(w)
	day0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	perDay := 2000
	days := max(1, rows/2/perDay)
	write := func(name, header string, line func(b []byte, d string, i int) []byte) error {
		f, err := zw.Create(name)
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		bw.WriteString(header + "\n")
		var b []byte
		for d := range days {
			ds := day0.AddDate(0, 0, d).Format(time.DateOnly)
			for i := range perDay {
				b = line(b[:0], ds, i)
				bw.Write(b)
			}
		}
		return bw.Flush()
	}
	end := day0.AddDate(0, 0, days-1).Format("20060102")
	if err := write("imported_pages_20200101_"+end+".csv", `"date","hostname","page","visits","visitors","pageviews"`, func(b []byte, d string, i int) []byte {
		b = append(b, '"')
		b = append(b, d...)
		b = append(b, `","shop.example.fr","/produits/categorie-`...)
		b = strconv.AppendInt(b, int64(i%40), 10)
		b = append(b, "/article-"...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `",`...)
		b = strconv.AppendInt(b, int64(i%50+1), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%40+1), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%70+1), 10)
		return append(b, '\n')
	}); err != nil {
		return err
	}
	if err := write("imported_sources_20200101_"+end+".csv", `"date","source","referrer","utm_source","utm_medium","utm_campaign","utm_content","utm_term","pageviews","visitors","visits","visit_duration","bounces"`, func(b []byte, d string, i int) []byte {
		b = append(b, '"')
		b = append(b, d...)
		b = append(b, `","Source `...)
		b = strconv.AppendInt(b, int64(i%300), 10)
		b = append(b, `","referrer-`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `.example.com/path","newsletter","email","hiver-2020","","",`...)
		b = strconv.AppendInt(b, int64(i%90+1), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%30+1), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%35+1), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%35*40), 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(i%20), 10)
		return append(b, '\n')
	}); err != nil {
		return err
	}
	return zw.Close()
}

// BenchmarkPlausibleImport imports an export of 400 000 aggregate rows
// into the embedded engine: parsing, checking and storing, per row.
func BenchmarkPlausibleImport(b *testing.B) {
	ctx := context.Background()
	const rows = 400_000
	var buf bytes.Buffer
	if err := writeExport(&buf, rows); err != nil {
		b.Fatal(err)
	}
	m, _ := newManager(b)
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		// A byte more makes another file: the same one would be a no-op.
		data := append(bytes.Clone(buf.Bytes()), byte(i))
		j, _, err := m.Submit(ctx, uint32(i+1), SourcePlausible, "bench.zip", bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Process(ctx, j.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkRowReader is the parser alone: CSV to the engine's TSV.
func BenchmarkRowReader(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`"date","hostname","page","visits","visitors","pageviews"` + "\n")
	for i := range 10_000 {
		fmt.Fprintf(&sb, "\"2023-02-09\",\"shop.example.fr\",\"/produits/article-%d\",%d,%d,%d\n", i, i%50, i%40, i%70)
	}
	data := sb.String()
	t, _ := lookupTable("imported_pages")
	b.SetBytes(int64(len(data)))
	out := make([]byte, 0, 1<<20)
	for b.Loop() {
		rr, err := newRowReader("p.csv", t, strings.NewReader(data), 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		for {
			out, err = rr.next(out[:0])
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestWriteLargeExport writes a large export for measuring sillage import
// (BENCHMARKS.md): SILLAGE_IMPORT_EXPORT_OUT=/tmp/x.zip
// SILLAGE_IMPORT_EXPORT_ROWS=16000000 go test -run TestWriteLargeExport ./imports/
func TestWriteLargeExport(t *testing.T) {
	out := os.Getenv("SILLAGE_IMPORT_EXPORT_OUT")
	if out == "" {
		t.Skip("SILLAGE_IMPORT_EXPORT_OUT not set")
	}
	rows, _ := strconv.Atoi(os.Getenv("SILLAGE_IMPORT_EXPORT_ROWS"))
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeExport(f, max(rows, 1000)); err != nil {
		t.Fatal(err)
	}
}

func FuzzRowReader(f *testing.F) {
	f.Add("date,visitors,pageviews\n2023-02-09,1,2\n")
	f.Add("\"date\",\"source\",\"bounces\"\n\"2023-02-09\",\"a,b\",4294967295\n")
	f.Add("visitors,date\n1,2023-02-30\n")
	f.Add("date,scroll_depth\n2023-02-09,\n")
	f.Fuzz(func(t *testing.T, in string) {
		for _, tb := range []string{"imported_visitors", "imported_sources", "imported_pages"} {
			tab, _ := lookupTable(tb)
			rr, err := newRowReader("f.csv", tab, strings.NewReader(in), 1, 2)
			if err != nil {
				continue
			}
			var out []byte
			for {
				before := len(out)
				out, err = rr.next(out)
				if err != nil {
					break
				}
				line := string(out[before:])
				// Every row written has the site, the import, a date and
				// one field per column, and no raw control character.
				if got := strings.Count(line, "\t"); got != 2+len(tab.Columns) || !strings.HasSuffix(line, "\n") || strings.Count(line, "\n") != 1 {
					t.Fatalf("row %q: %d tabs", line, got)
				}
				if !strings.HasPrefix(line, "1\t2\t") || !validDate(line[4:14]) {
					t.Fatalf("row %q", line)
				}
			}
		}
	})
}
