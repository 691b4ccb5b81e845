package migrations_test

import (
	"testing"

	"github.com/sillage-analytics/sillage/migrations"
)

// A mutation goes to the table on one node and to the local tables on a
// cluster; a cluster name that could not be written into DDL is refused,
// by the same check the migrations make.
func TestMutationTable(t *testing.T) {
	for _, tt := range []struct {
		cluster, want string
		bad           bool
	}{
		{"", "events", false},
		{"sillage", "events_local ON CLUSTER sillage", false},
		{"eu-west_2", "events_local ON CLUSTER eu-west_2", false},
		{"a b", "", true},
		{"x; DROP TABLE events", "", true},
		{"1st", "", true},
	} {
		got, err := migrations.Target{Cluster: tt.cluster}.MutationTable("events")
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("cluster %q: %q, %v; want %q (refused: %v)", tt.cluster, got, err, tt.want, tt.bad)
		}
		if verr := (migrations.Target{Cluster: tt.cluster}).Validate(); (verr != nil) != tt.bad {
			t.Errorf("cluster %q: Validate %v, MutationTable %v", tt.cluster, verr, err)
		}
	}
}
