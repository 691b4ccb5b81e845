package embedded

import (
	"context"

	"github.com/sillage-analytics/sillage"
)

// InsertEventsJSON inserts as JSONEachRow, the reference the RowBinary
// insert is compared with.
func (e *Engine) InsertEventsJSON(ctx context.Context, tok string, events []sillage.Event) error {
	return e.insertEvents(ctx, tok, events, "JSONEachRow")
}
