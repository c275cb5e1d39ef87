package sqlitedriver

import (
	"errors"
	"fmt"
	"strings"
)

// ErrAttach is the error of a statement that would attach another
// database file to a tenant's connection.
var ErrAttach = errors.New("sqlitedriver: ATTACH is refused on a tenant's connection")

// refuseAttach refuses SQL with the keyword ATTACH outside string
// literals, quoted identifiers and comments. ATTACH DATABASE opens any
// file on the connection, under a schema name of the caller's choosing:
// another tenant's database, or the central one, whose tables the
// plugin would take for the tenant's own ("other.notes"). A column named
// attach must be quoted.
func refuseAttach(query string) error {
	if !containsFold(query, "attach") { // the common case: one scan
		return nil
	}
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			i = skipQuoted(query, i+1, c)
		case c == '[':
			if j := strings.IndexByte(query[i+1:], ']'); j >= 0 {
				i += j + 2
			} else {
				i = len(query)
			}
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(query)
			}
		case isWord(c):
			j := i
			for j < len(query) && isWord(query[j]) {
				j++
			}
			if strings.EqualFold(query[i:j], "attach") {
				return fmt.Errorf("%w: %.80q", ErrAttach, query)
			}
			i = j
		default:
			i++
		}
	}
	return nil
}

// skipQuoted returns the index after the quote q that closes the
// literal or identifier begun before i (a doubled quote is one quote).
func skipQuoted(s string, i int, q byte) int {
	for i < len(s) {
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				i += 2
				continue
			}
			return i + 1
		}
		i++
	}
	return len(s)
}

func isWord(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		if s[i]|0x20 == w[0] && strings.EqualFold(s[i:i+len(w)], w) {
			return true
		}
	}
	return false
}
