package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sillage-analytics/sillage/query"
	"github.com/sillage-analytics/sillage/query/admit"
)

func TestStatsFlags(t *testing.T) {
	def := statsFlags{
		limitMember: query.DefaultLimits.Member.String(), limitAPIKey: query.DefaultLimits.APIKey.String(),
		limitSharedLink: query.DefaultLimits.SharedLink.String(), maxMemory: 1 << 30,
	}
	tests := []struct {
		name    string
		edit    func(*statsFlags)
		limits  query.Limits
		memory  int64
		wantErr string
	}{
		{"defaults", func(*statsFlags) {}, query.DefaultLimits, 1 << 30, ""},
		{"a link limit", func(s *statsFlags) { s.limitSharedLink = "2,8,45s" },
			query.Limits{Member: query.DefaultLimits.Member, APIKey: query.DefaultLimits.APIKey,
				SharedLink: admit.Limit{Concurrent: 2, Queue: 8, Budget: 45 * time.Second}}, 1 << 30, ""},
		{"no memory bound", func(s *statsFlags) { s.maxMemory = 0 }, query.DefaultLimits, -1, ""},
		{"negative memory", func(s *statsFlags) { s.maxMemory = -1 }, query.Limits{}, 0, "--stats-max-memory"},
		{"no concurrency", func(s *statsFlags) { s.limitMember = "0,16,60s" }, query.Limits{}, 0, "--stats-limit-member"},
		{"malformed", func(s *statsFlags) { s.limitAPIKey = "1,4" }, query.Limits{}, 0, "--stats-limit-api-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := def
			tt.edit(&f)
			limits, memory, err := f.options()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("want an error naming %s, got %v", tt.wantErr, err)
				}
				return
			}
			if err != nil || limits != tt.limits || memory != tt.memory {
				t.Fatalf("got %+v, %d, %v; want %+v, %d", limits, memory, err, tt.limits, tt.memory)
			}
		})
	}
}
