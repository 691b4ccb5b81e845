package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// recorder makes components that write what they do to one log.
type recorder struct {
	events  []string
	failAt  int // the component whose start fails (1-based; 0: none)
	stopErr int // the component whose stop fails (1-based; 0: none)
}

func (r *recorder) parts(n int) []component {
	var out []component
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("c%d", i)
		c := component{name: name, start: func(context.Context) error {
			r.events = append(r.events, "start "+name)
			if i == r.failAt {
				return errors.New(name + " failed")
			}
			return nil
		}}
		// The third has nothing to stop, as the schema does not.
		if i != 3 {
			c.stop = func() error {
				r.events = append(r.events, "stop "+name)
				if i == r.stopErr {
					return errors.New(name + " did not stop")
				}
				return nil
			}
		}
		out = append(out, c)
	}
	return out
}

func TestComponentsStopInReverseWhenOneFailsToStart(t *testing.T) {
	for failAt := 1; failAt <= 5; failAt++ {
		t.Run(fmt.Sprintf("component %d fails", failAt), func(t *testing.T) {
			r := &recorder{failAt: failAt}
			waited := false
			err := runComponents(context.Background(), slog.New(slog.DiscardHandler), r.parts(5), func(context.Context) error {
				waited = true
				return nil
			})
			if err == nil || err.Error() != fmt.Sprintf("c%d failed", failAt) {
				t.Fatalf("got error %v, want the start's own", err)
			}
			if waited {
				t.Fatal("waited although a component failed to start")
			}
			var want []string
			for i := 1; i <= failAt; i++ {
				want = append(want, fmt.Sprintf("start c%d", i))
			}
			for i := failAt - 1; i >= 1; i-- {
				if i != 3 {
					want = append(want, fmt.Sprintf("stop c%d", i))
				}
			}
			if !slices.Equal(r.events, want) {
				t.Fatalf("got\n%q\nwant\n%q", r.events, want)
			}
		})
	}
}

func TestComponentsStopInReverseOnSignal(t *testing.T) {
	tests := []struct {
		name    string
		waitErr error
	}{
		{"signal", nil},
		{"a running part fails", errors.New("HTTP server: closed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The second's stop fails: the first still stops after it.
			r := &recorder{stopErr: 2}
			var logs bytes.Buffer
			ctx, cancel := context.WithCancel(context.Background())
			err := runComponents(ctx, slog.New(slog.NewTextHandler(&logs, nil)), r.parts(4), func(ctx context.Context) error {
				r.events = append(r.events, "wait")
				if tt.waitErr != nil {
					return tt.waitErr
				}
				cancel() // what SIGTERM does to the context
				<-ctx.Done()
				return nil
			})
			if !errors.Is(err, tt.waitErr) {
				t.Fatalf("got error %v, want %v", err, tt.waitErr)
			}
			want := []string{"start c1", "start c2", "start c3", "start c4", "wait", "stop c4", "stop c2", "stop c1"}
			if !slices.Equal(r.events, want) {
				t.Fatalf("got\n%q\nwant\n%q", r.events, want)
			}
			if !strings.Contains(logs.String(), `msg="stop c2" error="c2 did not stop"`) {
				t.Fatalf("the failed stop is not logged:\n%s", logs.String())
			}
		})
	}
}
