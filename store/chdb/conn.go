package chdb

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"
)

// Conn is one session of the embedded engine on a data folder. It runs one
// statement at a time, as the engine does per connection anyway; the lock
// also keeps the clean-up after a failed statement (see Query) atomic.
type Conn struct {
	lib *lib
	// turn is the connection's lock, as a one-slot channel so that a
	// caller whose context ends while it waits for its turn gives up.
	turn chan struct{}
	conn unsafe.Pointer
}

// lock waits for the connection, or for ctx to end. A statement that has
// started runs to its end (the engine bounds it with max_execution_time).
func (c *Conn) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Conn) unlock() { <-c.turn }

// ErrClosed is returned by queries on a closed connection.
var ErrClosed = errors.New("embedded engine connection is closed")

// Connect loads the library at libPath and opens the data folder dir.
func Connect(libPath, dir string) (*Conn, error) {
	l, err := load(libPath)
	if err != nil {
		return nil, err
	}
	args := []string{"clickhouse", "--path=" + dir}
	keep := make([][]byte, len(args))
	argv := make([]*byte, len(args))
	for i, a := range args {
		keep[i], argv[i] = cstr(a)
	}
	c := l.connect(int32(len(argv)), &argv[0])
	runtime.KeepAlive(keep)
	if c == nil {
		return nil, fmt.Errorf("embedded engine cannot open data folder %s (is another sillage process using it?)", dir)
	}
	skipDestructorsAtExit(l)
	return &Conn{lib: l, conn: c, turn: make(chan struct{}, 1)}, nil
}

// Query runs one statement and returns its output in format. Parameters
// bind {name:Type} placeholders on the engine side, never by interpolation.
func (c *Conn) Query(ctx context.Context, query, format string, names, values []string) ([]byte, error) {
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	if c.conn == nil {
		return nil, ErrClosed
	}
	out, err := c.query(query, format, names, values)
	if err != nil {
		// A statement that fails part-way (a timeout, say) leaves its
		// output's header in the connection, which the engine would put in
		// front of the next result. A throwaway statement takes it.
		_, _ = c.query("SELECT 1", format, nil, nil)
	}
	return out, err
}

func (c *Conn) query(query, format string, names, values []string) ([]byte, error) {
	conn := *(*unsafe.Pointer)(c.conn)
	q, qp := cstr(query)
	f, fp := cstr(format)
	var res unsafe.Pointer
	if len(names) == 0 {
		res = c.lib.queryN(conn, qp, uintptr(len(query)), fp, uintptr(len(format)))
	} else {
		n := len(names)
		keep := make([][]byte, 0, 2*n)
		np, vp := make([]*byte, n), make([]*byte, n)
		nl, vl := make([]uintptr, n), make([]uintptr, n)
		for i := range names {
			var b []byte
			b, np[i] = cstr(names[i])
			keep = append(keep, b)
			b, vp[i] = cstr(values[i])
			keep = append(keep, b)
			nl[i], vl[i] = uintptr(len(names[i])), uintptr(len(values[i]))
		}
		res = c.lib.queryWithParamsN(conn, qp, uintptr(len(query)), fp, uintptr(len(format)), &np[0], &nl[0], &vp[0], &vl[0], uintptr(n))
		runtime.KeepAlive(keep)
		runtime.KeepAlive(np)
		runtime.KeepAlive(vp)
		runtime.KeepAlive(nl)
		runtime.KeepAlive(vl)
	}
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if res == nil {
		return nil, errors.New("embedded engine returned no result")
	}
	defer c.lib.destroyResult(res)
	if e := c.lib.resultError(res); e != nil {
		return nil, &Error{Message: strings.TrimSpace(goString(e))}
	}
	n := c.lib.resultLength(res)
	if n == 0 {
		return nil, nil
	}
	out := make([]byte, n)
	copy(out, unsafe.Slice((*byte)(c.lib.resultBuffer(res)), n))
	return out, nil
}

// Insert streams data in format into an INSERT statement that has no FORMAT
// clause ("INSERT INTO t (a, b)"). The data does not go through the SQL
// parser, which makes it about twice as fast as inline data. The
// connection runs nothing else meanwhile: use one connection for inserts.
func (c *Conn) Insert(ctx context.Context, query, format string, data []byte) error {
	if err := c.lock(ctx); err != nil {
		return err
	}
	defer c.unlock()
	if c.conn == nil {
		return ErrClosed
	}
	conn := *(*unsafe.Pointer)(c.conn)
	q, qp := cstr(query)
	f, fp := cstr(format)
	stream := c.lib.streamInsertN(conn, qp, uintptr(len(query)), fp, uintptr(len(format)))
	runtime.KeepAlive(q)
	runtime.KeepAlive(f)
	if stream == nil {
		return errors.New("embedded engine returned no insert stream")
	}
	defer c.lib.destroyStream(stream)
	if e := c.lib.streamError(stream); e != nil {
		return &Error{Message: strings.TrimSpace(goString(e))}
	}
	if len(data) > 0 {
		if c.lib.streamAppend(stream, &data[0], uintptr(len(data))) != 0 {
			msg := "insert stream refused the data"
			if e := c.lib.streamError(stream); e != nil {
				msg = strings.TrimSpace(goString(e))
			}
			return &Error{Message: msg}
		}
		runtime.KeepAlive(data)
	}
	res := c.lib.streamDone(stream)
	if res == nil {
		return errors.New("embedded engine returned no insert result")
	}
	defer c.lib.destroyResult(res)
	if e := c.lib.resultError(res); e != nil {
		return &Error{Message: strings.TrimSpace(goString(e))}
	}
	return nil
}

// Close releases the session; running queries finish first.
func (c *Conn) Close() error {
	_ = c.lock(context.Background()) // never fails: no deadline
	defer c.unlock()
	if c.conn != nil {
		c.lib.closeConn(c.conn)
		c.conn = nil
	}
	return nil
}

// Error is an error reported by the engine for a statement.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	var n int
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}
