package tenantplugin

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestTableCache: a text is read once and then found; texts longer than
// maxCachedLen are read each time and never kept; however many texts
// come, the cache keeps at most its slots; an unreadable text's error is
// kept with it; concurrent readers of the same texts agree.
func TestTableCache(t *testing.T) {
	c := newTableCache("postgres")
	q := "SELECT * FROM notes JOIN audit_logs ON true"
	a, err := c.tables(q, false)
	if err != nil || len(a.names) != 2 {
		t.Fatalf("tables = %v, %v", a, err)
	}
	if b, _ := c.tables(strings.Clone(q), false); &b.names[0] != &a.names[0] {
		t.Fatal("a text read before was read again")
	}
	if f, _ := c.tables("notes AS n", true); len(f.names) != 1 || f.names[0] != "notes" {
		t.Fatalf("FROM list: %v", f)
	}

	long := "SELECT * FROM notes WHERE body = '" + strings.Repeat("x", maxCachedLen) + "'"
	l1, _ := c.tables(long, false)
	l2, _ := c.tables(long, false)
	if &l1.names[0] == &l2.names[0] {
		t.Fatal("a text longer than maxCachedLen was kept")
	}

	for i := range 3 * stmtSlots {
		if _, err := c.tables(fmt.Sprintf("SELECT * FROM t%d", i), false); err != nil {
			t.Fatal(err)
		}
	}
	kept := 0
	for i := range c.stmts {
		if e := c.stmts[i].entry.Load(); e != nil {
			kept++
			if len(e.sql) > maxCachedLen {
				t.Fatalf("slot %d keeps a text of %d bytes", i, len(e.sql))
			}
		}
	}
	if kept < stmtSlots/2 || kept > stmtSlots {
		t.Fatalf("%d texts kept, want at most %d (and most slots used)", kept, stmtSlots)
	}

	for range 2 {
		if _, err := c.tables("SELECT 'abc", false); !errors.Is(err, ErrUnreadableSQL) {
			t.Fatalf("unreadable text: %v", err)
		}
	}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 {
				n := (i*7 + g) % 300
				rels, err := c.tables(fmt.Sprintf("SELECT * FROM a%d, b%d", n, n), false)
				if err != nil || len(rels.names) != 2 || rels.names[0] != fmt.Sprint("a", n) || rels.names[1] != fmt.Sprint("b", n) {
					t.Errorf("text %d: %v, %v", n, rels, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestTableCacheRelations: the cache keeps what routing asks about, read
// once: relations qualified as written, in order, each once; catalog
// relations (PostgreSQL's and SQLite's, and pragma functions) noted and
// left out; other functions in FROM positions left out; more relations
// than fit an entry's own room kept all the same.
func TestTableCacheRelations(t *testing.T) {
	for _, tc := range []struct {
		dialect, sql string
		names        []string
		catalog      bool
	}{
		{"postgres", "SELECT * FROM public.notes n JOIN notes m ON true, generate_series(1, 3) g", []string{"public.notes", "notes"}, false},
		{"postgres", "SELECT c.relname FROM pg_catalog.pg_class c JOIN audit_logs a ON true", []string{"audit_logs"}, true},
		{"postgres", "SELECT * FROM information_schema.tables WHERE table_name = $1", nil, true},
		{"postgres", "SELECT * FROM pg_tables", nil, true},
		// An application's own table may start with pg_; only
		// PostgreSQL's own names are catalogs when unqualified.
		{"postgres", "SELECT * FROM pg_payments JOIN pg_class ON true", []string{"pg_payments"}, true},
		{"postgres", "SELECT * FROM public.pg_class", []string{"public.pg_class"}, false},
		{"postgres", "SELECT * FROM pg_stats JOIN pg_catalog.pg_payments ON true", []string{"pg_stats"}, true},
		{"sqlite", "SELECT * FROM sqlite_schema JOIN pg_class ON true", []string{"pg_class"}, true},
		{"postgres", "SELECT 1", nil, false},
		{"postgres", `SELECT * FROM "Notes", "my schema".t`, []string{"Notes", "my schema.t"}, false},
		{"sqlite", "SELECT * FROM pragma_table_info(?) JOIN sqlite_master ON true", nil, true},
		{"postgres", "SELECT * FROM a, b, c, d, e, f, g, h, i, j", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, false},
	} {
		c := newTableCache(tc.dialect)
		for range 2 { // read, then found
			got, err := c.tables(tc.sql, false)
			if err != nil || fmt.Sprint(got.names) != fmt.Sprint(tc.names) || got.catalog != tc.catalog {
				t.Errorf("%s: %q: names %q catalog %v, %v; want %q %v", tc.dialect, tc.sql, got.names, got.catalog, err, tc.names, tc.catalog)
			}
		}
	}
}
