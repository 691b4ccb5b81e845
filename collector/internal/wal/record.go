package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// On-disk record layout, little endian:
//
//	[0:4)   payload length
//	[4:8)   CRC32-C of the payload
//	[8:16)  sequence number
//	[16:)   payload
//
// The checksum covers only the payload; a damaged length or sequence field is
// caught anyway because every record must carry the sequence number after its
// predecessor's and a wrong length makes the checksum land on the wrong bytes.
const headerSize = 16

// maxRecordBytes bounds one payload. Events are a few hundred bytes; the bound
// makes a damaged length field look like corruption rather than a huge read.
const maxRecordBytes = 16 << 20

// indexEvery is the spacing, in bytes, of the in-memory (seq, offset) entries
// kept per segment, so a Read or Commit in the middle of a 64 MiB segment
// scans at most this much before reaching the record it wants.
const indexEvery = 64 << 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func appendRecord(buf []byte, seq uint64, payload []byte) []byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:8], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint64(h[8:16], seq)
	buf = append(buf, h[:]...)
	return append(buf, payload...)
}

// corruptError is a record that is not well formed: a torn write, garbage or
// a damaged byte. Open truncates it away in the last segment and refuses it
// anywhere else; real I/O errors are never reported as corruptError.
type corruptError struct {
	off    int64
	reason string
}

func (e *corruptError) Error() string {
	return fmt.Sprintf("corrupt record at offset %d: %s", e.off, e.reason)
}

// recordReader walks the records of one segment file from a known position.
type recordReader struct {
	br    *bufio.Reader
	off   int64  // offset of the next record
	limit int64  // bytes past limit are not read
	seq   uint64 // sequence number the next record must carry
	hdr   [headerSize]byte
	buf   []byte
}

func newRecordReader(f *os.File, off, limit int64, seq uint64) *recordReader {
	return &recordReader{
		br:    bufio.NewReaderSize(io.NewSectionReader(f, off, limit-off), 64<<10),
		off:   off,
		limit: limit,
		seq:   seq,
	}
}

// next reads one record. With verify false the payload is skipped unread and
// unchecked (used to seek). It returns io.EOF exactly at limit. The payload
// is only valid until the next call.
func (r *recordReader) next(verify bool) (uint64, []byte, error) {
	if r.off == r.limit {
		return 0, nil, io.EOF
	}
	corrupt := func(format string, args ...any) (uint64, []byte, error) {
		return 0, nil, &corruptError{off: r.off, reason: fmt.Sprintf(format, args...)}
	}
	if r.limit-r.off < headerSize {
		return corrupt("%d bytes left, too few for a record header", r.limit-r.off)
	}
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return 0, nil, readErr(err, r.off)
	}
	n := int64(binary.LittleEndian.Uint32(r.hdr[0:4]))
	sum := binary.LittleEndian.Uint32(r.hdr[4:8])
	seq := binary.LittleEndian.Uint64(r.hdr[8:16])
	switch {
	case seq != r.seq:
		return corrupt("sequence number %d, want %d", seq, r.seq)
	case n > maxRecordBytes:
		return corrupt("length %d exceeds the %d-byte limit", n, maxRecordBytes)
	case n > r.limit-r.off-headerSize:
		return corrupt("record of %d bytes runs past the end of the data (%d bytes left)", n, r.limit-r.off-headerSize)
	}
	var payload []byte
	if verify {
		if int64(cap(r.buf)) < n {
			r.buf = make([]byte, n)
		}
		payload = r.buf[:n]
		if _, err := io.ReadFull(r.br, payload); err != nil {
			return 0, nil, readErr(err, r.off)
		}
		if got := crc32.Checksum(payload, castagnoli); got != sum {
			return corrupt("checksum %08x, want %08x (seq %d)", got, sum, seq)
		}
	} else if _, err := r.br.Discard(int(n)); err != nil {
		return 0, nil, readErr(err, r.off)
	}
	r.off += headerSize + n
	r.seq++
	return seq, payload, nil
}

// readErr maps a short read (the file is shorter than limit said) to
// corruption and passes real I/O errors through.
func readErr(err error, off int64) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &corruptError{off: off, reason: "file ends inside the record"}
	}
	return err
}

// indexEntry says that the record with this seq starts at this offset.
type indexEntry struct {
	seq uint64
	off int64
}

// seekIndex returns the last entry at or before seq; index must start with
// the segment's first record.
func seekIndex(index []indexEntry, seq uint64) indexEntry {
	i, found := slices.BinarySearchFunc(index, seq, func(e indexEntry, s uint64) int {
		switch {
		case e.seq < s:
			return -1
		case e.seq > s:
			return 1
		}
		return 0
	})
	if !found {
		i--
	}
	return index[i]
}

const segmentSuffix = ".wal"

// segmentName is the file name of the segment whose first record is first;
// zero padding makes lexical order numeric order.
func segmentName(first uint64) string {
	return fmt.Sprintf("%020d%s", first, segmentSuffix)
}

// listSegments returns the first sequence numbers of the segment files in
// dir, ascending. Other files are ignored.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list wal directory %s: %w", dir, err)
	}
	var firsts []uint64
	for _, e := range entries {
		name := e.Name()
		digits, ok := strings.CutSuffix(name, segmentSuffix)
		if !ok || len(digits) != 20 || !e.Type().IsRegular() {
			continue
		}
		first, err := strconv.ParseUint(digits, 10, 64)
		if err != nil || first == 0 {
			continue
		}
		firsts = append(firsts, first)
	}
	slices.Sort(firsts)
	return firsts, nil
}

// The commit mark is one line, "<seq> <crc32c of the decimal seq, hex>\n":
// readable with cat, and a damaged digit is detected rather than trusted.
const (
	commitFile    = "commit"
	commitTmpFile = "commit.tmp"
)

func formatCommitMark(seq uint64) []byte {
	s := strconv.FormatUint(seq, 10)
	return fmt.Appendf(nil, "%s %08x\n", s, crc32.Checksum([]byte(s), castagnoli))
}

// readCommitMark returns the persisted mark, 0 when there is none.
func readCommitMark(dir string) (uint64, error) {
	path := filepath.Join(dir, commitFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read wal commit mark: %w", err)
	}
	digits, _, _ := strings.Cut(string(b), " ")
	seq, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || string(formatCommitMark(seq)) != string(b) {
		return 0, fmt.Errorf("wal commit mark %s is corrupt (%q)", path, b)
	}
	return seq, nil
}

// writeCommitMark replaces the mark atomically: a crash leaves either the old
// or the new one, never a torn file.
func writeCommitMark(dir string, seq uint64) error {
	tmp := filepath.Join(dir, commitTmpFile)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("write wal commit mark: %w", err)
	}
	_, err = f.Write(formatCommitMark(seq))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, commitFile))
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write wal commit mark %d: %w", seq, err)
	}
	return nil
}

// syncDir makes file creations, renames and truncations in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync wal directory: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync wal directory %s: %w", dir, err)
	}
	return nil
}

// damagedDir, inside the log's directory, keeps segments found damaged, as
// they were, once their intact records are recovered.
const damagedDir = "damaged"

// run is a stretch of consecutive records that verify: seqs [seq, seq+n)
// in bytes [off, end) of a segment.
type run struct {
	seq, n   uint64
	off, end int64
}

// parseAt checks the record at off of a segment held in data against the
// seq it must carry, and returns its end.
func parseAt(data []byte, off int64, seq uint64) (int64, bool) {
	if int64(len(data))-off < headerSize {
		return 0, false
	}
	h := data[off : off+headerSize]
	n := int64(binary.LittleEndian.Uint32(h[0:4]))
	if binary.LittleEndian.Uint64(h[8:16]) != seq || n > maxRecordBytes || n > int64(len(data))-off-headerSize {
		return 0, false
	}
	end := off + headerSize + n
	if crc32.Checksum(data[off+headerSize:end], castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
		return 0, false
	}
	return end, true
}

// salvage finds the records that still verify in a segment (data) after a
// bad record at off, which should have carried seq want. next is the first
// seq of the following segment, or 0 for the last segment.
//
// It looks for a record header at every byte after the damage. A candidate
// must carry a seq the lost bytes can account for (each lost record took at
// least a header's worth) and below next, and its payload must match its
// checksum; a false match needs a 32-bit checksum collision on top of an
// exact seq, so records are not invented from garbage. From each match it
// follows the records that come after it for as long as they verify.
func salvage(data []byte, off int64, want, next uint64) []run {
	var runs []run
	size := int64(len(data))
	expect, lostFrom := want, off
	for p := off + 1; p+headerSize <= size; p++ {
		seq := binary.LittleEndian.Uint64(data[p+8 : p+16])
		if seq < expect || seq-expect > uint64(p-lostFrom)/headerSize || (next != 0 && seq >= next) {
			continue
		}
		end, ok := parseAt(data, p, seq)
		if !ok {
			continue
		}
		r := run{seq: seq, n: 1, off: p}
		for {
			e, ok := parseAt(data, end, seq+r.n)
			if !ok || (next != 0 && seq+r.n >= next) {
				break
			}
			end = e
			r.n++
		}
		r.end = end
		runs = append(runs, r)
		expect, lostFrom = seq+r.n, end
		p = end // the loop's p++ resumes one byte past it
		if end == size {
			break
		}
	}
	return runs
}

// rebuild writes a segment from the records before the damage (data[:off]),
// the runs salvage found and, for every seq in between that was lost, an
// empty placeholder record, so the sequence stays whole and offsets of the
// index stay meaningful. Up to next (0: the last segment, where what follows
// the last run is a torn tail) the lost seqs at the end get placeholders
// too. It returns the new content and how many records were lost.
func rebuild(data []byte, off int64, want, next uint64, runs []run) ([]byte, uint64) {
	out := make([]byte, 0, len(data))
	out = append(out, data[:off]...)
	var lost uint64
	fillTo := func(seq uint64) {
		for ; want < seq; want++ {
			out = appendRecord(out, want, nil)
			lost++
		}
	}
	for _, r := range runs {
		fillTo(r.seq)
		out = append(out, data[r.off:r.end]...)
		want = r.seq + r.n
	}
	if next != 0 {
		fillTo(next)
	}
	return out, lost
}

// tmpSuffix marks a segment being rewritten; Open deletes leftovers.
const tmpSuffix = ".tmp"

// writeFileSync writes a file and fsyncs it (not its directory).
func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeStaleTemps deletes segment rewrites a crash interrupted; the segment
// they were to replace is still in place.
func removeStaleTemps(dir string) error {
	m, err := filepath.Glob(filepath.Join(dir, "*"+segmentSuffix+tmpSuffix))
	if err != nil {
		return fmt.Errorf("list wal directory %s: %w", dir, err)
	}
	for _, p := range m {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove unfinished wal segment rewrite: %w", err)
		}
	}
	return nil
}
