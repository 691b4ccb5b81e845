// Package migrations holds Sillage's schema as golang-migrate SQL files and
// applies them through the store, on a single node or on a cluster.
package migrations

import "embed"

// Files are the migration files, NNNN_name.up.sql and NNNN_name.down.sql;
// each is a text/template rendered for the target (see Render).
//
//go:embed *.sql
var Files embed.FS
