package chdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testConn opens a fresh data folder; tests need the real library, which
// `make chdb` installs.
func testConn(t *testing.T) *Conn {
	t.Helper()
	path, err := Find("")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Connect(path, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestQueryWithParams(t *testing.T) {
	c := testConn(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		query  string
		names  []string
		values []string
		want   string
	}{
		{"plain", "SELECT 1 + 1", nil, nil, "2\n"},
		{"string param cannot inject", "SELECT {s:String}", []string{"s"}, []string{"x'; DROP TABLE t; --"}, "\"x'; DROP TABLE t; --\"\n"},
		{"typed params", "SELECT {a:UInt32} + {b:UInt32}", []string{"a", "b"}, []string{"40", "2"}, "42\n"},
		{"array param", "SELECT length({xs:Array(String)})", []string{"xs"}, []string{"['a','b','c']"}, "3\n"},
		{"NUL byte in value", "SELECT length({s:String})", []string{"s"}, []string{"a\x00b"}, "3\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.Query(ctx, tt.query, "CSV", tt.names, tt.values)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("got %q, want %q", out, tt.want)
			}
		})
	}
}

func TestQueryError(t *testing.T) {
	c := testConn(t)
	_, err := c.Query(context.Background(), "SELECT * FROM no_such_table", "CSV", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("want an error naming the table, got %v", err)
	}
}

func TestConcurrentQueries(t *testing.T) {
	c := testConn(t)
	ctx := context.Background()
	if _, err := c.Query(ctx, "CREATE TABLE t (n UInt64) ENGINE = MergeTree ORDER BY n", "CSV", nil, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := c.Query(ctx, "INSERT INTO t SELECT number FROM numbers(100)", "CSV", nil, nil); err != nil {
					errs <- err
					return
				}
				if _, err := c.Query(ctx, "SELECT count() FROM t", "CSV", nil, nil); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	out, err := c.Query(ctx, "SELECT count() FROM t", "CSV", nil, nil)
	if err != nil || string(out) != "16000\n" {
		t.Fatalf("count = %q, %v; want 16000", out, err)
	}
}

func TestFindMissingLibrary(t *testing.T) {
	_, err := Find("/nonexistent/libchdb.so")
	if err == nil || !strings.Contains(err.Error(), "make chdb") {
		t.Fatalf("want a hint on how to install, got %v", err)
	}
}

func TestInsertStream(t *testing.T) {
	c := testConn(t)
	ctx := context.Background()
	if _, err := c.Query(ctx, "CREATE TABLE s (n UInt64, s String) ENGINE = MergeTree ORDER BY n", "CSV", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Insert(ctx, "INSERT INTO s (n, s)", "JSONEachRow", []byte("{\"n\":1,\"s\":\"a\"}\n{\"n\":2,\"s\":\"b\\u0000c\"}\n")); err != nil {
		t.Fatal(err)
	}
	out, err := c.Query(ctx, "SELECT count(), sum(length(s)) FROM s", "CSV", nil, nil)
	if err != nil || string(out) != "2,4\n" {
		t.Fatalf("after insert: %q %v", out, err)
	}
	if err := c.Insert(ctx, "INSERT INTO s (n, s)", "JSONEachRow", []byte("{\"n\":\"not a number\"}\n")); err == nil {
		t.Fatal("want an error for a bad row")
	}
	if err := c.Insert(ctx, "INSERT INTO missing (n)", "JSONEachRow", []byte("{\"n\":1}\n")); err == nil {
		t.Fatal("want an error for a missing table")
	}
	// The connection still works after failed inserts.
	if out, err := c.Query(ctx, "SELECT count() FROM s", "CSV", nil, nil); err != nil || string(out) != "2\n" {
		t.Fatalf("after failed inserts: %q %v", out, err)
	}
}

// After a statement fails (a timeout, here), the next one must not see any
// of the failed one's output.
func TestNoLeftoversAfterError(t *testing.T) {
	c := testConn(t)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		_, err := c.Query(ctx, "SELECT number AS n, sleepEachRow(0.2) AS s FROM numbers(20) SETTINGS max_execution_time = 0.1, max_block_size = 1",
			"JSONCompactEachRowWithNamesAndTypes", nil, nil)
		if err == nil {
			t.Fatal("want a timeout")
		}
		out, err := c.Query(ctx, "SELECT 'a' AS x", "JSONCompactEachRowWithNamesAndTypes", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "[\"x\"]\n[\"String\"]\n[\"a\"]\n"; string(out) != want {
			t.Fatalf("after an error, got %q, want %q", out, want)
		}
	}
}

// Parameters are set on the connection for one statement; concurrent
// statements must each see their own.
func TestConcurrentParams(t *testing.T) {
	c := testConn(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				want := fmt.Sprintf("%d-%d", g, i)
				out, err := c.Query(ctx, "SELECT {v:String}", "TSV", []string{"v"}, []string{want})
				if err != nil || string(out) != want+"\n" {
					errs <- fmt.Errorf("goroutine %d: got %q, %v; want %q", g, out, err, want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// A caller waiting for its turn behind a long statement gives up when its
// context ends, rather than when the statement does.
func TestWaitEndsWithTheContext(t *testing.T) {
	c := testConn(t)
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := c.Query(context.Background(), "SELECT sleepEachRow(0.5) FROM numbers(4) FORMAT Null", "TSV", nil, nil)
		done <- err
	}()
	<-started
	time.Sleep(100 * time.Millisecond) // the long statement holds the connection
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.Query(ctx, "SELECT 1", "TSV", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > time.Second {
		t.Fatalf("waiting behind a 2 s statement with a 200 ms deadline: %v after %v", err, time.Since(t0))
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out, err := c.Query(context.Background(), "SELECT 1", "TSV", nil, nil); err != nil || string(out) != "1\n" {
		t.Fatalf("after: %q, %v", out, err)
	}
}

// ReleaseMemory reaches the C library's malloc_trim (the library imports
// it from glibc), and the engine works on after it.
func TestReleaseMemory(t *testing.T) {
	c := testConn(t)
	if loaded.mallocTrim == nil {
		t.Fatal("malloc_trim was not found beside the engine library")
	}
	ReleaseMemory()
	if out, err := c.Query(context.Background(), "SELECT count() FROM numbers(1000)", "CSV", nil, nil); err != nil || string(out) != "1000\n" {
		t.Fatalf("after ReleaseMemory: %q %v", out, err)
	}
}
