package benchmarks

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
)

// BenchmarkRoutingCold is BenchmarkRouting with the CPU's caches cold, as
// they are for a statement in an application: before each query the
// benchmark does a request's other work (appWork), which pushes the
// plugin's code and data out of the caches, as a PostgreSQL round trip
// does. Each iteration runs five variants in an order drawn at random,
// each after its own appWork:
//
//   - plain: GORM alone;
//   - plugin: GORM with the plugin and the resolver, routing to one of
//     100 tenants;
//   - dbresolver: GORM with dbresolver and one source;
//   - swap: GORM with one callback that swaps in another pool, the least
//     a routing plugin does;
//   - fixed: the plugin with a Resolver that hands out one fixed *sql.DB,
//     so its callbacks without the resolver's tenant look-up, lease and
//     connection hooks.
//
// It reports each variant's median of paired differences with plain.
func BenchmarkRoutingCold(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "t042")
	routed := routedMem(b)
	resolved := dbresolverMem(b)
	swap := memGorm(b)
	other := memdriver.Open()
	if err := swap.Callback().Query().Before("*").Register("swap", func(db *gorm.DB) { db.Statement.ConnPool = other }); err != nil {
		b.Fatal(err)
	}
	fixed := pluginMem(b, fixedResolver{memdriver.Open()})
	runCold(b, []string{"plain", "plugin", "dbresolver", "swap", "fixed"},
		[]*gorm.DB{memGorm(b).WithContext(ctx), routed.WithContext(ctx), resolved.WithContext(ctx), swap.WithContext(ctx), fixed.WithContext(ctx)})
}

// BenchmarkRoutingColdParts splits the resolver's part of
// BenchmarkRoutingCold, with the plugin's callbacks in every variant
// but plain and dbresolver, and a Resolver that hands out:
//
//   - fixed: one *sql.DB of the in-memory driver, as opened;
//   - tenantdb: the tenant's own *sql.DB (leased), with the budget's
//     connector and connection wrapper;
//   - handle: the handle the resolver hands out for the tenant, which
//     leases the pool for each call;
//   - plugin: the resolver itself (the context's memo, then the handle).
//
// Each step adds one layer to the one before. The cold figures depend on
// what else runs in the process (the variants that share code and data
// keep them warmer for each other): compare them within one run.
func BenchmarkRoutingColdParts(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "t042")
	r := memResolver(b)
	lease, err := r.Lease(context.Background(), "t043")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(lease.Release)
	h, err := r.ConnPool(tenant.NewContext(context.Background(), "t042"), "t042", tenantplugin.AccessWrite)
	if err != nil {
		b.Fatal(err)
	}
	runCold(b, []string{"plain", "dbresolver", "fixed", "tenantdb", "handle", "plugin"}, []*gorm.DB{
		memGorm(b).WithContext(ctx),
		dbresolverMem(b).WithContext(ctx),
		pluginMem(b, fixedResolver{memdriver.Open()}).WithContext(ctx),
		pluginMem(b, fixedResolver{lease.DB()}).WithContext(ctx),
		pluginMem(b, fixedResolver{h}).WithContext(ctx),
		pluginMem(b, r).WithContext(ctx),
	})
}

// runCold runs a primary-key First on each of modes after appWork, in an
// order drawn at random each iteration, and reports each mode's median
// of paired differences with the first (plain GORM).
func runCold(b *testing.B, names []string, modes []*gorm.DB) {
	first := func(db *gorm.DB) {
		var row Row
		if err := db.First(&row, 1).Error; err != nil || row.Name != "x" {
			b.Fatalf("First: %v %+v", err, row)
		}
	}
	for range 100 {
		for _, m := range modes {
			first(m)
		}
	}
	o := newOrders(len(modes))
	lat := make([][]time.Duration, len(modes))
	for b.Loop() {
		for _, k := range o.next() {
			appWork()
			s := time.Now()
			first(modes[k])
			lat[k] = append(lat[k], time.Since(s))
		}
	}
	b.ReportMetric(percentile(lat[0], 50)*1000, "plain-p50-ns")
	for k := 1; k < len(modes); k++ {
		b.ReportMetric(pairedMedian(lat[k], lat[0])*1000, names[k]+"-minus-plain-ns")
	}
}

// fixedResolver hands out one pool for every tenant.
type fixedResolver struct{ db gorm.ConnPool }

func (f fixedResolver) ConnPool(context.Context, string, tenantplugin.Access) (gorm.ConnPool, error) {
	return f.db, nil
}

func (fixedResolver) HasReplicas() bool { return false }

var (
	workRe   = regexp.MustCompile(`(?i)(\w+)@(\w+)\.(com|org|net)`)
	workTmpl = template.Must(template.New("t").Parse(`{{range .}}<li>{{.Name}}: {{.Email}} ({{len .Tags}})</li>{{end}}`))
	workBuf  = make([]byte, 4<<20)
	workSink int
)

type workItem struct {
	Name  string
	Email string
	Tags  []string
	Score float64
}

// appWork is what a request does besides its query: JSON in and out, a
// template, a regular expression, a hash, compression, and a walk over
// 4 MiB of memory.
func appWork() {
	items := make([]workItem, 20)
	for i := range items {
		items[i] = workItem{Name: fmt.Sprintf("user %d", i), Email: fmt.Sprintf("u%d@example.com", i), Tags: []string{"a", "b"}, Score: float64(i) / 3}
	}
	js, _ := json.Marshal(items)
	var back []workItem
	_ = json.Unmarshal(js, &back)
	var sb strings.Builder
	_ = workTmpl.Execute(&sb, back)
	m := workRe.FindAllStringSubmatch(sb.String(), -1)
	h := sha256.Sum256(js)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write(js)
	_ = w.Close()
	for i := 0; i < len(workBuf); i += 64 {
		workBuf[i]++
	}
	workSink += len(m) + int(h[0]) + gz.Len()
}
