package provision_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/provision"
)

// BenchmarkCreate provisions one tenant end to end on PostgreSQL with a
// Redis store: CREATE DATABASE, the example's tenant tables migrated
// with migrate.ApplyTo (ledger included), a seed hook, the config
// published. Each tenant is deleted (database dropped) outside the
// timing. Reports the median as p50-ms.
func BenchmarkCreate(b *testing.B) {
	e := pgEnv(b)
	c := &counts{}
	p := e.provisioner(c, provision.Config{})
	ctx := context.Background()
	var lat []time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		id := fmt.Sprintf("bench-%d-%d.example", os.Getpid(), n)
		n++
		e.dropAtEnd(provision.DatabaseName(id))
		b.StartTimer()
		start := time.Now()
		if _, err := p.Create(ctx, id); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		if err := p.Delete(ctx, id, provision.DropDatabase()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[(len(lat)-1)/2])/float64(time.Millisecond), "p50-ms")
}
