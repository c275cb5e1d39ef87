package main

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestLineWriter: lines come out whole and prefixed, however the writes
// split them, from writers writing at once.
func TestLineWriter(t *testing.T) {
	var (
		mu  sync.Mutex
		out bytes.Buffer
		wg  sync.WaitGroup
	)
	const writers, lines = 4, 200
	for i := range writers {
		w := newLineWriter(&mu, &out, fmt.Sprintf("t%d: ", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var all strings.Builder
			for j := range lines {
				fmt.Fprintf(&all, "line %d of writer %d\n", j, i)
			}
			all.WriteString("no newline")
			s := all.String()
			for len(s) > 0 { // 1 to 7 bytes at a time
				n := min(len(s), 1+len(s)%7)
				_, _ = w.Write([]byte(s[:n]))
				s = s[n:]
			}
			if err := w.Flush(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*(lines+1) {
		t.Fatalf("%d lines, want %d", len(got), writers*(lines+1))
	}
	next := make([]int, writers)
	for _, l := range got {
		var i, j int
		if _, err := fmt.Sscanf(l, "t%d: line %d of writer", &i, &j); err == nil {
			if want := fmt.Sprintf("t%d: line %d of writer %d", i, next[i], i); l != want {
				t.Fatalf("line %q, want %q", l, want)
			}
			next[i]++
			continue
		}
		if _, err := fmt.Sscanf(l, "t%d: no newline", &i); err != nil || next[i] != lines {
			t.Fatalf("line %q out of place", l)
		}
		next[i]++
	}
}

// TestLineWriterLongLine: a line longer than maxLine is written in
// pieces; an error of the output is kept and the rest dropped.
func TestLineWriterLongLine(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	w := newLineWriter(&mu, &out, "p: ")
	if n, err := w.Write(bytes.Repeat([]byte("x"), maxLine+10)); n != maxLine+10 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if want := "p: " + strings.Repeat("x", maxLine) + "\np: xxxxxxxxxx\n"; out.String() != want {
		t.Fatalf("got %d bytes, want %d", out.Len(), len(want))
	}

	boom := errors.New("boom")
	fw := newLineWriter(&mu, failWriter{boom}, "p: ")
	if n, err := fw.Write([]byte("a\nb\n")); n != 4 || err != nil {
		t.Fatalf("Write on a failing output: %d, %v; want 4, nil", n, err)
	}
	if err := fw.Flush(); !errors.Is(err, boom) {
		t.Fatalf("Flush: %v, want %v", err, boom)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }
