package tenantfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kind is a JSON value's type.
type kind uint8

const (
	kNull kind = iota
	kBool
	kNumber
	kString
	kArray
	kObject
)

func (k kind) String() string {
	switch k {
	case kBool:
		return "boolean"
	case kNumber:
		return "number"
	case kString:
		return "string"
	case kArray:
		return "array"
	case kObject:
		return "object"
	}
	return "null"
}

// node is a JSON value. Objects keep their members in order, duplicates
// included, so that the checker can report them.
type node struct {
	kind    kind
	text    string // a string's value, or a number's literal
	members []member
	elems   []*node
}

type member struct {
	key string
	val *node
}

// decode parses data into a tree, or returns the problem: invalid UTF-8
// or a syntax error, with its line and column.
func decode(data []byte) (*node, *Problem) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return nil, &Problem{Path: "$", Message: "not valid UTF-8 at " + position(data, off)}
	}
	// Unmarshal checks the whole input (trailing data included) before it
	// decodes anything, and gives the offset of the first error.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the wrong one included; at
			// the end of the input there is no wrong byte.
			off := int(se.Offset)
			if off > 0 && off <= len(data) && !strings.HasPrefix(se.Error(), "unexpected end") {
				off--
			}
			return nil, &Problem{Path: "$", Message: "invalid JSON at " + position(data, off) + ": " + syntaxReason(se)}
		}
		return nil, &Problem{Path: "$", Message: "invalid JSON"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := build(dec)
	if err != nil { // not reached: the input is valid
		return nil, &Problem{Path: "$", Message: "invalid JSON"}
	}
	return n, nil
}

// build reads one value from a decoder over valid JSON.
func build(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			n := &node{kind: kArray}
			for dec.More() {
				e, err := build(dec)
				if err != nil {
					return nil, err
				}
				n.elems = append(n.elems, e)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		n := &node{kind: kObject}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			key, _ := k.(string)
			v, err := build(dec)
			if err != nil {
				return nil, err
			}
			n.members = append(n.members, member{key: key, val: v})
		}
		_, err := dec.Token() // '}'
		return n, err
	case string:
		return &node{kind: kString, text: t}, nil
	case json.Number:
		return &node{kind: kNumber, text: string(t)}, nil
	case bool:
		return &node{kind: kBool}, nil
	}
	return &node{kind: kNull}, nil
}

// position describes the byte at offset off as a line and column (both
// from 1; the column counts bytes).
func position(data []byte, off int) string {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d (byte offset %d)", line, col, off)
}

// quotedChar is how encoding/json quotes the character it stopped at.
var quotedChar = regexp.MustCompile(`'(?:\\'|[^'])*' `)

// syntaxReason is the decoder's reason without the character it quotes,
// which could be part of a secret.
func syntaxReason(se *json.SyntaxError) string {
	return quotedChar.ReplaceAllString(se.Error(), "")
}

// Paths.

// child is the path of a member of the object at p: p.name when the name
// is an identifier, p["name"] otherwise.
func child(p, key string) string {
	if isIdent(key) {
		return p + "." + key
	}
	return p + "[" + quote(key) + "]"
}

// index is the path of an element of the array at p.
func index(p string, i int) string { return p + "[" + strconv.Itoa(i) + "]" }

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// quote returns s as a JSON string, without HTML escaping.
func quote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
