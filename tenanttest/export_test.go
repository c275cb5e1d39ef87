package tenanttest

import "slices"

// MadeBy returns the databases e made (names, or files for SQLite) and
// its template ("" when tenants start empty), for tests.
func MadeBy(e *Env) (made []string, template string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.made), e.tpl
}

// IsPostgres reports whether e's databases are PostgreSQL's.
func IsPostgres(e *Env) bool { return e.srv.kind() == "postgres" }
