package tenantsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/memstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// rt5Store is a Redis store of a service of the test's own on the shared
// test server, with the names of its keys for writes made by hand.
type rt5Store struct {
	client                       redis.UniversalClient
	store                        *redisstore.Store
	configs, versions, sums, dig string
	channel                      string
}

func newRT5Store(t *testing.T) *rt5Store {
	t.Helper()
	client, service := testenv.RedisService(t, "rt5")
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	tag := "{" + redisstore.DefaultPrefix + ":" + service + "}"
	return &rt5Store{client: client, store: store, configs: tag + ":configs", versions: tag + ":versions",
		sums: tag + ":sums", dig: tag + ":digest", channel: tag + ":changes"}
}

// flush does to the store's keys what FLUSHALL does (the server is
// shared).
func (s *rt5Store) flush(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	keys, err := s.client.Keys(ctx, strings.TrimSuffix(s.configs, "configs")+"*").Result()
	if err != nil || len(keys) < 5 {
		t.Fatalf("the store's keys: %v, %v", keys, err)
	}
	if err := s.client.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
}

// resyncDone asks s for a resync and waits until one more has run.
func resyncDone(t *testing.T, s *tenantsync.Syncer) {
	t.Helper()
	resyncWith(t, s, s.Resync)
}

// resyncWith asks s for a resync with ask, and waits until one more has
// run.
func resyncWith(t *testing.T, s *tenantsync.Syncer, ask func()) {
	t.Helper()
	before := s.Stats().Resyncs
	ask()
	eventually(t, 5*time.Second, "a resync ran", func() bool { return s.Stats().Resyncs > before })
}

// TestRedTeam5HandEditedRecordReachesEveryInstance: a tenant's record
// changed in Redis by hand, without the store's script (an operator's
// HSET, HDEL), and with no announcement. A resync must make every
// running instance hold what the store holds, as an instance booted now
// does; otherwise instances disagree until that tenant's next change.
func TestRedTeam5HandEditedRecordReachesEveryInstance(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, s *rt5Store)
	}{
		{"config rewritten", func(t *testing.T, s *rt5Store) {
			b, err := json.Marshal(cfg("a-hand.db"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.client.HSet(ctx, s.configs, "a", b).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"tenant deleted", func(t *testing.T, s *rt5Store) {
			if err := s.client.HDel(ctx, s.configs, "a").Err(); err != nil {
				t.Fatal(err)
			}
			if err := s.client.HDel(ctx, s.versions, "a").Err(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newRT5Store(t)
			mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
			r1 := newResolver(t)
			sy1 := start(t, s.store, r1, tenantsync.WithResyncInterval(-1))
			tc.edit(t, s)
			resyncWith(t, sy1, sy1.ResyncFull)
			r2 := newResolver(t)
			start(t, s.store, r2, tenantsync.WithResyncInterval(-1))
			if got, want := state(r1), state(r2); !reflect.DeepEqual(got, want) {
				t.Fatalf("after a resync the running instance holds %v, an instance booted now %v (store %v)",
					got, want, storeState(t, s.store))
			}
		})
		// No one calls Resync: the periodic full check finds the edit,
		// which the digest of the periodic resyncs does not show.
		t.Run(tc.name+"/periodic", func(t *testing.T) {
			s := newRT5Store(t)
			mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
			r1 := newResolver(t)
			start(t, s.store, r1, tenantsync.WithResyncInterval(5*time.Millisecond),
				tenantsync.WithFullCheckInterval(200*time.Millisecond))
			tc.edit(t, s)
			want := storeState(t, s.store)
			eventually(t, 5*time.Second, "the running instance holds the edited store", func() bool {
				return reflect.DeepEqual(state(r1), want)
			})
		})
	}
}

// TestRedTeam5MalformedSumDoesNotBlockBoot: one tenant's entry in the
// store's hash of Sums is not a Sum (edited by hand, or by a writer that
// knows another format). The other tenants must still be served by an
// instance that boots, and the bad one reported; one bad entry must not
// keep every new instance from starting.
func TestRedTeam5MalformedSumDoesNotBlockBoot(t *testing.T) {
	ctx := context.Background()
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	if err := s.client.HSet(ctx, s.sums, "b", "not-a-sum").Err(); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t)
	sy, err := tenantsync.Start(ctx, s.store, r, tenantsync.WithLogger(fixture.Quiet()), tenantsync.WithResyncInterval(-1))
	if err != nil {
		t.Fatalf("one malformed Sum fails the boot of every instance: %v", err)
	}
	defer sy.Close()
	if !r.Has("a") || !r.Has("c") {
		t.Fatalf("tenants served: %v, want a and c at least", r.Tenants())
	}
}

// failingRecords is a Digester store whose Records fails from its
// second call on: the store lost in the middle of a boot (a network
// error, a failover, the caller's context ended).
type failingRecords struct {
	*memstore.Store
	calls atomic.Int32
}

func (f *failingRecords) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	if f.calls.Add(1) > 1 {
		return nil, errors.New("connection reset by peer")
	}
	return f.Store.Records(ctx, ids)
}

// TestRedTeam5FailedBootLeavesNoTenant: Start fails part way through
// the boot. The target must be left as Start found it (as a failed hook
// leaves it): tenants set by a Syncer that no longer exists are followed
// by nobody, and a later Start on the same resolver never removes them
// when the store does.
func TestRedTeam5FailedBootLeavesNoTenant(t *testing.T) {
	ctx := context.Background()
	inner := memstore.New()
	const n = 2500 // three chunks of the scan
	changes := make([]tenantconfig.Change, 0, n)
	for i := range n {
		changes = append(changes, put(fmt.Sprintf("t%04d", i), fmt.Sprintf("t%04d.db", i)))
	}
	mustApply(t, inner, changes...)
	store := &failingRecords{Store: inner}
	r := newResolver(t)
	sy, err := tenantsync.Start(ctx, store, r, tenantsync.WithLogger(fixture.Quiet()), tenantsync.WithResyncInterval(-1))
	if err == nil {
		_ = sy.Close()
		t.Fatal("Start succeeded although the store failed")
	}
	if got := len(r.Tenants()); got != 0 {
		t.Fatalf("Start failed (%v) and left %d tenants on the resolver, followed by nobody", err, got)
	}
}

// TestRedTeam5HeldForgedAnnouncements: announcements published by hand
// on the store's channel (garbage, a tenant that does not exist, odd
// bytes, a removal of a tenant that exists, a version far above any
// given, folded with a real change of the same tenant) change nothing
// but what the store holds: the resolver ends equal to the store, and
// the forged tenant is never served.
func TestRedTeam5HeldForgedAnnouncements(t *testing.T) {
	ctx := context.Background()
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	forged := []string{
		"garbage",
		`{"t":"ghost","v":1}`,
		`{"t":"gh\u0000ost/..","v":2}`,
		`{"t":"a","v":1,"d":true}`,
		fmt.Sprintf(`{"t":"b","v":%d}`, uint64(math.MaxUint64)),
		`{"t":"` + strings.Repeat("x", 1<<16) + `","v":3}`,
	}
	for _, p := range forged {
		if err := s.client.Publish(ctx, s.channel, p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(t, s.store, put("b", "b2.db"))
	want := map[string]string{"a": "a1.db", "b": "b2.db"}
	eventually(t, 5*time.Second, "the resolver equal to the store", func() bool {
		return reflect.DeepEqual(state(r), want) && reflect.DeepEqual(storeState(t, s.store), want)
	})
	resyncDone(t, sy)
	if got := state(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("after forged announcements the resolver holds %v, want %v", got, want)
	}
}

// TestRedTeam5HeldOneMalformedRecordAmongMany: of 3,000 tenants, one
// record's config was overwritten by hand with JSON that does not
// decode. An instance booting serves the 2,999 others, reports the bad
// one (Stats.Refused) and does not serve it.
func TestRedTeam5HeldOneMalformedRecordAmongMany(t *testing.T) {
	ctx := context.Background()
	s := newRT5Store(t)
	const n = 3000
	for first := 0; first < n; first += 500 {
		changes := make([]tenantconfig.Change, 0, 500)
		for i := first; i < first+500; i++ {
			changes = append(changes, put(fmt.Sprintf("t%04d", i), fmt.Sprintf("t%04d.db", i)))
		}
		mustApply(t, s.store, changes...)
	}
	if err := s.client.HSet(ctx, s.configs, "t1234", `{"orm_config":{"gorm":`).Err(); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	if r.Has("t1234") {
		t.Fatal("the malformed tenant is served")
	}
	if got := len(r.Tenants()); got != n-1 {
		t.Fatalf("%d tenants served, want %d", got, n-1)
	}
	if st := sy.Stats(); st.Refused == 0 {
		t.Fatalf("the malformed record is not reported: %+v", st)
	}
	c, _ := r.Database("t0042")
	if filepath.Base(c.Name) != "t0042.db" {
		t.Fatalf("t0042 serves %q", c.Name)
	}
}

// TestRedTeam5SharedDatabaseRefused: tenant b's record is changed to
// name tenant a's database (a copy-paste in tenantctl update, or a hand
// edit). Every instance then serves a's rows to b's users. Nothing on
// the way (tenantctl, the store, the Syncer, the resolver) notices: the
// change should be refused and reported, b staying on its database.
func TestRedTeam5SharedDatabaseRefused(t *testing.T) {
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, s.store, put("b", "a1.db"))
	resyncDone(t, sy)
	if got := state(r); got["b"] == "a1.db" {
		t.Fatalf("tenant b serves tenant a's database: %v (stats %+v)", got, sy.Stats())
	}
}

// TestRenamedTenantKeepsItsDatabase: one write removes tenant a and
// adds tenant 0a on a's database (a rename; 0a sorts first). The
// removal is applied first, so the new tenant is not refused for a
// database that the old one still held: every instance serves it at
// once.
func TestRenamedTenantKeepsItsDatabase(t *testing.T) {
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	mustApply(t, s.store, del("a"), put("0a", "a1.db"))
	want := map[string]string{"0a": "a1.db", "b": "b1.db"}
	eventually(t, 5*time.Second, "the renamed tenant served", func() bool { return reflect.DeepEqual(state(r), want) })
	if st := sy.Stats(); st.Refused != 0 {
		t.Fatalf("%d refusals on the way: %+v", st.Refused, st)
	}
}

// TestRedTeam5HeldOtherDatabaseNumberSameService: a second deployment
// (staging, or tenantctl given a URL with another database number)
// uses the same Redis server, another database number, the same service
// and prefix. Pub/sub ignores database numbers, so this instance hears
// its announcements; it must read its own store and change nothing.
func TestRedTeam5HeldOtherDatabaseNumberSameService(t *testing.T) {
	s := newRT5Store(t)
	opts := s.client.(*redis.Client).Options()
	other := redis.NewClient(&redis.Options{Addr: opts.Addr, Username: opts.Username, Password: opts.Password,
		DB: (opts.DB + 1) % 16})
	t.Cleanup(func() {
		_ = other.Del(context.Background(), s.configs, s.versions, s.sums, s.dig,
			strings.TrimSuffix(s.configs, "configs")+"revision", strings.TrimSuffix(s.configs, "configs")+"epoch").Err()
		_ = other.Close()
	})
	service := strings.TrimSuffix(strings.TrimPrefix(s.configs, "{"+redisstore.DefaultPrefix+":"), "}:configs")
	staging, err := redisstore.New(other, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	for i := range 5 {
		mustApply(t, staging, put("a", fmt.Sprintf("staging-a%d.db", i)), put("c", "staging-c.db"))
	}
	mustApply(t, staging, del("b"))
	mustApply(t, s.store, put("d", "d1.db")) // a change of its own, after the others
	want := map[string]string{"a": "a1.db", "b": "b1.db", "d": "d1.db"}
	eventually(t, 5*time.Second, "the instance's own change applied", func() bool { return state(r)["d"] == "d1.db" })
	if got := state(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("another database's announcements changed this instance: %v, want %v", got, want)
	}
	t.Logf("stats: %+v", sy.Stats())
}

// TestRedTeam5FirstWriteAfterFlushKeepsTenants: Redis comes back with
// no data (FLUSHALL, or a new server on the same address): every
// instance keeps its tenants and reports the empty store, as documented.
// Then, before anyone runs tenantctl load, one writer adds a tenant (a
// sign-up's tenantctl create). The store's revision (1) still says that
// it lost its data (the instances applied versions up to 3), yet every
// instance drops every other tenant at its next resync: all tenants
// but one go dark on every instance at once.
func TestRedTeam5FirstWriteAfterFlushKeepsTenants(t *testing.T) {
	s := newRT5Store(t)
	mustApply(t, s.store, put("a", "a1.db"), put("b", "b1.db"), put("c", "c1.db"))
	r := newResolver(t)
	sy := start(t, s.store, r, tenantsync.WithResyncInterval(-1))
	s.flush(t)
	resyncDone(t, sy)
	if st := sy.Stats(); st.EmptyStore == 0 || len(r.Tenants()) != 3 {
		t.Fatalf("the empty store: stats %+v, tenants %v", st, r.Tenants())
	}
	mustApply(t, s.store, put("new", "new.db"))
	resyncDone(t, sy)
	for _, id := range []string{"a", "b", "c"} {
		if !r.Has(id) {
			t.Fatalf("the first write after the store lost its data removed %q: serving %v, stats %+v",
				id, r.Tenants(), sy.Stats())
		}
	}
}
