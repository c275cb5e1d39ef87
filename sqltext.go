package tenantplugin

import (
	"fmt"
	"sync"

	"github.com/tenantrouter/tenantplugin/internal/sqltables"
)

// maxCachedSQL bounds each map of a tableCache. Applications that inline
// values into their SQL make every text new; past the bound the map
// starts again.
const maxCachedSQL = 4096

// tableCache remembers the relations each SQL text names, so that a
// statement's text is read once. It is safe for concurrent use.
type tableCache struct {
	dialect sqltables.Dialect

	mu    sync.RWMutex
	stmts map[string]tableEntry // whole statements and fragments
	froms map[string]tableEntry // Table() expressions
}

type tableEntry struct {
	refs []sqltables.Ref
	err  error
}

func newTableCache(dialectName string) *tableCache {
	d := sqltables.Postgres
	if dialectName == "sqlite" {
		d = sqltables.SQLite
	}
	return &tableCache{dialect: d, stmts: map[string]tableEntry{}, froms: map[string]tableEntry{}}
}

// tables returns the relations sql names; from says sql is a FROM list
// (a Table() expression). An unreadable text wraps ErrUnreadableSQL.
func (c *tableCache) tables(sql string, from bool) ([]sqltables.Ref, error) {
	c.mu.RLock()
	m := c.stmts
	if from {
		m = c.froms
	}
	e, ok := m[sql]
	c.mu.RUnlock()
	if ok {
		return e.refs, e.err
	}
	if from {
		e.refs, e.err = sqltables.FromList(sql, c.dialect)
	} else {
		e.refs, e.err = sqltables.Tables(sql, c.dialect)
	}
	if e.err != nil {
		e.err = fmt.Errorf("%w: %w", ErrUnreadableSQL, e.err)
	}
	c.mu.Lock()
	if len(m) >= maxCachedSQL {
		clear(m) // keeps the map's memory for the texts to come
	}
	m[sql] = e
	c.mu.Unlock()
	return e.refs, e.err
}
