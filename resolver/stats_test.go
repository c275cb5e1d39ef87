package resolver_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
)

// TestStatsTenantBudgetWaits: a connection attempt that finds the budget
// spent counts in BudgetWaits and in its tenant's TenantBudgetWaits; a
// tenant that never waited shows 0; a reopened pool starts again at 0.
func TestStatsTenantBudgetWaits(t *testing.T) {
	cfg := sqliteConfig()
	cfg.MaxConns = 1
	r := newResolver(t, cfg)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := r.Set(ctx, id, file(t, id+".db")); err != nil {
			t.Fatal(err)
		}
	}
	pa, _ := r.ConnPool(ctx, "a", tenantplugin.AccessWrite)
	tx, err := pa.(gorm.ConnPoolBeginner).BeginTx(tctx("a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.(gorm.TxCommitter).Rollback() }() // Close waits for it
	pb, _ := r.ConnPool(ctx, "b", tenantplugin.AccessWrite)
	for range 2 {
		c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		_, err := pb.ExecContext(c, "SELECT 1")
		cancel()
		if !errors.Is(err, resolver.ErrConnBudget) {
			t.Fatalf("err = %v, want ErrConnBudget", err)
		}
	}
	st := r.Stats()
	if want := map[string]uint64{"a": 0, "b": 2}; st.BudgetWaits != 2 || !maps.Equal(st.TenantBudgetWaits, want) {
		t.Fatalf("BudgetWaits %d, TenantBudgetWaits %v; want 2, %v", st.BudgetWaits, st.TenantBudgetWaits, want)
	}
	if err := tx.(gorm.TxCommitter).Rollback(); err != nil {
		t.Fatal(err)
	}
	// b's pool moves to another file: the new pool counts only its own
	// waits (for the slot a's idle connection holds).
	if err := r.Set(ctx, "b", file(t, "b2.db")); err != nil {
		t.Fatal(err)
	}
	if _, err := pb.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	st = r.Stats()
	if want := map[string]uint64{"a": 0, "b": st.BudgetWaits - 2}; st.BudgetWaits < 2 || !maps.Equal(st.TenantBudgetWaits, want) {
		t.Fatalf("after the swap: BudgetWaits %d, TenantBudgetWaits %v; want >= 2, %v", st.BudgetWaits, st.TenantBudgetWaits, want)
	}
}
