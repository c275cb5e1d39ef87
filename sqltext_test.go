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
	if err != nil || len(a) != 2 {
		t.Fatalf("tables = %v, %v", a, err)
	}
	if b, _ := c.tables(strings.Clone(q), false); &b[0] != &a[0] {
		t.Fatal("a text read before was read again")
	}
	if f, _ := c.tables("notes AS n", true); len(f) != 1 || f[0].Name != "notes" {
		t.Fatalf("FROM list: %v", f)
	}

	long := "SELECT * FROM notes WHERE body = '" + strings.Repeat("x", maxCachedLen) + "'"
	l1, _ := c.tables(long, false)
	l2, _ := c.tables(long, false)
	if &l1[0] == &l2[0] {
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
				refs, err := c.tables(fmt.Sprintf("SELECT * FROM a%d, b%d", n, n), false)
				if err != nil || len(refs) != 2 || refs[0].Name != fmt.Sprint("a", n) || refs[1].Name != fmt.Sprint("b", n) {
					t.Errorf("text %d: %v, %v", n, refs, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
