package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// memoHistory is what a tenant of one resolver has been, event after
// event: the database file it is on after each Set, "" after a Remove.
// events is the index of the last event whose call has returned.
type memoHistory struct {
	mu     sync.Mutex
	cur    []string
	events atomic.Int64
}

// last returns the state after the last event.
func (h *memoHistory) last() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur[len(h.cur)-1]
}

func (h *memoHistory) add(file string) {
	h.mu.Lock()
	h.cur = append(h.cur, file)
	n := len(h.cur) - 1
	h.mu.Unlock()
	h.events.Store(int64(n))
}

// window returns the states the tenant may have had while a statement
// ran that read events e0 before it and e1 after it: those after events
// e0 to e1, and after the event that may have been under way at e1.
func (h *memoHistory) window(e0, e1 int64) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur[e0:min(int(e1)+2, len(h.cur))]
}

// memoObs is one statement a worker ran with a shared context.
type memoObs struct {
	res         int // resolver index
	id          string
	e0, e1      int64
	file        string
	err         error
	afterClose  bool // it began after resolver 0's Close returned
	duringClose bool // it ended after resolver 0's Close was called
	transaction bool
}

// mainFile is a query that answers the file of the database it runs on.
const mainFile = "SELECT file FROM pragma_database_list WHERE name = 'main'"

// memoEvents is how many times each resolver's acme changes.
const memoEvents = 149 // the last one a Set

// memoStatement runs mainFile on the pool r hands out for ctx, as a
// plain query or in a transaction.
func memoStatement(ctx context.Context, r *resolver.Resolver, id string, access tenantplugin.Access, tx bool) (string, error) {
	pool, err := r.ConnPool(ctx, id, access)
	if err != nil {
		return "", err
	}
	var file string
	if !tx {
		err = pool.QueryRowContext(ctx, mainFile).Scan(&file)
		return file, err
	}
	c, err := pool.(gorm.ConnPoolBeginner).BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	if err := c.QueryRowContext(ctx, mainFile).Scan(&file); err != nil {
		_ = c.(gorm.TxCommitter).Rollback()
		return "", err
	}
	return file, c.(gorm.TxCommitter).Commit()
}

// TestRedTeamMemoSwapRemoveRace: workers share one context per tenant
// (as the chi middleware does) on two resolvers at once, while another
// goroutine moves tenant acme of each resolver from database to
// database, removes it and adds it again, and, with MaxPools, the
// tenants' pools evict each other. Every statement must land on a
// database acme was on at some moment while the statement ran (or fail
// with ErrUnknown when acme was removed meanwhile), on its own
// resolver's, never on another tenant's; beta and gamma never move and
// never fail. Then resolver 0 closes with the workers still running:
// Close returns, and every statement that begins afterwards fails with
// ErrClosed.
func TestRedTeamMemoSwapRemoveRace(t *testing.T) {
	for _, maxPools := range []int{-1, 1, 2} {
		t.Run(fmt.Sprintf("MaxPools %d", maxPools), func(t *testing.T) {
			dir := t.TempDir()
			bg := context.Background()
			path := func(name string) string { return filepath.Join(dir, name) }
			cfgOf := func(name string) tenantconfig.Database {
				return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: path(name)}}
			}
			rs := make([]*resolver.Resolver, 2)
			hist := make([]*memoHistory, 2)
			for i := range rs {
				cfg := sqliteConfig()
				cfg.MaxPools = maxPools
				rs[i] = newResolver(t, cfg)
				hist[i] = &memoHistory{}
				name := fmt.Sprintf("r%d-acme-0.db", i)
				if err := rs[i].Set(bg, "acme", cfgOf(name)); err != nil {
					t.Fatal(err)
				}
				hist[i].add(path(name))
				for _, id := range []string{"beta", "gamma"} {
					if err := rs[i].Set(bg, id, cfgOf(fmt.Sprintf("r%d-%s.db", i, id))); err != nil {
						t.Fatal(err)
					}
				}
			}

			// Each worker's acme statement on resolver i sends on
			// progress[i] when it can, if it succeeded while acme is
			// registered or failed while it is not: the mutator of
			// resolver i waits for a few between its events, so that
			// they race with statements.
			progress := []chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)}
			var mutators sync.WaitGroup
			for i, r := range rs {
				mutators.Add(1)
				go func() {
					defer mutators.Done()
					for n := 1; n <= memoEvents; n++ {
						for range 3 {
							select {
							case <-progress[i]:
							case <-time.After(10 * time.Second):
								t.Error("no acme statement ended for 10s")
								return
							}
						}
						if n%3 == 0 {
							if err := r.Remove(bg, "acme"); err != nil {
								t.Errorf("Remove: %v", err)
								return
							}
							hist[i].add("")
							continue
						}
						name := fmt.Sprintf("r%d-acme-%d.db", i, n)
						if err := r.Set(bg, "acme", cfgOf(name)); err != nil {
							t.Errorf("Set: %v", err)
							return
						}
						hist[i].add(path(name))
					}
				}()
			}

			// A statement that waits for good ends with this context, and
			// fails the test, instead of hanging it.
			run, cancel := context.WithTimeout(bg, 20*time.Second)
			defer cancel()
			ctxs := map[string]context.Context{}
			for _, id := range []string{"acme", "beta", "gamma"} {
				ctxs[id] = tenant.NewContext(run, id)
			}
			workerIDs := []string{"acme", "acme", "acme", "acme", "beta", "gamma"}
			var closing0, closed0 atomic.Bool
			var after atomic.Int64
			enoughAfter := make(chan struct{})
			stopWork := make(chan struct{})
			var workers sync.WaitGroup
			obs := make([][]memoObs, len(workerIDs))
			for w, id := range workerIDs {
				workers.Add(1)
				go func() {
					defer workers.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 7))
					ctx := ctxs[id]
					for {
						select {
						case <-stopWork:
							return
						default:
						}
						o := memoObs{res: rng.IntN(2), id: id, afterClose: closed0.Load(), transaction: rng.IntN(5) == 0}
						access := []tenantplugin.Access{tenantplugin.AccessWrite, tenantplugin.AccessRead, tenantplugin.AccessPrepared}[rng.IntN(3)]
						o.e0 = hist[o.res].events.Load()
						o.file, o.err = memoStatement(ctx, rs[o.res], id, access, o.transaction)
						o.e1 = hist[o.res].events.Load()
						o.duringClose = closing0.Load()
						if id == "acme" && (o.err == nil) == (hist[o.res].last() != "") {
							select {
							case progress[o.res] <- struct{}{}:
							default:
							}
						}
						obs[w] = append(obs[w], o)
						if o.afterClose && o.res == 0 && after.Add(1) == 100 {
							close(enoughAfter)
						}
					}
				}()
			}

			mutators.Wait()
			closing0.Store(true)
			closeWithin(t, rs[0], 10*time.Second)
			closed0.Store(true)
			// Let the workers run statements after Close returned.
			select {
			case <-enoughAfter:
			case <-time.After(10 * time.Second):
				t.Error("no statement ran after Close")
			}
			close(stopWork)
			workers.Wait()

			var ok, unknown, closing, afterClose int
			fails := 0
			fail := func(format string, args ...any) {
				if fails++; fails <= 10 {
					t.Errorf(format, args...)
				}
			}
			for _, ws := range obs {
				for _, o := range ws {
					prefix := path(fmt.Sprintf("r%d-%s", o.res, o.id))
					switch {
					case o.afterClose && o.res == 0:
						afterClose++
						if !errors.Is(o.err, resolver.ErrClosed) {
							fail("%s on resolver 0 after Close: file %q, err %v; want ErrClosed", o.id, o.file, o.err)
						}
					case o.duringClose && o.res == 0 && errors.Is(o.err, resolver.ErrClosed):
						closing++
					case o.err != nil && o.id == "acme" && errors.Is(o.err, tenant.ErrUnknown):
						unknown++
						if !slices.Contains(hist[o.res].window(o.e0, o.e1), "") {
							fail("acme on resolver %d: ErrUnknown between events %d and %d, when it was never removed: %v", o.res, o.e0, o.e1, o.err)
						}
					case o.err != nil:
						fail("%s on resolver %d (tx %v): %v", o.id, o.res, o.transaction, o.err)
					case o.id != "acme":
						ok++
						if o.file != prefix+".db" {
							fail("%s on resolver %d landed on %q, want %q", o.id, o.res, o.file, prefix+".db")
						}
					default:
						ok++
						if !strings.HasPrefix(o.file, prefix+"-") {
							fail("acme on resolver %d landed on %q, another resolver's or tenant's", o.res, o.file)
						} else if w := hist[o.res].window(o.e0, o.e1); !slices.Contains(w, o.file) {
							fail("acme on resolver %d (tx %v) landed on %q, not among the databases it had between events %d and %d: %q",
								o.res, o.transaction, o.file, o.e0, o.e1, w)
						}
					}
				}
			}
			t.Logf("%d statements landed, %d ErrUnknown, %d ErrClosed during Close, %d after Close; events %d and %d",
				ok, unknown, closing, afterClose, hist[0].events.Load(), hist[1].events.Load())
			if afterClose == 0 || unknown == 0 || ok == 0 {
				t.Error("the race did not exercise every case")
			}
		})
	}
}
