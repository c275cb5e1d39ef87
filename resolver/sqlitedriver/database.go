package sqlitedriver

import (
	"path/filepath"
	"strings"
)

// databaseFile returns the database that dsn opens, read as the driver
// and SQLite read it: the file's absolute path; "memory:" and the name
// of an in-memory database with a shared cache (or of the memdb VFS,
// for a name starting with "/"), which every connection of the process
// that names it reaches; "" for a private in-memory database. The
// file's path is the one its symbolic links lead to (resolveLinks).
//
// A DSN without the "file:" scheme (in any case, as SQLite reads it) is
// a path: the driver cuts its query off and passes on only its vfs. A
// URI's query may set mode, cache and vfs, the last of each counting;
// others (the driver's _pragma, say, even journal_mode=memory) do not
// change the database; its path is percent-decoded and may follow an
// empty or "localhost" authority.
func databaseFile(dsn string) string {
	var path, query string
	uri := len(dsn) >= 5 && strings.EqualFold(dsn[:5], "file:")
	if uri {
		path, _, _ = strings.Cut(dsn[5:], "#")
		path, query, _ = strings.Cut(path, "?")
		if rest, ok := strings.CutPrefix(path, "//"); ok {
			i := strings.IndexByte(rest, '/')
			if i < 0 {
				i = len(rest)
			}
			path = rest[i:] // SQLite refuses an authority but "" or "localhost"
		}
		path = unescape(path)
	} else {
		path = dsn
		if i := strings.IndexByte(dsn, '?'); i >= 1 {
			path, query = dsn[:i], dsn[i+1:]
		}
	}
	mode, cache, vfs := uriParams(query)
	if !uri {
		mode, cache = "", "" // not read from a plain path's query
	}
	switch {
	case vfs == "memdb":
		if strings.HasPrefix(path, "/") {
			return "memory:" + path
		}
		return ""
	case path == "" || path == ":memory:" || mode == "memory":
		if cache == "shared" {
			return "memory:" + path
		}
		return ""
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	return resolveLinks(abs)
}

// resolveLinks follows the symbolic links on the path of the file abs,
// which may not exist yet: those of its longest leading part that
// exists. A hard link is not seen: it is a file of its own name.
func resolveLinks(abs string) string {
	p, rest := abs, ""
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return abs
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// uriParams returns the last mode, cache and vfs in a URI's query, as
// SQLite reads them.
func uriParams(query string) (mode, cache, vfs string) {
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		switch unescape(k) {
		case "mode":
			mode = unescape(v)
		case "cache":
			cache = unescape(v)
		case "vfs":
			vfs = unescape(v)
		}
	}
	return mode, cache, vfs
}

// unescape decodes %HH escapes as SQLite does in URIs: a "%" not
// followed by two hex digits stays as it is, and "+" is not a space.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, hexVal(s[i+1])<<4|hexVal(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
