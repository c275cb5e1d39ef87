package tenantplugin

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTenantIDLen is the longest tenant id accepted, in bytes.
const MaxTenantIDLen = 128

// ValidateTenantID reports whether id may name a tenant. Tenant ids often
// become database names, file names and cache keys, so anything that could
// escape those is refused: the empty string, more than [MaxTenantIDLen]
// bytes, invalid UTF-8, control characters, '/', '\' and "..". The error
// wraps [ErrInvalidTenantID] and says what was wrong.
func ValidateTenantID(id string) error {
	if validASCII(id) {
		return nil
	}
	switch {
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidTenantID)
	case len(id) > MaxTenantIDLen:
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrInvalidTenantID, len(id), MaxTenantIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidTenantID)
	case strings.Contains(id, ".."):
		return fmt.Errorf("%w: %q contains \"..\"", ErrInvalidTenantID, id)
	}
	for i, r := range id {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return fmt.Errorf("%w: character %q at byte %d", ErrInvalidTenantID, r, i)
		}
	}
	return nil
}

// validASCII is the fast path of ValidateTenantID: a short printable
// ASCII id without '/', '\' or "..".
func validASCII(id string) bool {
	if id == "" || len(id) > MaxTenantIDLen {
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
