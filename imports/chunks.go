package imports

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Chunked uploads: the query service reads request bodies of at most a
// megabyte into memory, so the dashboard sends a large file in chunks that
// are appended, in order, to a partial file of the data folder; the last
// one submits it. A partial file belongs to one site.

// MaxChunkBytes bounds one chunk.
const MaxChunkBytes = 768 << 10

// MaxOpenUploads bounds a site's unfinished chunked uploads, each up to
// the upload limit: the disk they may take is bounded.
const MaxOpenUploads = 4

// partialIdle is how long an unfinished upload may wait for its next chunk.
const partialIdle = time.Hour

// ErrBadUpload is a chunk that does not continue its upload.
var ErrBadUpload = errors.New("bad upload chunk")

var uploadID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func (m *Manager) partial(siteID uint32, id string) string {
	return filepath.Join(m.Dir, "partial-"+strconv.FormatUint(uint64(siteID), 10)+"-"+id)
}

// AppendChunk adds a chunk at offset to a site's upload; an empty id
// starts one. It returns the upload's id and its size after the chunk.
func (m *Manager) AppendChunk(siteID uint32, id string, offset int64, r io.Reader) (string, int64, error) {
	if err := os.MkdirAll(m.Dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("imports: folder %s: %w", m.Dir, err)
	}
	flags := os.O_WRONLY | os.O_APPEND
	if id == "" {
		if offset != 0 {
			return "", 0, fmt.Errorf("%w: a new upload starts at offset 0", ErrBadUpload)
		}
		if err := m.makeRoom(siteID); err != nil {
			return "", 0, err
		}
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", 0, err
		}
		id = hex.EncodeToString(b[:])
		flags |= os.O_CREATE | os.O_EXCL
	} else if !uploadID.MatchString(id) {
		return "", 0, fmt.Errorf("%w: no such upload", ErrBadUpload)
	}
	f, err := os.OpenFile(m.partial(siteID, id), flags, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return "", 0, fmt.Errorf("%w: no such upload", ErrBadUpload)
	}
	if err != nil {
		return "", 0, fmt.Errorf("imports: upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	if st.Size() != offset {
		return "", 0, fmt.Errorf("%w: offset %d, the upload holds %d bytes", ErrBadUpload, offset, st.Size())
	}
	n, err := io.Copy(f, io.LimitReader(r, MaxChunkBytes+1))
	if err != nil {
		return "", 0, fmt.Errorf("imports: upload: %w", err)
	}
	if n > MaxChunkBytes {
		f.Truncate(offset)
		return "", 0, fmt.Errorf("%w: a chunk holds at most %d bytes", ErrBadUpload, MaxChunkBytes)
	}
	return id, offset + n, f.Close()
}

// makeRoom removes the uploads left idle (of every site), then refuses a
// new one if the site has MaxOpenUploads under way. Two racing starts may
// pass it together; the bound holds to within that.
func (m *Manager) makeRoom(siteID uint32) error {
	matches, err := filepath.Glob(filepath.Join(m.Dir, "partial-*"))
	if err != nil {
		return fmt.Errorf("imports: list uploads: %w", err)
	}
	prefix := filepath.Base(m.partial(siteID, ""))
	open := 0
	for _, p := range matches {
		st, err := os.Stat(p)
		if err != nil {
			continue // finished meanwhile
		}
		if time.Since(st.ModTime()) > partialIdle {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("imports: remove an idle upload: %w", err)
			}
			continue
		}
		if strings.HasPrefix(filepath.Base(p), prefix) {
			open++
		}
	}
	if open >= MaxOpenUploads {
		return fmt.Errorf("%w: this site has %d uploads under way; finish one, or start again in an hour", ErrBadUpload, open)
	}
	return nil
}

// SubmitUpload submits a completed chunked upload (see Submit).
func (m *Manager) SubmitUpload(ctx context.Context, siteID uint32, id, source, fileName, createdBy string) (Job, bool, error) {
	if !uploadID.MatchString(id) {
		return Job{}, false, fmt.Errorf("%w: no such upload", ErrBadUpload)
	}
	p := m.partial(siteID, id)
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return Job{}, false, fmt.Errorf("%w: no such upload", ErrBadUpload)
	}
	if err != nil {
		return Job{}, false, err
	}
	defer os.Remove(p)
	defer f.Close()
	return m.Submit(ctx, siteID, source, fileName, f, createdBy)
}

// removeStalePartials deletes uploads left unfinished for a day.
func (m *Manager) removeStalePartials() {
	matches, _ := filepath.Glob(filepath.Join(m.Dir, "partial-*"))
	for _, p := range matches {
		if st, err := os.Stat(p); err == nil && time.Since(st.ModTime()) > 24*time.Hour {
			os.Remove(p)
		}
	}
}

// ExportSlot takes the site's one raw export slot: a raw export writes a
// copy of the site's data to the data folder before it streams, so
// exports of one site run one at a time, or a few requests at once would
// take that space many times. ok is false when one is under way.
func (m *Manager) ExportSlot(siteID uint32) (release func(), ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exporting == nil {
		m.exporting = map[uint32]bool{}
	}
	if m.exporting[siteID] {
		return nil, false
	}
	m.exporting[siteID] = true
	return func() {
		m.mu.Lock()
		delete(m.exporting, siteID)
		m.mu.Unlock()
	}, true
}
