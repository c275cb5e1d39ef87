package benchmarks

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// BenchmarkFullCheck runs, on an instance holding the 100,000 tenants of
// BenchmarkStoreSync, the resyncs of a running instance, and reports:
//
//   - idle-resync-ms: a resync when nothing changed (the digest read);
//   - digest-resync-ms: a resync that finds another digest (a lost
//     announcement): every Sum scanned;
//   - full-check-ms: a resync that reads every record (ResyncFull, and
//     the periodic full check);
//   - lag-p50-ms, lag-max-ms: the lag (WithEventLag) of the
//     announcements made while the full check runs (one every 50 ms):
//     the median and the longest.
func BenchmarkFullCheck(b *testing.B) {
	addr := startRedis(b)
	client := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: 30 * time.Second})
	defer client.Close()
	ctx := context.Background()
	const service = "bench"
	store, err := redisstore.New(client, service, redisstore.WithPingInterval(-1),
		redisstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	fillStore(b, store, syncTenants)
	quiet := slog.New(slog.DiscardHandler)
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app:secret@db.internal:5432/app?sslmode=disable"},
		Drivers:  []dbdriver.Driver{pgdriver.New()},
		Logger:   quiet,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var lagMu sync.Mutex
	var lags []time.Duration
	syncer, err := tenantsync.Start(ctx, store, r, tenantsync.WithLogger(quiet), tenantsync.WithResyncInterval(-1),
		tenantsync.WithEventLag(func(lag time.Duration) {
			lagMu.Lock()
			lags = append(lags, lag)
			lagMu.Unlock()
		}))
	if err != nil {
		b.Fatal(err)
	}
	defer syncer.Close()
	waitResync := func(ask func()) time.Duration {
		before := syncer.Stats().Resyncs
		start := time.Now()
		ask()
		for syncer.Stats().Resyncs == before {
			time.Sleep(100 * time.Microsecond)
		}
		return time.Since(start)
	}
	var idleResync, digestResync, fullCheck time.Duration
	var lag, median time.Duration
	var i int
	for b.Loop() {
		i++
		idleResync = waitResync(syncer.Resync)
		// A resync that finds another digest (an announcement lost):
		// the digest key edited by hand, then put back.
		key := "{tenantplugin:" + service + "}:digest"
		saved, err := client.Get(ctx, key).Result()
		if err != nil {
			b.Fatal(err)
		}
		if err := client.Set(ctx, key, saved[:len(saved)-32]+"0123456789abcdef0123456789abcdef", 0).Err(); err != nil {
			b.Fatal(err)
		}
		digestResync = waitResync(syncer.Resync)
		if err := client.Set(ctx, key, saved, 0).Err(); err != nil {
			b.Fatal(err)
		}

		// The full check, with announcements made during it.
		lagMu.Lock()
		lags = lags[:0]
		lagMu.Unlock()
		before := syncer.Stats().Resyncs
		start := time.Now()
		syncer.ResyncFull()
		var made int
		for syncer.Stats().Resyncs == before {
			// New tenants: a change to a served one would have its
			// databases pinged first, and these do not exist.
			id := fmt.Sprintf("new-%d-%d.example.com", i, made)
			if _, err := store.Apply(ctx, change(id, fmt.Sprintf("during_%d_%d", i, made))); err != nil {
				b.Fatal(err)
			}
			made++
			time.Sleep(50 * time.Millisecond)
		}
		fullCheck = time.Since(start)
		last := fmt.Sprintf("new-%d-%d.example.com", i, made-1)
		waitApplied(b, r, last, fmt.Sprintf("during_%d_%d", i, made-1))
		lagMu.Lock()
		slices.Sort(lags)
		lag, median = lags[len(lags)-1], lags[len(lags)/2]
		lagMu.Unlock()
		b.Logf("full check %v, %d announcements during it, lag median %v, longest %v; resync %v idle, %v with another digest",
			fullCheck, made, median, lag, idleResync, digestResync)
	}
	b.ReportMetric(float64(idleResync.Microseconds())/1000, "idle-resync-ms")
	b.ReportMetric(float64(digestResync.Microseconds())/1000, "digest-resync-ms")
	b.ReportMetric(float64(fullCheck.Microseconds())/1000, "full-check-ms")
	b.ReportMetric(float64(median.Microseconds())/1000, "lag-p50-ms")
	b.ReportMetric(float64(lag.Microseconds())/1000, "lag-max-ms")
}

// change puts tenant id on database name.
func change(id, name string) tenantconfig.Change {
	return tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: tenantconfig.Config{
		ORM: map[string]map[string]tenantconfig.Database{tenantconfig.GORM: {tenantconfig.DefaultAlias: {
			DataSource: tenantconfig.DataSource{Host: "pg-0.internal", Name: name, User: "u", Password: "p"},
		}}},
	}}
}

// waitApplied waits until r serves tenant id on database name.
func waitApplied(b *testing.B, r *resolver.Resolver, id, name string) {
	b.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; {
		if c, ok := r.Database(id); ok && c.Name == name {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("tenant %s never served on %s", id, name) // refused: see the Syncer's Stats
		}
		time.Sleep(time.Millisecond)
	}
}
