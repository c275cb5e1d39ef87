package tenantsync_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// plainStore is a store that announces changes but cannot read records
// with their sums (no tenantconfig.Digester): announced tenants are read
// one by one.
type plainStore struct {
	tenantconfig.Store
	tenantconfig.Watcher
}

func newStores(t *testing.T) map[string]tenantconfig.Store {
	m := memstore.New()
	return map[string]tenantconfig.Store{"digest": newRT5Store(t).store, "plain": plainStore{m, m}}
}

// TestRedTeam6ChainedMoveApplies: one write moves tenant a to the
// database b leaves, and b to a new one (a's id sorts first). Applied
// one by one, a's change is refused while b still holds its old
// database; once b has moved, a's change must apply too, without
// waiting for a resync that may never come, and without a refusal.
func TestRedTeam6ChainedMoveApplies(t *testing.T) {
	for kind, s := range newStores(t) {
		t.Run(kind, func(t *testing.T) {
			mustApply(t, s, put("a", "x.db"), put("b", "y.db"))
			r := newResolver(t)
			sy := start(t, s, r, tenantsync.WithResyncInterval(-1))
			mustApply(t, s, put("a", "y.db"), put("b", "z.db"))
			want := map[string]string{"a": "y.db", "b": "z.db"}
			eventually(t, 5*time.Second, "both moves applied", func() bool { return reflect.DeepEqual(state(r), want) })
			// From Redis the two announcements may arrive in two runs: a's
			// change is then refused once, and applied after b's
			// (TestRedTeam6ChainedMoveAnnouncedApart). The in-process store
			// delivers them together.
			if st := sy.Stats(); kind == "plain" && st.Refused != 0 {
				t.Errorf("%d refusals on the way: %+v", st.Refused, st)
			}
		})
	}
}

// TestRedTeam6RenameOnPlainStore: a rename (a removed, 0a added on a's
// database, in one write) on a store without Digester: 0a sorts first,
// and is refused while a holds the database unless the removal is
// applied first.
func TestRedTeam6RenameOnPlainStore(t *testing.T) {
	m := memstore.New()
	s := plainStore{m, m}
	mustApply(t, s, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	sy := start(t, s, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, s, del("a"), put("0a", "a1.db"))
	want := map[string]string{"0a": "a1.db", "b": "b1.db"}
	eventually(t, 5*time.Second, "the renamed tenant served", func() bool { return reflect.DeepEqual(state(r), want) })
	if st := sy.Stats(); st.Refused != 0 {
		t.Errorf("%d refusals on the way: %+v", st.Refused, st)
	}
}

// TestRedTeam6HeldSwapOfDatabasesRefused: two tenants exchanging their
// databases in one write cannot be applied one by one without both
// serving one database meanwhile: both are refused, each staying on its
// own, and the refusals are reported.
func TestRedTeam6HeldSwapOfDatabasesRefused(t *testing.T) {
	for kind, s := range newStores(t) {
		t.Run(kind, func(t *testing.T) {
			mustApply(t, s, put("a", "x.db"), put("b", "y.db"))
			r := newResolver(t)
			sy := start(t, s, r, tenantsync.WithResyncInterval(-1))
			mustApply(t, s, put("a", "y.db"), put("b", "x.db"))
			eventually(t, 5*time.Second, "both refused", func() bool { return sy.Stats().Refused >= 2 })
			if got, want := state(r), map[string]string{"a": "x.db", "b": "y.db"}; !reflect.DeepEqual(got, want) {
				t.Errorf("serving %v, want %v", got, want)
			}
		})
	}
}

// TestRedTeam6ChainedMoveAnnouncedApart: the same moves announced one at
// a time (as Redis pub/sub may deliver one write's announcements): a's
// change is refused while b holds y.db, and must apply once b's
// announcement has moved b, on a store with Digester and on one without.
func TestRedTeam6ChainedMoveAnnouncedApart(t *testing.T) {
	for _, kind := range []string{"digest", "snapshot"} {
		t.Run(kind, func(t *testing.T) {
			c, s := readCounterStore(kind)
			mustApply(t, s, put("a", "x.db"), put("b", "y.db"))
			r := newResolver(t)
			sy := start(t, s, r, tenantsync.WithResyncInterval(-1))
			vs := mustApply(t, s, put("a", "y.db"), put("b", "z.db"))
			c.events(tenantconfig.Event{Tenant: "a", Version: vs[0]})
			eventually(t, 5*time.Second, "a's change refused", func() bool { return sy.Stats().Refused == 1 })
			c.events(tenantconfig.Event{Tenant: "b", Version: vs[1]})
			want := map[string]string{"a": "y.db", "b": "z.db"}
			eventually(t, 5*time.Second, "both moves applied", func() bool { return reflect.DeepEqual(state(r), want) })
		})
	}
}
