package tenantfile

import (
	"net/url"
	"strings"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Redacted replaces secrets in the output of [Redact].
const Redacted = "[redacted]"

// Redact returns a copy of c without secrets, for display and logs:
// passwords become "[redacted]", and so do the values of parameters whose
// name mentions a password (pass, pwd), a secret or a token. DSNs and cache URLs keep
// everything but their password:
//
//	postgres://user:secret@host/db           postgres://user:[redacted]@host/db
//	postgres://host/db?password=secret       postgres://host/db?password=[redacted]
//	host=h user=u password='se cret'         host=h user=u password=[redacted]
//	redis://:secret@host:6379/1              redis://:[redacted]@host:6379/1
//	data/acme.db?_pragma=busy_timeout(5000)  (unchanged)
//
// A DSN that is none of these, or that does not parse, becomes
// "[redacted]" as a whole.
func Redact(c tenantconfig.Config) tenantconfig.Config {
	out := c.Clone()
	for _, aliases := range out.ORM {
		for alias, tc := range aliases {
			redactDB(&tc.DataSource)
			for i := range tc.Replicas {
				redactDB(&tc.Replicas[i])
			}
			aliases[alias] = tc
		}
	}
	for alias, cc := range out.Cache {
		cc.URL = redactDSN(cc.URL)
		out.Cache[alias] = cc
	}
	return out
}

func redactDB(db *tenantconfig.DataSource) {
	db.DSN = redactDSN(db.DSN)
	if db.Password != "" {
		db.Password = Redacted
	}
	for k := range db.Params {
		if SecretKey(k) {
			db.Params[k] = Redacted
		}
	}
}

// SecretKey reports whether a connection parameter or query key named k
// holds a secret (its name contains pass, pwd, secret or token, in any
// case): Redact hides its value.
func SecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"pass", "pwd", "secret", "token"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redactDSN removes the password from a DSN or URL.
func redactDSN(s string) string {
	if s == "" {
		return ""
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok && isScheme(scheme) {
		return redactURL(s)
	}
	if !strings.ContainsAny(s, "@ \t\r\n\f\v") {
		// A file name or file: URI, perhaps with a query.
		path, query, hasQuery := strings.Cut(s, "?")
		if !strings.Contains(path, "=") {
			if !hasQuery {
				return s
			}
			return path + "?" + redactQuery(query)
		}
	}
	if r, ok := redactKeywords(s); ok {
		return r
	}
	return Redacted
}

// redactURL redacts a URL's password and its secret query parameters.
func redactURL(s string) string {
	if _, err := url.Parse(s); err != nil {
		return Redacted
	}
	i := strings.Index(s, "://") + len("://")
	end := strings.IndexAny(s[i:], "/?#")
	if end < 0 {
		end = len(s) - i
	}
	auth, rest := s[i:i+end], s[i+end:]
	if strings.Contains(rest, "@") {
		// A userinfo cut short by a '/', '?' or '#' in the password.
		return Redacted
	}
	if at := strings.LastIndex(auth, "@"); at >= 0 {
		if colon := strings.Index(auth[:at], ":"); colon >= 0 {
			auth = auth[:colon+1] + Redacted + auth[at:]
		}
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		query, frag, hasFrag := strings.Cut(query, "#")
		rest = path + "?" + redactQuery(query)
		if hasFrag {
			rest += "#" + frag
		}
	}
	return s[:i] + auth + rest
}

// redactQuery redacts the secret parameters of a URL query.
func redactQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if SecretKey(k) {
			raw, _, _ := strings.Cut(p, "=")
			parts[i] = raw + "=" + Redacted
		}
	}
	return strings.Join(parts, "&")
}

// redactKeywords redacts a libpq keyword/value DSN
// (host=h password='x y'), or reports that s is not one.
func redactKeywords(s string) (string, bool) {
	var b strings.Builder
	i := 0
	space := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	found := false
	for {
		start := i
		space()
		b.WriteString(s[start:i])
		if i == len(s) {
			return b.String(), found
		}
		keyStart := i
		for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		key := s[keyStart:i]
		space()
		if key == "" || i == len(s) || s[i] != '=' {
			return "", false
		}
		i++
		space()
		valStart := i
		if i < len(s) && s[i] == '\'' {
			i++
			for i < len(s) && s[i] != '\'' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(s) {
				return "", false
			}
			i++ // closing quote
		} else {
			for i < len(s) && !isSpace(s[i]) {
				switch s[i] {
				case '\\':
					i++
				case '=':
					// Another format (Server=h;Password=p), or a
					// keyword lost in a value: not ours to guess.
					return "", false
				}
				i++
			}
			i = min(i, len(s))
		}
		b.WriteString(s[keyStart:valStart])
		if SecretKey(key) {
			b.WriteString(Redacted)
		} else {
			b.WriteString(s[valStart:i])
		}
		found = true
	}
}

// isScheme reports whether s is a URL scheme (RFC 3986).
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || (c < '0' || c > '9') && c != '+' && c != '-' && c != '.') {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
