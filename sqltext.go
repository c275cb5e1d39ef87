package tenantplugin

import (
	"fmt"
	"hash/maphash"
	"sync/atomic"

	"github.com/tenantrouter/tenantplugin/internal/sqltables"
)

// The bounds of a tableCache. Applications that inline values into their
// SQL make every text new: a new text takes the place of an old one, and
// the cache never holds more than its slots. A text longer than
// maxCachedLen is read each time rather than kept.
const (
	stmtSlots    = 4096 // statements and fragments
	fromSlots    = 1024 // Table() expressions
	maxCachedLen = 8 << 10
)

// tableCache remembers the relations each SQL text names, so that a
// statement's text is read once. It is a two-way set-associative cache
// indexed by the text's hash: a look-up hashes the text once, reads the
// two slots of its set (one cache line: each slot keeps its entry's hash
// beside it, so that an entry and its text are only read when the hashes
// match) and compares the texts, without a lock. It is safe for
// concurrent use; two goroutines that read the same new text at once
// both read it.
type tableCache struct {
	dialect sqltables.Dialect
	seed    maphash.Seed
	stmts   [stmtSlots]tableSlot
	froms   [fromSlots]tableSlot
}

// tableSlot is one place of a tableCache. Its hash and entry are stored
// one after the other, not together: a reader may see the hash of one
// entry with another, and then compares the texts, or misses and reads
// the text again. Either is correct.
type tableSlot struct {
	hash  atomic.Uint64
	entry atomic.Pointer[tableEntry]
}

type tableEntry struct {
	sql string
	relations
	err error
	// inline holds the names of most texts, so that an entry is one
	// allocation.
	inline [4]string
}

// relations is what routing needs of the relations a text names: the
// names to ask the strategies about, in order of first appearance and
// qualified as written ("public.notes"), and whether it names a relation
// of the system catalogs, which is not asked about (see isCatalog).
// Functions in FROM positions are neither.
type relations struct {
	names   []string
	catalog bool
}

// maxLexed is how many relations a text may name before the lexer's
// result no longer fits the buffer on tables' stack.
const maxLexed = 8

func newTableCache(dialectName string) *tableCache {
	d := sqltables.Postgres
	if dialectName == "sqlite" {
		d = sqltables.SQLite
	}
	return &tableCache{dialect: d, seed: maphash.MakeSeed()}
}

// tables returns the relations sql names; from says sql is a FROM list
// (a Table() expression). An unreadable text wraps ErrUnreadableSQL. The
// names are the cache's: callers must not change them.
func (c *tableCache) tables(sql string, from bool) (relations, error) {
	slots := c.stmts[:]
	if from {
		slots = c.froms[:]
	}
	h := maphash.String(c.seed, sql)
	i := int(h) & (len(slots) - 1) &^ 1
	set := slots[i : i+2 : i+2]
	for k := range set {
		if set[k].hash.Load() != h {
			continue
		}
		if e := set[k].entry.Load(); e != nil && e.sql == sql {
			return e.relations, e.err
		}
	}
	e := &tableEntry{sql: sql}
	var buf [maxLexed]sqltables.Ref
	var refs []sqltables.Ref
	var err error
	if from {
		refs, err = sqltables.AppendFromList(buf[:0], sql, c.dialect)
	} else {
		refs, err = sqltables.AppendTables(buf[:0], sql, c.dialect)
	}
	if err != nil {
		e.err = fmt.Errorf("%w: %w", ErrUnreadableSQL, err)
	}
	e.names = e.inline[:0:len(e.inline)]
	for _, r := range refs {
		if isCatalog(r, c.dialect) {
			e.catalog = true
			continue
		}
		if r.Func {
			continue
		}
		name := r.Name
		if r.Schema != "" {
			name = r.Schema + "." + r.Name
		}
		e.names = append(e.names, name)
	}
	if len(e.names) == 0 {
		e.names = nil
	}
	if len(sql) <= maxCachedLen {
		// The newest text first; the older of the two goes.
		set[1].entry.Store(set[0].entry.Load())
		set[1].hash.Store(set[0].hash.Load())
		set[0].entry.Store(e)
		set[0].hash.Store(h)
	}
	return e.relations, e.err
}
