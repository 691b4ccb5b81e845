package migrations

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// Target says where the schema goes: one node (Cluster empty) or every node
// of a ClickHouse cluster, with replicated local tables behind Distributed
// tables of the plain names.
type Target struct {
	Cluster string
}

var clusterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_\-]*$`)

// Validate reports an unusable cluster name before it reaches DDL.
func (t Target) Validate() error {
	if t.Cluster != "" && !clusterName.MatchString(t.Cluster) {
		return fmt.Errorf("invalid cluster name %q: letters, digits, _ and - only", t.Cluster)
	}
	return nil
}

// MutationTable names where a mutation of a data table goes (ALTER …
// UPDATE, DELETE FROM): the table itself on one node; on a cluster, the
// local table on every node, since a Distributed table takes none.
func (t Target) MutationTable(table string) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	if t.Cluster == "" {
		return table, nil
	}
	return localName(table) + " ON CLUSTER " + t.Cluster, nil
}

// localName is the table that holds a cluster's rows, behind the
// Distributed table of the plain name.
func localName(table string) string { return table + "_local" }

// Render turns one migration file's text into SQL for the target.
func Render(name, text string, t Target) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	c := t.Cluster
	funcs := template.FuncMap{
		"cluster": func() bool { return c != "" },
		"on_cluster": func() string {
			if c == "" {
				return ""
			}
			return "ON CLUSTER " + c
		},
		// local names the table that holds the rows: the plain name on one
		// node, name_local on a cluster.
		"local": func(table string) string {
			if c == "" {
				return table
			}
			return localName(table)
		},
		// engine picks the table engine. Sharded tables replicate within a
		// shard; "global" ones (metadata) replicate to every node.
		"engine": func(kind, table string, rest ...string) string {
			var args string
			global := false
			for _, r := range rest {
				if r == "global" {
					global = true
				} else {
					args = r
				}
			}
			if c == "" {
				if args == "" {
					return kind
				}
				return kind + "(" + args + ")"
			}
			path, replica := "'/clickhouse/tables/{shard}/{database}/"+table+"'", "'{replica}'"
			if global {
				path, replica = "'/clickhouse/tables/global/{database}/"+table+"'", "'{shard}-{replica}'"
			}
			all := path + ", " + replica
			if args != "" {
				all += ", " + args
			}
			return "Replicated" + kind + "(" + all + ")"
		},
		// distributed creates, on a cluster, the table of the plain name that
		// spreads inserts over shards by key and reads from all of them.
		"distributed": func(table, key string) string {
			if c == "" {
				return ""
			}
			return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s_local\nENGINE = Distributed(%s, currentDatabase(), %s_local, %s);",
				table, c, table, c, table, key)
		},
		"drop_distributed": func(table string) string {
			if c == "" {
				return ""
			}
			return fmt.Sprintf("DROP TABLE IF EXISTS %s ON CLUSTER %s SYNC;", table, c)
		},
	}
	tmpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("parse migration %s: %w", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("render migration %s: %w", name, err)
	}
	return b.String(), nil
}

// Statements splits rendered SQL into statements on semicolons outside
// quotes and comments, dropping empty ones.
func Statements(sql string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		if stripComments(s) != "" {
			out = append(out, s)
		}
	}
	var quote byte
	for i := 0; i < len(sql); i++ {
		ch := sql[i]
		switch {
		case quote != 0:
			cur.WriteByte(ch)
			if ch == '\\' && i+1 < len(sql) {
				i++
				cur.WriteByte(sql[i])
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"' || ch == '`':
			quote = ch
			cur.WriteByte(ch)
		case ch == '-' && i+1 < len(sql) && sql[i+1] == '-':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			cur.WriteString(sql[i : i+j])
			i += j - 1
		case ch == ';':
			flush()
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			b.WriteString(t)
		}
	}
	return b.String()
}
