package tenantsync_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// wrapper is a Target around a resolver that does not implement
// tenantsync.Verifier.
type wrapper struct{ r *resolver.Resolver }

func (w wrapper) Set(ctx context.Context, id string, db tenantconfig.Database) error {
	return w.r.Set(ctx, id, db)
}

func (w wrapper) Remove(ctx context.Context, id string) error { return w.r.Remove(ctx, id) }

// verifyingWrapper keeps the resolver's check by implementing
// tenantsync.Verifier.
type verifyingWrapper struct {
	wrapper
	verified atomic.Int32
}

func (w *verifyingWrapper) Verify(ctx context.Context, db tenantconfig.Database) error {
	w.verified.Add(1)
	return w.r.Verify(ctx, db)
}

// embedding wraps the resolver by embedding it, overriding Set only:
// the resolver's Verify is promoted, so the check is kept without a line
// of its own.
type embedding struct {
	*resolver.Resolver
	sets atomic.Int32
}

func (e *embedding) Set(ctx context.Context, id string, db tenantconfig.Database) error {
	e.sets.Add(1)
	return e.Resolver.Set(ctx, id, db)
}

var (
	_ tenantsync.Target   = wrapper{}
	_ tenantsync.Verifier = (*verifyingWrapper)(nil)
	_ tenantsync.Verifier = (*embedding)(nil)
)

// TestVerifierWrapper changes a serving tenant, whose pool is not open,
// to a database that cannot be opened, through a Target wrapping the
// resolver: a wrapper that implements Verifier, or embeds the resolver
// and so inherits its Verify, keeps the tenant on its last good config;
// one that does not lets the change through.
func TestVerifierWrapper(t *testing.T) {
	good := filepath.Join(t.TempDir(), "a1.db")
	bad := filepath.Join(t.TempDir(), "no", "such", "dir", "a2.db")

	t.Run("Verifier", func(t *testing.T) {
		store := memstore.New()
		mustApply(t, store, put("a", good))
		r := newResolver(t)
		w := &verifyingWrapper{wrapper: wrapper{r}}
		s := start(t, store, w)
		mustApply(t, store, put("a", bad))
		eventually(t, time.Second, "refusal counted", func() bool { return s.Stats().Refused > 0 })
		if got := state(r)["a"]; got != "a1.db" {
			t.Fatalf("a = %q, want its last good a1.db", got)
		}
		if w.verified.Load() == 0 {
			t.Fatal("Verify not called")
		}
	})
	t.Run("EmbeddedResolver", func(t *testing.T) {
		store := memstore.New()
		mustApply(t, store, put("a", good))
		r := newResolver(t)
		w := &embedding{Resolver: r}
		s := start(t, store, w)
		mustApply(t, store, put("a", bad))
		eventually(t, time.Second, "refusal counted", func() bool { return s.Stats().Refused > 0 })
		if got := state(r)["a"]; got != "a1.db" {
			t.Fatalf("a = %q, want its last good a1.db", got)
		}
		if w.sets.Load() != 1 {
			t.Fatalf("Set called %d times through the wrapper, want 1 (the first config only)", w.sets.Load())
		}
	})
	t.Run("NoVerifier", func(t *testing.T) {
		store := memstore.New()
		mustApply(t, store, put("a", good))
		r := newResolver(t)
		s := start(t, store, wrapper{r})
		mustApply(t, store, put("a", bad))
		eventually(t, time.Second, "the unchecked change applied", func() bool { return s.Stats().Applied == 2 })
		if db, _ := r.Database("a"); !strings.HasSuffix(db.Name, "a2.db") || s.Stats().Refused != 0 {
			t.Fatalf("a = %q, refused %d; want the unchecked a2.db", db.Name, s.Stats().Refused)
		}
	})
}
