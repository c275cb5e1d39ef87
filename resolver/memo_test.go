package resolver_test

import (
	"context"
	"errors"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// TestContextMemoFollowsTheTenant: ConnPool remembers the tenant's state
// in its context, so that the context's next statements skip the
// look-up. One context, kept across every change a tenant can go
// through, must reach the tenant's current database each time: after a
// config change, after Remove (unknown), after the tenant is added
// again, on another resolver, for another tenant id, and after Close.
func TestContextMemoFollowsTheTenant(t *testing.T) {
	bg := context.Background()
	r := newResolver(t, sqliteConfig())
	other := newResolver(t, sqliteConfig())
	ctx := tctx("acme")

	// mark creates a table named after where it runs, once; present
	// reports whether the database ctx reaches has it.
	mark := func(r *resolver.Resolver, id, name string) {
		t.Helper()
		pool, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := pool.ExecContext(ctx, "CREATE TABLE "+name+" (x int)"); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	present := func(r *resolver.Resolver, id, name string) bool {
		t.Helper()
		pool, err := r.ConnPool(ctx, id, tenantplugin.AccessWrite)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var n int
		if err := pool.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = ?", name).Scan(&n); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n == 1
	}

	if err := r.Set(bg, "acme", file(t, "a.db")); err != nil {
		t.Fatal(err)
	}
	mark(r, "acme", "first")
	if !present(r, "acme", "first") {
		t.Fatal("the first database lost its table")
	}

	// A config change swaps the pool: the context follows.
	if err := r.Set(bg, "acme", file(t, "b.db")); err != nil {
		t.Fatal(err)
	}
	if present(r, "acme", "first") {
		t.Fatal("after a config change, the context still reaches the old database")
	}
	mark(r, "acme", "second")

	// Another resolver with the same tenant: its own database, and the
	// first resolver's still reached with the same context.
	if err := other.Set(bg, "acme", file(t, "other.db")); err != nil {
		t.Fatal(err)
	}
	if present(other, "acme", "second") {
		t.Fatal("another resolver reached the first one's database through the context")
	}
	if !present(r, "acme", "second") {
		t.Fatal("the first resolver lost its database after another used the context")
	}

	// Another tenant id asked with this context: that tenant's database.
	if err := r.Set(bg, "beta", file(t, "beta.db")); err != nil {
		t.Fatal(err)
	}
	if present(r, "beta", "second") {
		t.Fatal("tenant beta reached acme's database through acme's context")
	}

	// Removed: unknown, with the context that knew it.
	if err := r.Remove(bg, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite); !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("after Remove: %v, want ErrUnknown", err)
	}

	// Added again, elsewhere: the new database.
	if err := r.Set(bg, "acme", file(t, "c.db")); err != nil {
		t.Fatal(err)
	}
	if present(r, "acme", "second") {
		t.Fatal("after Remove and Set, the context reaches the removed tenant's database")
	}

	// Closed: ErrClosed, not the pool the context remembers.
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConnPool(ctx, "acme", tenantplugin.AccessWrite); !errors.Is(err, resolver.ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}
