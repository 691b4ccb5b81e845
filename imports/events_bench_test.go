package imports

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeUmami writes an Umami export of rows events: visits of four
// pageviews, a visitor coming back each day, a few hundred pages and
// referrers.
func writeUmami(w io.Writer, rows int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("website_id,session_id,visit_id,event_id,hostname,browser,os,device,screen,language,country,subdivision1,subdivision2,city," +
		"url_path,url_query,utm_source,utm_medium,utm_campaign,utm_content,utm_term,referrer_path,referrer_query,referrer_domain,page_title," +
		"gclid,fbclid,msclkid,ttclid,li_fat_id,twclid,event_type,event_name,tag,distinct_id,created_at,job_id\n")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	browsers := []string{"chrome", "firefox", "ios", "edge-chromium", "samsung"}
	oses := []string{"Windows 10", "Mac OS", "iOS", "Android OS", "Linux"}
	devices := []string{"desktop", "laptop", "mobile", "tablet"}
	countries := []string{"FR", "DE", "BE", "US", "NL", "ES"}
	refs := []string{"google.com", "", "m.facebook.com", "news.ycombinator.com", "duckduckgo.com", ""}
	var b []byte
	for i := range rows {
		visit, step := i/4, i%4
		visitor := visit / 3
		b = append(b[:0], "5b1c7d2e-0f6a-4c1e-9d3b-2a7e8c4f1b90,"...)
		b = fmt.Appendf(b, "%08x-0000-4000-8000-000000000000,%08x-1111-4000-8000-000000000000,", visitor, visit)
		b = fmt.Appendf(b, "%08x-2222-4000-8000-000000000000,shop.example.fr,", i)
		b = append(b, browsers[visitor%5]...)
		b = append(b, ',')
		b = append(b, oses[visitor%5]...)
		b = append(b, ',')
		b = append(b, devices[visitor%4]...)
		b = append(b, ",1920x1080,fr-FR,"...)
		b = append(b, countries[visitor%6]...)
		b = append(b, ",,,,/produits/article-"...)
		b = strconv.AppendInt(b, int64(i%400), 10)
		b = append(b, ",,,,,,,/,,"...)
		if step == 0 {
			b = append(b, refs[visit%6]...)
		} else {
			b = append(b, "shop.example.fr"...)
		}
		b = append(b, ",Article,,,,,,,1,,,,"...)
		b = t0.Add(time.Duration(visit)*7*time.Second+time.Duration(step)*time.Minute).AppendFormat(b, "2006-01-02 15:04:05")
		b = append(b, ",\n"...)
		bw.Write(b)
	}
	return bw.Flush()
}

// BenchmarkUmamiImport imports an Umami export of 200 000 events into the
// embedded engine: both passes, enrichment and the inserts, per row.
func BenchmarkUmamiImport(b *testing.B) {
	ctx := context.Background()
	const rows = 200_000
	var buf bytes.Buffer
	if err := writeUmami(&buf, rows); err != nil {
		b.Fatal(err)
	}
	m, e := newManager(b)
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		site := uint32(i + 1)
		addSite(b, e, site, "shop.example.fr")
		b.StartTimer()
		j, _, err := m.Submit(ctx, site, SourceUmami, "bench.csv", bytes.NewReader(buf.Bytes()), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Process(ctx, j.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGoatCounterRows is the GoatCounter parser and enrichment alone.
func BenchmarkGoatCounterRows(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("2Path,Title,Event,UserAgent,Browser,System,Session,Bot,Referrer,Referrer scheme,Screen size,Location,FirstVisit,Date\n")
	for i := range 10_000 {
		fmt.Fprintf(&sb, "/blog/post-%d,Post,false,,Firefox 121,Windows 10,%016x,0,www.google.com/search,h,\"1920,1080,1\",FR-IDF,true,2024-05-10T08:%02d:00Z\n",
			i%300, i/3, i%60)
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		g := &goatCounter{}
		f := &eventFile{name: "gc.csv", src: g, cr: newTestCSV(data)}
		h, _ := f.cr.Read()
		if err := g.header("gc.csv", h); err != nil {
			b.Fatal(err)
		}
		for {
			r, _, err := f.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			_ = visitOf(&r, "example.org")
		}
	}
	b.ReportMetric(10_000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// FuzzEventRows feeds both parsers any file: no panic, and every row they
// accept fits the events table (a two-letter country, a time in range, a
// name).
func FuzzEventRows(f *testing.F) {
	f.Add("umami", "session_id,created_at,url_path,event_type,country\nabc,2024-03-01 09:00:00,/,1,FR\n")
	f.Add("umami", "session_id,created_at,url_path,event_type,event_name\nabc,2024-03-01T09:00:00Z,/,2,\nabc,x,/,3,\n")
	f.Add("goatcounter", "2Path,Event,Browser,System,Session,Bot,Referrer,Referrer scheme,Screen size,Location,Date\n/,false,Firefox 1,Linux,s,0,a.b/,h,\"1,2,3\",US-TX,2024-05-10T08:00:00Z\n")
	f.Add("goatcounter", "2Path,Event,Browser,System,Session,Bot,Referrer,Referrer scheme,Screen size,Location,Date\nx,true,,,s,0,,c,,é-,2024-05-10T08:00:00+02:00\n")
	f.Fuzz(func(t *testing.T, source, in string) {
		src, ok := eventSourceOf(source)
		if !ok {
			return
		}
		file := &eventFile{name: "f.csv", src: src, cr: newTestCSV(in)}
		h, err := file.cr.Read()
		if err != nil || src.header("f.csv", h) != nil {
			return
		}
		for {
			r, skip, err := file.next()
			if err != nil {
				return
			}
			if skip {
				continue
			}
			if len(r.country) != 0 && len(r.country) != 2 || r.name == "" || r.visitor == "" || r.ts.Year() < 1970 || r.ts.Year() > 2299 {
				t.Fatalf("row %+v", r)
			}
			_ = visitOf(&r, "example.org")
		}
	})
}

func newTestCSV(s string) *csv.Reader {
	cr := csv.NewReader(strings.NewReader(s))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	return cr
}
