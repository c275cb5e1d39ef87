package stmtcache_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/stmtcache"
)

// TestEvictionNeverClosesAStatementInUse runs more distinct queries than
// the cache holds, from many goroutines: evicted statements in use must
// finish.
func TestEvictionNeverClosesAStatementInUse(t *testing.T) {
	db := open(t)
	db.SetMaxOpenConns(4)
	p := stmtcache.Pool{C: stmtcache.New(db, 2)}
	defer p.C.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				q := fmt.Sprintf("SELECT %d", (g+i)%5)
				rows, err := p.QueryContext(ctx, q)
				if err != nil {
					errs <- err
					return
				}
				for rows.Next() {
				}
				if err := rows.Close(); err != nil {
					errs <- err
					return
				}
				var n int
				if err := p.QueryRowContext(ctx, q).Scan(&n); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
