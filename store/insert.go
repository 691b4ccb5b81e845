package store

import "context"

// Inserter is an Engine that streams rows already written in a format
// (TabSeparated, RowBinary...) into an INSERT statement without passing
// them through the SQL parser: the embedded engine does.
type Inserter interface {
	// InsertFormatted runs query, an INSERT without a FORMAT clause (it may
	// carry SETTINGS), with data as its rows in format.
	InsertFormatted(ctx context.Context, query, format string, data []byte) error
}

// InsertFormatted streams data into query on an engine that can
// (Inserter), and otherwise sends it inline after FORMAT: one copy of the
// rows in memory less, and no parse of them as SQL text.
func InsertFormatted(ctx context.Context, e Engine, query, format string, data []byte) error {
	if i, ok := e.(Inserter); ok {
		return i.InsertFormatted(ctx, query, format, data)
	}
	return e.Exec(ctx, query+" FORMAT "+format+"\n"+string(data), nil)
}
