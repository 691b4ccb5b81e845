package imports

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A site holds a bounded number of unfinished chunked uploads, and one
// left idle goes when the next starts, without waiting for a restart.
func TestUnfinishedUploadsBounded(t *testing.T) {
	m := &Manager{Dir: t.TempDir()}
	var ids []string
	for i := range MaxOpenUploads {
		id, _, err := m.AppendChunk(7, "", 0, strings.NewReader("PK"))
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	if _, _, err := m.AppendChunk(7, "", 0, strings.NewReader("PK")); !errors.Is(err, ErrBadUpload) {
		t.Fatalf("upload %d of one site: error %v, want %v", MaxOpenUploads+1, err, ErrBadUpload)
	}
	// Another site is not held back by this one.
	if _, _, err := m.AppendChunk(8, "", 0, strings.NewReader("PK")); err != nil {
		t.Fatalf("another site's upload: %v", err)
	}
	// The uploads under way go on.
	if _, n, err := m.AppendChunk(7, ids[0], 2, strings.NewReader("xx")); err != nil || n != 4 {
		t.Fatalf("next chunk: size %d, error %v", n, err)
	}
	// One left idle is removed when a new one starts, which then fits.
	idle := time.Now().Add(-2 * partialIdle)
	if err := os.Chtimes(m.partial(7, ids[1]), idle, idle); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.AppendChunk(7, "", 0, strings.NewReader("PK")); err != nil {
		t.Fatalf("upload after one went idle: %v", err)
	}
	if _, err := os.Stat(m.partial(7, ids[1])); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the idle upload is still there: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(m.Dir, "partial-7-*"))
	if len(left) != MaxOpenUploads {
		t.Fatalf("%d unfinished uploads of the site, want %d", len(left), MaxOpenUploads)
	}
}
