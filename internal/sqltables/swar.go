package sqltables

import "math/bits"

// Word-at-a-time reading: eight bytes of the text are loaded in one
// uint64 (little-endian: the first byte is the lowest) and classified
// at once with integer arithmetic, so that the end of a run of bytes of
// one kind is found with one TrailingZeros64 instead of a branch per
// byte, whose exit the CPU mispredicts with each word of another
// length.
//
// The tests work on the bytes' low seven bits, y = x & lo7, where a
// byte plus a constant below 0x80 never carries into the next byte, so
// that eight bytes are compared at once:
//
//	y + (0x80-a) has bit 7 set iff y >= a
//	y + (0x7F-b) has bit 7 set iff y > b
//	(y ^ c) + 0x7F has bit 7 set iff y != c
//
// Bytes from 0x80 on (x & hi7) are parts of multi-byte characters: they
// continue identifiers as class says.

const (
	lo7 = 0x7F7F7F7F7F7F7F7F
	hi7 = 0x8080808080808080
	rep = 0x0101010101010101 // times a byte value: the value in each byte
)

// notIdent returns x's bytes that cannot continue an identifier (class
// above cDollar), each as its bit 7: the others are letters, digits,
// '_', '$' and bytes from 0x80 on.
func notIdent(x uint64) uint64 {
	y := x & lo7
	t := y | fold // upper-case letters folded to lower case
	letter := (t + (0x80-'a')*rep) &^ (t + (0x7F-'z')*rep)
	digit := (y + (0x80-'0')*rep) &^ (y + (0x7F-'9')*rep)
	other := ((y ^ '_'*rep) + lo7) & ((y ^ '$'*rep) + lo7) // neither '_' nor '$'
	ident := letter | digit | ^other | x
	return ^ident & hi7
}

// notDigit returns x's bytes that are no ASCII digit, each as its bit 7.
func notDigit(x uint64) uint64 {
	y := x & lo7
	digit := (y + (0x80-'0')*rep) &^ (y + (0x7F-'9')*rep) &^ x
	return ^digit & hi7
}

// firstByte returns the index of the first byte whose bit 7 is set in
// m, a mask from notIdent or notDigit; 8 when none is.
func firstByte(m uint64) uint {
	return uint(bits.TrailingZeros64(m)) >> 3
}

// identEnd returns the end of the identifier whose bytes go on from
// src[i]: the first byte from i on that cannot continue it.
func identEnd(src string, i int) int {
	for i+8 <= len(src) {
		if m := notIdent(load8(src[i : i+8])); m != 0 {
			return i + int(firstByte(m))
		}
		i += 8
	}
	for i < len(src) && class[src[i]] <= cDollar {
		i++
	}
	return i
}
