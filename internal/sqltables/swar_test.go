package sqltables

import (
	"strings"
	"testing"
)

// TestSWARClasses checks notIdent and notDigit against the class table
// for every byte value at every position of the word, among bytes of
// each kind around it.
func TestSWARClasses(t *testing.T) {
	for _, fill := range []byte{'a', 'Z', '0', '_', '$', 0x80, 0xFF, ' ', '(', '.', 0, 0x7F} {
		for pos := range 8 {
			for c := range 256 {
				b := []byte(strings.Repeat(string(fill), 8))
				b[pos] = byte(c)
				x := load8(string(b))
				for i := range 8 {
					wantIdent := class[b[i]] > cDollar
					if got := notIdent(x)>>(8*i+7)&1 == 1; got != wantIdent {
						t.Fatalf("notIdent(% x) byte %d: %v, want %v", b, i, got, wantIdent)
					}
					wantDigit := class[b[i]] != cDigit
					if got := notDigit(x)>>(8*i+7)&1 == 1; got != wantDigit {
						t.Fatalf("notDigit(% x) byte %d: %v, want %v", b, i, got, wantDigit)
					}
					if m := notIdent(x) &^ hi7; m != 0 {
						t.Fatalf("notIdent(% x) sets bits outside bit 7: %x", b, m)
					}
				}
			}
		}
	}
}

// TestIdentEnd checks identEnd against a byte-at-a-time reading, for
// words of every length ending at every distance from the text's end.
func TestIdentEnd(t *testing.T) {
	for n := range 40 {
		for tail := range 10 {
			src := "x" + strings.Repeat("a_9$\x80", n)[:n] + " (."[:min(tail, 3)] + strings.Repeat("b", max(tail-3, 0))
			want := 1
			for want < len(src) && class[src[want]] <= cDollar {
				want++
			}
			if got := identEnd(src, 1); got != want {
				t.Fatalf("identEnd(%q, 1) = %d, want %d", src, got, want)
			}
		}
	}
}
