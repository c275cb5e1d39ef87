package benchmarks

import (
	"context"
	"fmt"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/memdriver"
	"github.com/tenantrouter/tenantplugin/reserved"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// AuditLog is the central model of the raw SQL benchmarks.
type AuditLog struct {
	ID   uint
	Body string
}

// rawQuery is a 300-character statement of the kind applications write
// by hand: a CTE, joins, a subquery, a string literal and a comment. The
// %08d makes each text distinct, so that the plugin reads it afresh.
const rawQuery = `/* dashboard %08d */ WITH recent AS (SELECT n.id, n.body FROM notes n ` +
	`WHERE n.created_at > now() - interval '7 days') SELECT r.id, t.name, count(*) AS "n" ` +
	`FROM recent r JOIN tags t ON t.note_id = r.id LEFT JOIN pins p ON p.note_id = r.id ` +
	`WHERE t.name <> 'FROM audit_logs' AND p.id IS NULL GROUP BY 1, 2`

// memResolver returns a resolver on the in-memory driver with 100
// tenants.
func memResolver(b *testing.B) *resolver.Resolver {
	b.Helper()
	r, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: "memory"},
		Drivers:  []dbdriver.Driver{memDriver{}},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = r.Close() })
	for i := range 100 {
		id := tenantID(i)
		if err := r.Set(context.Background(), id, tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: id}}); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

// pluginMem returns GORM on the in-memory driver with the plugin on res.
func pluginMem(b *testing.B, res tenantplugin.Resolver, strategies ...tenantplugin.Strategy) *gorm.DB {
	b.Helper()
	db := memGorm(b)
	if err := db.Use(tenantplugin.New(tenantplugin.Config{Resolver: res, Logger: fixture.Quiet(), Strategies: strategies})); err != nil {
		b.Fatal(err)
	}
	return db
}

// routedMem returns GORM on the in-memory driver with the plugin, 100
// tenants and the given strategies.
func routedMem(b *testing.B, strategies ...tenantplugin.Strategy) *gorm.DB {
	b.Helper()
	return pluginMem(b, memResolver(b), strategies...)
}

// auditStrategy sends AuditLog to the central database.
func auditStrategy() tenantplugin.Strategy {
	return reserved.Models(tenantplugin.DefaultAlias, &AuditLog{})
}

// dbresolverMem returns GORM on the in-memory driver with dbresolver and
// one source.
func dbresolverMem(b *testing.B) *gorm.DB {
	b.Helper()
	db := memGorm(b)
	if err := db.Use(dbresolver.Register(dbresolver.Config{
		Sources: []gorm.Dialector{postgres.New(postgres.Config{Conn: memdriver.Open()})},
	})); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkRawRouting measures what routing a raw statement by its text
// costs: db.Exec of a 300-character query, on the in-memory driver, with
// GORM alone ("plain") and with the plugin and a strategy installed. In
// "miss" every text is new to the plugin, which reads it with its lexer;
// in "hit" the text was read before. Each iteration runs both variants,
// in an order drawn at random, and times each.
func BenchmarkRawRouting(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "t042")
	plain := memGorm(b).WithContext(ctx)
	routed := routedMem(b, auditStrategy()).WithContext(ctx)
	if n := len(fmt.Sprintf(rawQuery, 0)); n < 290 || n > 310 {
		b.Fatalf("query is %d characters, want about 300", n)
	}
	for _, mode := range []string{"miss", "hit"} {
		b.Run(mode, func(b *testing.B) {
			// Far more texts than the plugin caches (4,096 a map), so
			// that in "miss" no text is ever found again.
			texts := make([]string, 50000)
			for i := range texts {
				texts[i] = fmt.Sprintf(rawQuery, i)
			}
			text := func(i int) string {
				if mode == "hit" {
					return texts[0]
				}
				return texts[i%len(texts)]
			}
			run := func(db *gorm.DB, sql string) {
				if err := db.Exec(sql).Error; err != nil {
					b.Fatal(err)
				}
			}
			per := interleave(b, func(i int) { run(plain, text(i)) }, func(i int) { run(routed, text(i)) })
			b.ReportMetric(per[0], "plain-ns/op")
			b.ReportMetric(per[1], "plugin-ns/op")
			b.ReportMetric(per[1]-per[0], "overhead-ns/op")
		})
	}
}

// BenchmarkRoutingWithStrategy is BenchmarkRouting's primary-key First
// with a strategy installed: the plugin then asks it about the model's
// table and looks through the statement's clauses for SQL that names
// other tables.
func BenchmarkRoutingWithStrategy(b *testing.B) {
	ctx := tenant.NewContext(context.Background(), "t042")
	modes := []*gorm.DB{memGorm(b).WithContext(ctx), routedMem(b, auditStrategy()).WithContext(ctx)}
	first := func(db *gorm.DB) {
		var row Row
		if err := db.Where("name <> ?", "y").First(&row, 1).Error; err != nil || row.Name != "x" {
			b.Fatalf("First: %v %+v", err, row)
		}
	}
	var allocs [2]float64
	for k, m := range modes {
		allocs[k] = testing.AllocsPerRun(1000, func() { first(m) })
	}
	per := interleave(b, func(int) { first(modes[0]) }, func(int) { first(modes[1]) })
	b.ReportMetric(per[0], "plain-ns/op")
	b.ReportMetric(per[1], "plugin-ns/op")
	b.ReportMetric(per[1]-per[0], "overhead-ns/op")
	b.ReportMetric(allocs[1]-allocs[0], "overhead-allocs/op")
}
