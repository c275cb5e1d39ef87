package benchmarks

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// syncTenants is the number of tenants of BenchmarkStoreSync.
const syncTenants = 100000

// BenchmarkStoreSync boots an instance on a Redis store of 100,000
// tenants (PostgreSQL fields merged over a template, as tenantctl load
// writes them), on a Redis server of its own, and reports:
//
//   - boot-s: tenantsync.Start, from the first read to the tenants set on
//     the resolver;
//   - heap-MiB: the heap kept after boot (after a GC), resolver and
//     Syncer together;
//   - B/tenant: the same, per tenant;
//   - resync-B: the bytes read from Redis by one resync when nothing
//     changed (counted on the client's connections; the watcher's probe
//     is off);
//   - scan-MiB: the bytes read by a scan of every tenant's Sum, what a
//     resync that finds another digest reads before the records that
//     differ;
//   - log-lines: the lines logged at Info or above during the boot;
//   - alloc-MiB: the bytes allocated during the boot (garbage included);
//   - peak-rss-MiB: the process's peak resident size during the boot
//     (Linux; the store's filling comes before and is not in it);
//   - boot-cpu-s: the CPU time of the process during the boot (the
//     machine's load changes boot-s, less this);
//   - digest-s: computing the store's digest from its configs, once, as
//     for a store written by a version without it (Redis is blocked
//     meanwhile); digest-redis-s: the time Redis spent in it
//     (INFO commandstats).
func BenchmarkStoreSync(b *testing.B) {
	addr := startRedis(b)
	var read atomic.Int64
	client := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: 30 * time.Second,
		Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: c, read: &read}, nil
		}})
	defer client.Close()
	ctx := context.Background()
	const service = "bench"
	store, err := redisstore.New(client, service, redisstore.WithPingInterval(-1),
		redisstore.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	fillStore(b, store, syncTenants)
	// As a store written without the digest: it is computed once.
	if err := client.Del(ctx, "{tenantplugin:"+service+"}:digest").Err(); err != nil {
		b.Fatal(err)
	}
	scriptBefore := scriptMicros(b, client)
	digestStart := time.Now()
	if _, err := store.Digest(ctx); err != nil {
		b.Fatal(err)
	}
	digestTime := time.Since(digestStart)
	digestCPU := time.Duration(scriptMicros(b, client)-scriptBefore) * time.Microsecond

	var boot, bootCPU time.Duration
	var heapKept, resyncBytes, scanBytes, lines, allocated, peakRSS float64
	for b.Loop() {
		runtime.GC()
		before := heapAlloc()
		var count atomic.Int64
		logger := slog.New(countingHandler{n: &count})
		r, err := resolver.New(resolver.Config{
			Template: resolver.Template{Driver: pgdriver.DriverName, DSN: "postgres://app:secret@db.internal:5432/app?sslmode=disable"},
			Drivers:  []dbdriver.Driver{pgdriver.New()},
			Logger:   logger,
		})
		if err != nil {
			b.Fatal(err)
		}
		allocBefore := totalAlloc()
		cpuBefore := cpuTime()
		resetPeakRSS()
		start := time.Now()
		syncer, err := tenantsync.Start(ctx, store, r, tenantsync.WithLogger(logger), tenantsync.WithResyncInterval(-1))
		if err != nil {
			b.Fatal(err)
		}
		boot = time.Since(start)
		bootCPU = cpuTime() - cpuBefore
		allocated = float64(totalAlloc() - allocBefore)
		peakRSS = float64(peakRSSBytes())
		lines = float64(count.Load())
		if n := len(r.Tenants()); n != syncTenants {
			b.Fatalf("%d tenants set, want %d", n, syncTenants)
		}
		heapKept = float64(heapAlloc() - before)

		// One idle resync: nothing changed in the store.
		resyncs := syncer.Stats().Resyncs
		from := read.Load()
		syncer.Resync()
		for syncer.Stats().Resyncs == resyncs {
			time.Sleep(time.Millisecond)
		}
		resyncBytes = float64(read.Load() - from)
		if st := syncer.Stats(); st.Tenants != syncTenants || st.Refused != 0 {
			b.Fatalf("after the resync: %+v", st)
		}
		// What a resync that finds another digest (a lost announcement)
		// reads before the records that differ: every tenant's Sum.
		from = read.Load()
		if err := store.ScanSums(ctx, func(map[string]tenantconfig.Sum) error { return nil }); err != nil {
			b.Fatal(err)
		}
		scanBytes = float64(read.Load() - from)
		_ = syncer.Close()
		_ = r.Close()
	}
	b.ReportMetric(boot.Seconds(), "boot-s")
	b.ReportMetric(bootCPU.Seconds(), "boot-cpu-s")
	b.ReportMetric(digestTime.Seconds(), "digest-s")
	b.ReportMetric(digestCPU.Seconds(), "digest-redis-s")
	b.ReportMetric(heapKept/(1<<20), "heap-MiB")
	b.ReportMetric(heapKept/syncTenants, "B/tenant")
	b.ReportMetric(resyncBytes, "resync-B")
	b.ReportMetric(scanBytes/(1<<20), "scan-MiB")
	b.ReportMetric(lines, "log-lines")
	b.ReportMetric(allocated/(1<<20), "alloc-MiB")
	if peakRSS > 0 {
		b.ReportMetric(peakRSS/(1<<20), "peak-rss-MiB")
	}
}

// fillStore puts n tenants in store, 1000 a change set.
func fillStore(b *testing.B, store tenantconfig.Store, n int) {
	b.Helper()
	ctx := context.Background()
	const chunk = 1000
	for i := 0; i < n; i += chunk {
		changes := make([]tenantconfig.Change, 0, chunk)
		for j := i; j < min(i+chunk, n); j++ {
			changes = append(changes, tenantconfig.Change{Kind: tenantconfig.PutTenant,
				Tenant: fmt.Sprintf("tenant-%06d.example.com", j), Config: tenantconfig.Config{
					ORM: map[string]map[string]tenantconfig.Database{tenantconfig.GORM: {tenantconfig.DefaultAlias: {
						DataSource: tenantconfig.DataSource{
							Host: fmt.Sprintf("pg-%d.internal", j%16), Name: fmt.Sprintf("tenant_%06d", j),
							User: fmt.Sprintf("user_%06d", j), Password: fmt.Sprintf("pw-%06d-xxxxxxxx", j),
						}}}},
				}})
		}
		if _, err := store.Apply(ctx, changes...); err != nil {
			b.Fatal(err)
		}
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// scriptMicros returns the microseconds Redis spent running scripts.
func scriptMicros(b *testing.B, client *redis.Client) int64 {
	b.Helper()
	info, err := client.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, line := range strings.Split(info, "\r\n") {
		if !strings.HasPrefix(line, "cmdstat_eval") {
			continue
		}
		for _, f := range strings.Split(line[strings.Index(line, ":")+1:], ",") {
			if v, ok := strings.CutPrefix(f, "usec="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				total += n
			}
		}
	}
	return total
}

// cpuTime returns the CPU time the process used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func totalAlloc() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// resetPeakRSS resets the process's peak resident size (Linux), so that
// peakRSSBytes reports the peak from now on.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSBytes returns the process's peak resident size (VmHWM), or 0
// where /proc does not tell it.
func peakRSSBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	read *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	return n, err
}

// countingHandler counts the records logged at Info or above.
type countingHandler struct{ n *atomic.Int64 }

func (h countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h countingHandler) Handle(context.Context, slog.Record) error {
	h.n.Add(1)
	return nil
}
func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// startRedis starts a Redis server of the benchmark's own, without
// persistence, and returns its address; it is killed when b ends.
func startRedis(b *testing.B) string {
	b.Helper()
	bin := os.Getenv("TENANTPLUGIN_REDIS_SERVER")
	if bin == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			if testenv.Required() {
				b.Fatal("no redis-server: set TENANTPLUGIN_REDIS_SERVER or put it on PATH")
			}
			b.Skip("no redis-server: set TENANTPLUGIN_REDIS_SERVER or put it on PATH")
		}
		bin = p
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	dir := b.TempDir()
	cmd := exec.Command(bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", dir,
		"--logfile", filepath.Join(dir, "redis.log"), "--save", "", "--appendonly", "no",
		"--daemonize", "no", "--protected-mode", "no")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c.Ping(context.Background()).Err() == nil {
			return addr
		}
		if time.Now().After(deadline) {
			b.Fatalf("redis-server on %s does not answer", addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
