// Command benchtable reads `go test -bench` output on stdin and prints a
// Markdown table of each metric's median over the runs, then the
// project's performance targets checked against those medians.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

var cpuSuffix = regexp.MustCompile(`-\d+$`)

type key struct{ bench, unit string }

// ratio collects, run by run, a/b - 1 of two metrics of one benchmark.
type ratio struct {
	bench, a, b string
	vals        []float64
}

func run(in io.Reader, out io.Writer) error {
	vals := map[key][]float64{}
	var order []key
	ratios := []*ratio{
		{bench: "FirstByPK", a: "plugin-p50-us", b: "plain-p50-us"},
		{bench: "FirstByPK", a: "plugin-p50-us", b: "dbresolver-p50-us"},
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := cpuSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		line := map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				line[f[i+1]] = v
			}
		}
		for _, r := range ratios {
			a, okA := line[r.a]
			b, okB := line[r.b]
			if name == r.bench && okA && okB && b > 0 {
				r.vals = append(r.vals, a/b-1)
			}
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			k := key{name, f[i+1]}
			if _, ok := vals[k]; !ok {
				order = append(order, k)
			}
			vals[k] = append(vals[k], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark lines on stdin")
	}
	med := func(b, u string) (float64, bool) {
		v, ok := vals[key{b, u}]
		if !ok {
			return 0, false
		}
		return median(v), true
	}
	fmt.Fprintln(out, "| benchmark | metric | median | runs |")
	fmt.Fprintln(out, "|---|---|---:|---:|")
	for _, k := range order {
		fmt.Fprintf(out, "| %s | %s | %s | %d |\n", k.bench, k.unit, num(median(vals[k])), len(vals[k]))
	}

	fmt.Fprintln(out)
	fmt.Fprintln(out, "| target | measured | met |")
	fmt.Fprintln(out, "|---|---|---|")
	check := func(name string, measured string, ok bool) {
		mark := "yes"
		if !ok {
			mark = "**no**"
		}
		fmt.Fprintf(out, "| %s | %s | %s |\n", name, measured, mark)
	}
	if plain, ok := med("FirstByPK", "plain-p50-us"); ok {
		plug, _ := med("FirstByPK", "plugin-p50-us")
		dbr, _ := med("FirstByPK", "dbresolver-p50-us")
		dPlain, _ := med("FirstByPK", "plugin-minus-plain-us")
		dDbr, _ := med("FirstByPK", "plugin-minus-dbresolver-us")
		rp, rd := ratios[0], ratios[1]
		check("plugin p50 within 3% of plain GORM (PostgreSQL, First by PK)",
			fmt.Sprintf("paired difference %+.2f µs = %+.1f%% of %s µs (p50 %s µs; p50 ratio per run %s)",
				dPlain, dPlain/plain*100, num(plain), num(plug), spread(rp.vals)), dPlain/plain <= 0.03)
		check("plugin not slower than dbresolver",
			fmt.Sprintf("paired difference %+.2f µs (p50 %s vs %s µs; p50 ratio per run %s)",
				dDbr, num(plug), num(dbr), spread(rd.vals)), dDbr <= 0)
	}
	if over, ok := med("Routing", "overhead-ns/op"); ok {
		plain, _ := med("Routing", "plain-ns/op")
		plug, _ := med("Routing", "plugin-ns/op")
		pa, _ := med("Routing", "plain-allocs/op")
		ua, _ := med("Routing", "plugin-allocs/op")
		check("routing ≤ 300 ns over plain GORM (in-memory driver)",
			fmt.Sprintf("%+.0f ns (%s vs %s ns/op)", over, num(plug), num(plain)), over <= 300)
		check("routing ≤ 2 allocs over plain GORM",
			fmt.Sprintf("%+.0f allocs (%s vs %s)", ua-pa, num(ua), num(pa)), ua-pa <= 2)
		if vs, ok := med("Routing", "vs-dbresolver-ns/op"); ok {
			dbr, _ := med("Routing", "dbresolver-ns/op")
			check("routing cost next to dbresolver's (in-memory driver; reported)",
				fmt.Sprintf("%+.0f ns (%s vs %s ns/op)", vs, num(plug), num(dbr)), true)
		}
	}
	if plug, ok := med("RoutingCold", "plugin-minus-plain-ns"); ok {
		dbr, _ := med("RoutingCold", "dbresolver-minus-plain-ns")
		fixed, _ := med("RoutingCold", "fixed-minus-plain-ns")
		swap, _ := med("RoutingCold", "swap-minus-plain-ns")
		check("routing with the caches cold (in-memory driver, a request's other work before each query; reported)",
			fmt.Sprintf("plugin %+.0f ns, its callbacks with a fixed pool %+.0f ns, dbresolver %+.0f ns, a bare pool swap %+.0f ns over plain GORM", plug, fixed, dbr, swap), true)
	}
	if plug, ok := med("RoutingColdParts", "plugin-minus-plain-ns"); ok {
		parts := make([]float64, 0, 4)
		for _, v := range []string{"dbresolver", "fixed", "tenantdb", "handle"} {
			x, _ := med("RoutingColdParts", v+"-minus-plain-ns")
			parts = append(parts, x)
		}
		check("... its parts (in-memory driver, caches cold, BenchmarkRoutingColdParts; reported)",
			fmt.Sprintf("dbresolver %+.0f ns; the plugin's callbacks on a fixed pool %+.0f ns, on the tenant's *sql.DB %+.0f ns, on its handle %+.0f ns, on the resolver %+.0f ns over plain GORM",
				parts[0], parts[1], parts[2], parts[3], plug), true)
	}
	if over, ok := med("RoutingWithStrategy", "overhead-ns/op"); ok {
		allocs, _ := med("RoutingWithStrategy", "overhead-allocs/op")
		check("routing with a strategy installed (model and clauses read; reported)",
			fmt.Sprintf("%+.0f ns, %+.0f allocs over plain GORM", over, allocs), true)
	}
	if over, ok := med("RawRouting/miss", "overhead-ns/op"); ok {
		check("raw statement's routing ≤ 1 µs on a cache miss (300-character query)",
			fmt.Sprintf("%+.0f ns over plain GORM", over), over <= 1000)
	}
	if over, ok := med("RawRouting/hit", "overhead-ns/op"); ok {
		check("raw statement's routing, text read before (reported)", fmt.Sprintf("%+.0f ns over plain GORM", over), true)
	}
	if ratio, ok := med("Budget", "ratio"); ok {
		multi, _ := med("Budget", "tenants-q/s")
		single, _ := med("Budget", "single-q/s")
		check("connection budget 8, 32 workers, 20 ms queries: 8 tenants ≥ 80% of one database's throughput",
			fmt.Sprintf("%.2f (%s vs %s queries/s)", ratio, num(multi), num(single)), ratio >= 0.8)
	}
	if p50, ok := med("Propagation", "prop-p50-us"); ok {
		p99, _ := med("Propagation", "prop-p99-us")
		known, _ := med("Propagation", "known-p50-us")
		check("propagation to 3 processes, p50 ≤ 5 ms (tenantctl add returns → each routes a query)",
			fmt.Sprintf("%.2f ms (known to the instance: %.2f ms)", p50/1000, known/1000), p50 <= 5000)
		check("propagation, p99 ≤ 50 ms", fmt.Sprintf("%.2f ms", p99/1000), p99 <= 50000)
	}
	if rec, ok := med("Recovery", "recovery-ms"); ok {
		worst, _ := med("Recovery", "recovery-max-ms")
		check("recovery after Redis returns ≤ 2 s", fmt.Sprintf("median %.0f ms, worst %.0f ms", rec, worst), worst <= 2000)
	}
	for _, kind := range []string{"sentinel", "cluster"} {
		if w, ok := med("Failover/"+kind+"/kill", "writes-ms"); ok {
			watch, _ := med("Failover/"+kind+"/kill", "watchers-ms")
			check(fmt.Sprintf("%s, master killed: writes and every watcher back ≤ 5 s", kind),
				fmt.Sprintf("writes %.0f ms, watchers %.0f ms after the kill", w, watch), w <= 5000 && watch <= 5000)
		}
		if w, ok := med("Failover/"+kind+"/graceful", "writes-ms"); ok {
			watch, _ := med("Failover/"+kind+"/graceful", "watchers-ms")
			check(fmt.Sprintf("%s, graceful failover: every watcher ≤ 2 s behind", kind),
				fmt.Sprintf("writes %.0f ms, watchers %.0f ms after the failover command", w, watch), watch <= 2000)
		}
	}
	if speedup, ok := med("MigrateAll", "speedup"); ok {
		seq, _ := med("MigrateAll", "seq-s")
		par, _ := med("MigrateAll", "par-s")
		n, _ := med("MigrateAll", "parallel")
		check("migrate-all, 200 PostgreSQL tenants: parallel ≥ 2× faster than sequential",
			fmt.Sprintf("%.2f× (%.2f s vs %.2f s, %.0f at once)", speedup, seq, par, n), speedup >= 2)
		rerun, _ := med("MigrateAll", "rerun-ms")
		check("migrate-all re-run with nothing to apply, 200 tenants ≤ 1.5 s",
			fmt.Sprintf("%.0f ms", rerun), rerun <= 1500)
	}
	if speedup, ok := med("MigrateServers", "wait-speedup"); ok {
		one, _ := med("MigrateServers", "one-wait-s")
		two, _ := med("MigrateServers", "two-wait-s")
		check("migrate-all over two servers ≈ 2× as fast as over one (40 tenants, each step a 20 ms wait on its server, budget 16 per server)",
			fmt.Sprintf("%.2f× (%.2f s vs %.2f s)", speedup, one, two), speedup >= 1.8)
	}
	if speedup, ok := med("MigrateServers", "models-speedup"); ok {
		one, _ := med("MigrateServers", "one-models-s")
		two, _ := med("MigrateServers", "two-models-s")
		check("... the example's models, both servers and the client on this machine's two cores (reported)",
			fmt.Sprintf("%.2f× (%.2f s vs %.2f s)", speedup, one, two), true)
	}
	if p50, ok := med("Create", "p50-ms"); ok {
		check("tenant create end to end: database, migration, hooks, publish (PostgreSQL + Redis; p50, reported)",
			fmt.Sprintf("%.0f ms", p50), true)
	}
	if over, ok := med("Middleware/host", "overhead-ns/op"); ok {
		allocs, _ := med("Middleware/host", "overhead-allocs/op")
		floor, _ := med("Middleware/host", "floor-overhead-ns/op")
		check("chi middleware (tenant from the Host) ≤ 150 ns and ≤ 1 alloc over a bare chi router",
			fmt.Sprintf("%+.0f ns, %+.0f allocs (chi's own middleware.WithValue: %+.0f ns)", over, allocs, floor), over <= 150 && allocs <= 1)
	}
	if share, ok := med("NoisyServer", "per-server-share"); ok {
		one, _ := med("NoisyServer", "one-budget-share")
		check("two servers, one kept busy by a noisy tenant: the other's tenants keep ≥ 90% of their throughput (budget per server)",
			fmt.Sprintf("%.0f%% (one budget for both: %.0f%%)", share*100, one*100), share >= 0.9)
	}
	if p99, ok := med("Capacity", "pools-200-p99/warm"); ok {
		for _, n := range []string{"100", "200", "500"} {
			v := "pools-" + n
			hit, _ := med("Capacity", v+"-hit")
			opens, _ := med("Capacity", v+"-opens/s")
			p50, _ := med("Capacity", v+"-p50-us")
			q99, _ := med("Capacity", v+"-p99-us")
			peak, _ := med("Capacity", v+"-peak-conns")
			check(fmt.Sprintf("Zipf (s = 1.1) over 10,000 tenants, MaxPools %s (reported)", n),
				fmt.Sprintf("hit ratio %.2f, %.0f opens/s, p50 %s µs, p99 %s µs, peak %.0f connections", hit, opens, num(p50), num(q99), peak), true)
		}
		warm, _ := med("Capacity", "warm-p99-us")
		check("Zipf, MaxPools 200: p99 ≤ 2× the all-warm p99",
			fmt.Sprintf("%.1f× (all-warm p99 %s µs)", p99, num(warm)), p99 <= 2)
		if bp99, ok := med("Capacity", "pools-200-bouncer-p99/warm"); ok {
			hit, _ := med("Capacity", "pools-200-bouncer-hit")
			check("... the same through PgBouncer (transaction mode): p99 ≤ 2× the all-warm p99",
				fmt.Sprintf("%.1f× (hit ratio %.2f)", bp99, hit), bp99 <= 2)
		}
	}
	if resync, ok := med("StoreSync", "resync-B"); ok {
		boot, _ := med("StoreSync", "boot-s")
		heap, _ := med("StoreSync", "heap-MiB")
		per, _ := med("StoreSync", "B/tenant")
		lines, _ := med("StoreSync", "log-lines")
		check("100,000 tenants in Redis: idle resync reads ≤ 1 KiB per instance", fmt.Sprintf("%.0f B", resync), resync <= 1024)
		check("... boot to serving ≤ 2 s, heap ≤ 150 MiB, one log line", fmt.Sprintf("%.2f s, %.0f MiB, %.0f line(s)", boot, heap, lines), boot <= 2 && heap <= 150 && lines <= 1)
		check("... memory per idle tenant, config included, ≤ 1 KiB", fmt.Sprintf("%.0f B", per), per <= 1024)
	}
	if cold, ok := med("ColdTenant", "cold-p50-us"); ok {
		check("first query to a cold tenant (p50, reported)", fmt.Sprintf("%s µs", num(cold)), true)
	}
	if cold, ok := med("ColdTenantPgBouncer", "cold-p50-us"); ok {
		direct, _ := med("ColdTenant", "cold-p50-us")
		check("first query to a cold tenant through PgBouncer (transaction mode), p50 ≤ 2 ms",
			fmt.Sprintf("%s µs (direct: %s µs)", num(cold), num(direct)), cold <= 2000)
	}
	if per, ok := med("IdleTenantMemory", "B/tenant"); ok {
		check("≤ 4 KiB per idle tenant (10,000 tenants)", fmt.Sprintf("%s B", num(per)), per <= 4096)
	}
	return nil
}

// spread describes per-run relative differences: median and range.
func spread(v []float64) string {
	if len(v) == 0 {
		return "n/a"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	return fmt.Sprintf("median %+.1f%% (%+.1f%% to %+.1f%%)", median(v)*100, lo*100, hi*100)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}
