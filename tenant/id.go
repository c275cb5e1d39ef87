package tenant

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxIDLen is the longest tenant id accepted, in bytes.
const MaxIDLen = 128

// ValidateID reports whether id may name a tenant. Tenant ids often
// become database names, file names and cache keys, so anything that could
// escape those is refused: the empty string, more than [MaxIDLen]
// bytes, invalid UTF-8, control characters, '/', '\' and "..". The error
// wraps [ErrInvalidID] and says what was wrong.
func ValidateID(id string) error {
	if validASCII(id) {
		return nil
	}
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidID)
	case len(id) > MaxIDLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidID, len(id), MaxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidID)
	case strings.Contains(id, ".."):
		return fmt.Errorf("%w: %q contains \"..\"", ErrInvalidID, id)
	}
	for i, r := range id {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return fmt.Errorf("%w: character %q at byte %d", ErrInvalidID, r, i)
		}
	}
	return nil
}

// validASCII is the fast path of ValidateID: a short printable
// ASCII id without '/', '\' or "..".
func validASCII(id string) bool {
	if id == "" || len(id) > MaxIDLen {
		return false
	}
	prevDot := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c >= 0x7f || c == '/' || c == '\\' || (c == '.' && prevDot) {
			return false
		}
		prevDot = c == '.'
	}
	return true
}
