// Package chdb runs the ClickHouse engine in-process through libchdb.so.
//
// The library is loaded with purego when the first engine is opened, never at
// package init, so a binary that talks to a ClickHouse server starts on a
// machine without the library.
package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// InstallHint tells a person how to get the library; every "not found" error
// ends with it.
const InstallHint = "install it with `make chdb` (npm package @chdb/lib-linux-x64-gnu) or point SILLAGE_CHDB_LIB at libchdb.so"

// ErrLibraryNotFound means no libchdb.so was found in any searched place.
var ErrLibraryNotFound = errors.New("embedded engine library libchdb.so not found")

// npmPath is where `make chdb` installs the library, relative to the
// repository root.
const npmPath = "tools/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

// Candidates lists where the library is looked for, in order: the explicit
// path, then beside the executable, then the npm install of a source checkout
// relative to the executable and to the working directory.
func Candidates(explicit string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	var c []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		c = append(c,
			filepath.Join(dir, "libchdb.so"),
			filepath.Join(dir, "..", "lib", "libchdb.so"),
			filepath.Join(dir, "..", npmPath),
		)
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			c = append(c, filepath.Join(dir, npmPath))
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return c
}

// Find returns the first candidate that exists.
func Find(explicit string) (string, error) {
	for _, p := range Candidates(explicit) {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if explicit != "" {
		return "", fmt.Errorf("%w at %s: %s", ErrLibraryNotFound, explicit, InstallHint)
	}
	return "", fmt.Errorf("%w: %s", ErrLibraryNotFound, InstallHint)
}

// lib holds the C entry points; it is filled once per process.
type lib struct {
	setSignalHandlers func(enabled int32)
	connect           func(argc int32, argv **byte) unsafe.Pointer
	closeConn         func(conn unsafe.Pointer)
	queryWithParamsN  func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) unsafe.Pointer
	queryN         func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	resultBuffer   func(res unsafe.Pointer) unsafe.Pointer
	resultLength   func(res unsafe.Pointer) uintptr
	resultError    func(res unsafe.Pointer) unsafe.Pointer
	resultRowsRead func(res unsafe.Pointer) uint64
	destroyResult  func(res unsafe.Pointer)

	streamInsertN func(conn unsafe.Pointer, query *byte, queryLen uintptr, format *byte, formatLen uintptr) unsafe.Pointer
	streamAppend  func(stream unsafe.Pointer, data *byte, n uintptr) int32
	streamDone    func(stream unsafe.Pointer) unsafe.Pointer
	streamError   func(stream unsafe.Pointer) unsafe.Pointer
	destroyStream func(stream unsafe.Pointer)
	// mallocTrim is the C library's malloc_trim, or nil (see ReleaseMemory).
	mallocTrim func(pad uintptr) int32
	// onExit and exitNow are the C library's on_exit and _exit, or 0 (see
	// skipDestructorsAtExit).
	onExit, exitNow uintptr
}

var (
	loadOnce sync.Once
	loaded   *lib
	loadErr  error
	loadedAt string
)

func load(path string) (*lib, error) {
	loadOnce.Do(func() {
		handle, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err != nil {
			loadErr = fmt.Errorf("cannot load embedded engine library %s: %w", path, err)
			return
		}
		l := &lib{}
		for name, fn := range map[string]any{
			"chdb_set_signal_handlers_enabled": &l.setSignalHandlers,
			"chdb_connect":                     &l.connect,
			"chdb_close_conn":                  &l.closeConn,
			"chdb_query_n":                     &l.queryN,
			"chdb_query_with_params_n":         &l.queryWithParamsN,
			"chdb_result_buffer":               &l.resultBuffer,
			"chdb_result_length":               &l.resultLength,
			"chdb_result_error":                &l.resultError,
			"chdb_result_rows_read":            &l.resultRowsRead,
			"chdb_destroy_query_result":        &l.destroyResult,
			"chdb_stream_insert_n":             &l.streamInsertN,
			"chdb_stream_append":               &l.streamAppend,
			"chdb_stream_done":                 &l.streamDone,
			"chdb_stream_insert_error":         &l.streamError,
			"chdb_destroy_insert_stream":       &l.destroyStream,
		} {
			sym, err := purego.Dlsym(handle, name)
			if err != nil {
				loadErr = fmt.Errorf("embedded engine library %s lacks %s (version 26.7 or later is needed): %w", path, name, err)
				return
			}
			purego.RegisterFunc(fn, sym)
		}
		if sym, err := purego.Dlsym(handle, "malloc_trim"); err == nil {
			purego.RegisterFunc(&l.mallocTrim, sym)
		}
		onExit, err1 := purego.Dlsym(handle, "on_exit")
		exitNow, err2 := purego.Dlsym(handle, "_exit")
		if err1 == nil && err2 == nil {
			l.onExit, l.exitNow = onExit, exitNow
		}
		// The Go runtime owns the process's signals; the engine's own handlers
		// would turn a Go panic or SIGTERM into an engine crash report.
		l.setSignalHandlers(0)
		loaded, loadedAt = l, path
	})
	if loadErr == nil && loadedAt != path {
		return nil, fmt.Errorf("embedded engine library already loaded from %s, cannot load %s too", loadedAt, path)
	}
	return loaded, loadErr
}

var exitGuard sync.Once

// skipDestructorsAtExit makes the C library's exit() end the process at
// once, with its status, before the engine library's static destructors
// run: they free what the engine's threads still use, and the process
// crashes after its work is done (seen as "PASS" then a segmentation fault
// in about 1 run of 3 of a test binary). A Go program never calls exit()
// itself; a build with the race detector does, when it exits with status
// 0. Handlers run last registered first, so this one is registered after
// the first connection has started the engine.
func skipDestructorsAtExit(l *lib) {
	if l.onExit == 0 || l.exitNow == 0 {
		return
	}
	exitGuard.Do(func() {
		// on_exit passes (status, arg) to its handler; _exit reads the
		// status and ignores the second argument.
		purego.SyscallN(l.onExit, l.exitNow, 0)
	})
}

// cstr returns a NUL-terminated copy of s and a pointer to it; the slice must
// stay alive for as long as the pointer is used.
func cstr(s string) ([]byte, *byte) {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b, &b[0]
}

// ReleaseMemory hands the memory the engine freed back to the system. The
// engine allocates through the C library's malloc, which keeps what a
// statement frees in its arenas for the next one: after a large insert
// that is tens of MiB the process holds and no longer uses. It does
// nothing where the library was not loaded or has no malloc_trim.
func ReleaseMemory() {
	if loaded != nil && loaded.mallocTrim != nil {
		loaded.mallocTrim(0)
	}
}
