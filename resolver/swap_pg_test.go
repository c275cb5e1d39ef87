package resolver_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

type Event struct {
	ID    uint
	Phase string // "before" or "after": whether the write began after Set returned
}

// TestSwapUnderLoad moves a tenant to another database while workers
// write to it: no request fails, work begun after Set returned lands on
// the new database only, a transaction begun before the swap commits on
// the old one, and the old pool closes once that transaction ends.
func TestSwapUnderLoad(t *testing.T) {
	dbs := testenv.Databases(t, 3)
	central, oldDB, newDB := dbs[0], dbs[1], dbs[2]
	for _, name := range []string{oldDB, newDB} {
		raw, err := sql.Open("pgx", testenv.DSN(t, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec("CREATE TABLE events (id bigserial primary key, phase text not null)"); err != nil {
			t.Fatal(err)
		}
		raw.Close()
	}
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
	ctx := tctx("acme")
	if err := r.Set(context.Background(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: oldDB}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	db := gormWith(t, "postgres", testenv.DSN(t, central), r)

	// A transaction in flight across the swap.
	inflight := db.WithContext(ctx).Begin()
	if inflight.Error != nil {
		t.Fatal(inflight.Error)
	}
	if err := inflight.Create(&Event{Phase: "inflight"}).Error; err != nil {
		t.Fatal(err)
	}

	var swapped atomic.Bool
	var ok, before, after atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				phase := "before"
				if swapped.Load() {
					phase = "after"
				}
				var err error
				if ok.Load()%3 == 0 {
					err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
						return tx.Create(&Event{Phase: phase}).Error
					})
				} else {
					err = db.WithContext(ctx).Create(&Event{Phase: phase}).Error
				}
				if err != nil {
					errc <- err
					return
				}
				ok.Add(1)
				if phase == "after" {
					after.Add(1)
				} else {
					before.Add(1)
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := r.Set(context.Background(), "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: newDB}, Version: 2}); err != nil {
		t.Fatal(err)
	}
	swapped.Store(true)
	time.Sleep(300 * time.Millisecond)
	closedBefore := r.Stats().Closed
	if err := inflight.Create(&Event{Phase: "inflight"}).Commit().Error; err != nil {
		t.Fatalf("in-flight transaction: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("request failed during the swap: %v", err)
	}
	if before.Load() == 0 || after.Load() == 0 {
		t.Fatalf("load did not span the swap: %d before, %d after", before.Load(), after.Load())
	}
	count := func(name, phase string) int64 {
		raw, err := sql.Open("pgx", testenv.DSN(t, name))
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var n int64
		if err := raw.QueryRow("SELECT count(*) FROM events WHERE phase = $1", phase).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(oldDB, "after"); n != 0 {
		t.Errorf("%d writes begun after the swap reached the old database", n)
	}
	if n := count(newDB, "after"); n != after.Load() {
		t.Errorf("new database has %d after-swap writes, want %d", n, after.Load())
	}
	if n := count(oldDB, "before") + count(newDB, "before"); n != before.Load() {
		t.Errorf("%d before-swap writes stored, want %d", n, before.Load())
	}
	if n := count(oldDB, "inflight"); n != 2 {
		t.Errorf("old database has %d rows of the in-flight transaction, want 2", n)
	}
	// The old pool closes once the in-flight transaction released it.
	deadline := time.Now().Add(5 * time.Second)
	for r.Stats().Closed <= closedBefore {
		if time.Now().After(deadline) {
			t.Fatalf("old pool not closed: %+v", r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d writes before the swap, %d after; no failure", before.Load(), after.Load())
}

// TestSwapToUnreachableKeepsLastGood refuses a change whose database
// cannot be reached and keeps serving the tenant from its old database.
func TestSwapToUnreachableKeepsLastGood(t *testing.T) {
	dbs := testenv.Databases(t, 1)
	r := newResolver(t, resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: testenv.PostgresURL(t)},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
	})
	bg := context.Background()
	if err := r.Set(bg, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: dbs[0]}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	db := gormWith(t, "postgres", testenv.PostgresURL(t), r)
	var name string
	if err := db.WithContext(tctx("acme")).Raw("SELECT current_database()").Scan(&name).Error; err != nil || name != dbs[0] {
		t.Fatalf("before: %v %q", err, name)
	}
	pctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	err := r.Set(pctx, "acme", tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: "no_such_database_x"}, Version: 2})
	if err == nil {
		t.Fatal("Set to a missing database succeeded")
	}
	if cfg, _ := r.Database("acme"); cfg.Version != 1 {
		t.Fatalf("config version %d after a refused change, want 1", cfg.Version)
	}
	if err := db.WithContext(tctx("acme")).Raw("SELECT current_database()").Scan(&name).Error; err != nil || name != dbs[0] {
		t.Fatalf("after: %v %q", err, name)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(fmt.Errorf("timed out: %w", err))
	}
}
