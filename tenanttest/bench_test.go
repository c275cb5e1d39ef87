package tenanttest_test

import (
	"fmt"
	"testing"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/tenanttest"
)

// BenchmarkNew measures an Env's life, New to the end of its cleanup,
// with the example application's models: the template built by each New,
// or shared (built once, by the first).
func BenchmarkNew(b *testing.B) {
	servers := map[string]tenanttest.Option{"sqlite": tenanttest.SQLite()}
	if pg := postgresURL(b); pg != "" {
		servers["postgres"] = tenanttest.Postgres(pg)
	}
	for _, name := range []string{"sqlite", "postgres"} {
		server, ok := servers[name]
		if !ok {
			continue
		}
		for _, n := range []int{1, 3, 10} {
			for _, share := range []bool{false, true} {
				b.Run(fmt.Sprintf("%s/tenants=%d/shared=%t", name, n, share), func(b *testing.B) {
					loop := func() int {
						for b.Loop() {
							f := newFakeTB()
							f.run(func(t testing.TB) {
								tenanttest.New(t, server, tenanttest.Tenants(n),
									tenanttest.Models(hospital.TenantModels()...),
									tenanttest.Reserved(tenantplugin.DefaultAlias, hospital.CentralModels()...),
									tenanttest.Strategies(hospital.Strategy()))
							})
							if f.Failed() {
								b.Fatal(f.output())
							}
						}
						return 0
					}
					if share {
						tenanttest.ShareTemplates(fakeM(loop)).Run()
					} else {
						loop()
					}
				})
			}
		}
	}
}
