package main

import (
	"bytes"
	"io"
	"sync"
)

// maxLine is the longest line a lineWriter holds back waiting for its
// end: a longer one is written in pieces of this size, each ended by a
// newline.
const maxLine = 64 << 10

// lineWriter writes whole lines to out, each behind prefix, with one
// Write of out under mu, which all lineWriters sharing out share: lines
// of several writers never mix within a line. Flush writes a last line
// that has no newline.
type lineWriter struct {
	mu     *sync.Mutex
	out    io.Writer
	prefix []byte
	buf    []byte // the unfinished line
	err    error  // out's first
}

func newLineWriter(mu *sync.Mutex, out io.Writer, prefix string) *lineWriter {
	return &lineWriter{mu: mu, out: out, prefix: []byte(prefix)}
}

// Write implements io.Writer. It never fails: an error of out is kept
// for Err, and the rest of the command's output is read and dropped, so
// that the command is not left blocked on a full pipe.
func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := maxLine - len(w.buf)
			if len(p) < room {
				w.buf = append(w.buf, p...)
				break
			}
			w.buf = append(w.buf, p[:room]...)
			p = p[room:]
			w.emit()
			continue
		}
		w.buf = append(w.buf, p[:i]...)
		p = p[i+1:]
		w.emit()
	}
	return n, nil
}

// Flush writes the unfinished line, if any, with a newline, and
// returns the first error of out.
func (w *lineWriter) Flush() error {
	if len(w.buf) > 0 {
		w.emit()
	}
	return w.err
}

// emit writes prefix, the buffered line and a newline in one Write.
func (w *lineWriter) emit() {
	line := make([]byte, 0, len(w.prefix)+len(w.buf)+1)
	line = append(append(append(line, w.prefix...), w.buf...), '\n')
	w.buf = w.buf[:0]
	if w.err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, w.err = w.out.Write(line)
}
