package provision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// MaxNameLen is the longest database name accepted, in bytes:
// PostgreSQL's identifier limit (NAMEDATALEN - 1). Longer names would be
// cut by the server, and two tenants could meet in one database.
const MaxNameLen = 63

// maxDerivedLen bounds the names DatabaseName derives, leaving room for
// Config.NamePrefix.
const (
	maxDerivedLen = 48
	maxPrefixLen  = MaxNameLen - maxDerivedLen
	hashLen       = 12 // hex digits of the id's SHA-256: 48 bits
)

// reservedNames are PostgreSQL's own databases.
var reservedNames = []string{"postgres", "template0", "template1"}

// DatabaseName derives a tenant's database name from its id,
// deterministically, so that a re-run finds the database an earlier run
// made: the id in lower case with every run of other characters than
// a-z and 0-9 made one '_' (cut to fit), then '_' and 12 hex digits of
// the id's SHA-256, so that ids that read alike ("Acme", "acme", "a.cme",
// long ids with one beginning) never share a name. The result is at most
// 48 bytes of [a-z0-9_] and starts with a letter:
//
//	DatabaseName("tenant-1.localhost") == "tenant_1_localhost_" + 12 hex digits
//
// It does not check id: callers validate it first (tenant.ValidateID).
func DatabaseName(id string) string {
	sum := sha256.Sum256([]byte(id))
	hash := hex.EncodeToString(sum[:])[:hashLen]
	var b strings.Builder
	b.Grow(maxDerivedLen)
	gap := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			gap = b.Len() > 0
			continue
		}
		if b.Len() == 0 && c >= '0' && c <= '9' {
			b.WriteString("t_")
		}
		if gap {
			b.WriteByte('_')
			gap = false
		}
		b.WriteByte(c)
	}
	s := b.String()
	if s == "" {
		s = "t"
	}
	if room := maxDerivedLen - 1 - hashLen; len(s) > room {
		s = strings.TrimRight(s[:room], "_")
	}
	return s + "_" + hash
}

// ValidateName checks a database name given explicitly (WithDatabase,
// tenantctl's --db): at most [MaxNameLen] bytes of lower-case letters,
// digits and '_', starting with a letter or '_', and none of the
// server's own databases (postgres, template0, template1). The error
// wraps [ErrInvalidName] and names the input, unless it looks like a
// URL or a DSN, which may hold a password.
func ValidateName(name string) error {
	return checkName("provision: ", name)
}

// nameError is a name refused: its message starts with its own prefix
// (an option's name, say) and it wraps ErrInvalidName.
type nameError struct{ msg string }

func (e *nameError) Error() string { return e.msg }
func (e *nameError) Unwrap() error { return ErrInvalidName }

// checkName is ValidateName with the prefix of its error's message.
func checkName(prefix, name string) error {
	quoted := fmt.Sprintf("%q", name)
	if strings.ContainsAny(name, ":@=") {
		quoted = "(not shown: it looks like a URL or DSN)"
	}
	bad := func(why string) error {
		return &nameError{prefix + "invalid database name " + quoted + ": " + why}
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("%d bytes, at most %d (PostgreSQL would cut it)", len(name), MaxNameLen))
	case strings.ContainsAny(name, ":@="):
		return bad("give a database name, not a URL or DSN")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case c >= '0' && c <= '9':
			if i == 0 {
				return bad("starts with a digit; start with a letter or '_'")
			}
		case c >= 'A' && c <= 'Z':
			return bad(fmt.Sprintf("upper-case %q at byte %d: use lower case (PostgreSQL folds unquoted names to lower case, so tools would not find it)", c, i))
		default:
			return bad(fmt.Sprintf("character %q at byte %d: use lower-case letters, digits and '_'", c, i))
		}
	}
	for _, r := range reservedNames {
		if name == r {
			return bad("one of the server's own databases")
		}
	}
	return nil
}

// validatePrefix checks Config.NamePrefix.
func validatePrefix(p string) error {
	if p == "" {
		return nil
	}
	if len(p) > maxPrefixLen {
		return fmt.Errorf("%w: NamePrefix %q: %d bytes, at most %d", ErrInvalidConfig, p, len(p), maxPrefixLen)
	}
	if err := checkName("", p); err != nil {
		return fmt.Errorf("%w: NamePrefix: %w", ErrInvalidConfig, err)
	}
	return nil
}
