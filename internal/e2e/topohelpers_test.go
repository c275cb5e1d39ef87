package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/redisurl"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// topoEnv is a test's use of a Redis topology: a service name of its own
// (so its keys are its own), a store on the ordinary client of the
// topology's URL, and instances watching it.
type topoEnv struct {
	*env
	topo    *testenv.Topology
	service string
	store   *redisstore.Store
}

// newTopoEnv takes the topology for the test alone (it kills and fails
// over nodes) and makes the store of a new service on it.
func newTopoEnv(tb testing.TB, kind string) *topoEnv {
	tb.Helper()
	// go-redis logs its reconnections: not on the test's output, where
	// they would break the benchmark lines.
	quietRedis.Do(func() { redis.SetLogger(discardLogger{}) })
	e := newEnv(tb)
	var topo *testenv.Topology
	if kind == "sentinel" {
		topo = testenv.Sentinel(tb, testenv.Exclusive)
	} else {
		topo = testenv.Cluster(tb, testenv.Exclusive)
	}
	client, err := redisurl.NewClient(topo.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = client.Close() })
	service := fmt.Sprintf("fo-%s-%d", kind, time.Now().UnixNano())
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		tb.Fatal(err)
	}
	return &topoEnv{env: e, topo: topo, service: service, store: store}
}

var quietRedis sync.Once

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// nodeStore returns the service's store on node addr alone.
func (te *topoEnv) nodeStore(addr string) *redisstore.Store {
	te.tb.Helper()
	s, err := redisstore.New(testenv.Node(te.tb, addr), te.service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		te.tb.Fatal(err)
	}
	return s
}

// key is a key of the service: the master that holds it holds them all.
func (te *topoEnv) key() string {
	return "{" + redisstore.DefaultPrefix + ":" + te.service + "}:revision"
}

// instances starts n instances of the service on the topology.
func (te *topoEnv) instances(n int, templateDSN string, extra ...string) []*instance {
	te.tb.Helper()
	args := append([]string{
		"-redis", te.topo.URL, "-pg", templateDSN, "-service", te.service,
		"-listen", "127.0.0.1:0", "-max-conns", strconv.Itoa(instanceMaxConns), "-allow-empty",
	}, extra...)
	insts := te.startInstances(n, args)
	dumpOnFailure(te.tb, nil, insts...)
	return insts
}

// ctl runs tenantctl on the service through the topology's URL.
func (te *topoEnv) ctl(args ...string) ctlResult {
	te.tb.Helper()
	return te.ctlURL(te.topo.URL, append([]string{"-service", te.service}, args...)...)
}

func (te *topoEnv) mustCtl(args ...string) ctlResult {
	te.tb.Helper()
	res := te.ctl(args...)
	if res.code != 0 {
		te.tb.Fatal(res)
	}
	return res
}

// put creates or replaces tenant with database dsn.
func (te *topoEnv) put(ctx context.Context, id, dsn string) error {
	_, err := te.store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: dsnConfig(dsn)})
	return err
}

func (te *topoEnv) mustPut(id, dsn string) {
	te.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := te.put(ctx, id, dsn); err != nil {
		te.tb.Fatalf("put %s: %v", id, err)
	}
}

// dsnConfig is the config of a tenant of the service "hospital"-style
// layout the instances read: gorm, alias default.
func dsnConfig(dsn string) tenantconfig.Config {
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{DSN: dsn}}},
	}}
}

// ack is a change the writer made and Redis acknowledged.
type ack struct {
	id string
	at time.Time // when Apply returned
}

// writer adds a new tenant every period until stopped, as a steady
// stream of changes; it remembers the acknowledged ones.
type writer struct {
	mu      sync.Mutex
	acks    []ack
	failed  int
	changed chan struct{} // closed and replaced at every ack
	stop    context.CancelFunc
	done    chan struct{}
}

func (te *topoEnv) startWriter(prefix, dsn string, period time.Duration) *writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &writer{changed: make(chan struct{}), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for seq := 0; ; seq++ {
			id := fmt.Sprintf("%s-%d.localhost", prefix, seq)
			actx, acancel := context.WithTimeout(ctx, time.Second)
			err := te.put(actx, id, dsn)
			acancel()
			at := time.Now()
			w.mu.Lock()
			if err == nil {
				w.acks = append(w.acks, ack{id, at})
				close(w.changed)
				w.changed = make(chan struct{})
			} else {
				w.failed++
			}
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	te.tb.Cleanup(w.halt)
	return w
}

// halt stops the writer and waits for it.
func (w *writer) halt() {
	w.stop()
	<-w.done
}

// after returns the acknowledged changes whose Apply returned after t.
func (w *writer) after(t time.Time) []ack {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := slices.IndexFunc(w.acks, func(a ack) bool { return a.at.After(t) })
	if i < 0 {
		return nil
	}
	return slices.Clone(w.acks[i:])
}

// firstAfter waits until a change made after t is acknowledged, up to
// deadline.
func (w *writer) firstAfter(t, deadline time.Time) (ack, error) {
	for {
		w.mu.Lock()
		ch := w.changed
		w.mu.Unlock()
		if a := w.after(t); len(a) > 0 {
			return a[0], nil
		}
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
			return ack{}, fmt.Errorf("no write succeeded within %v", deadline.Sub(t).Round(time.Millisecond))
		}
	}
}

// holdsAll checks that every instance routes every tenant of acks (it
// waits up to timeout for the last one first).
func holdsAll(insts []*instance, acks []ack, database string, timeout time.Duration) error {
	if len(acks) == 0 {
		return errors.New("no change to check")
	}
	var errs []error
	waits := startWaits(insts, acks[len(acks)-1].id, database, timeout)
	for range insts {
		w := <-waits
		if w.err != nil {
			errs = append(errs, w.err)
			continue
		}
		s := w.inst.stats()
		for _, a := range acks {
			if !slices.Contains(s.Tenants, a.id) {
				errs = append(errs, fmt.Errorf("%s does not hold %s (acknowledged at %s)", w.inst.name, a.id, a.at.Format("15:04:05.000")))
			}
		}
	}
	return errors.Join(errs...)
}
