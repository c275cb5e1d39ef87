package tenantchi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantchi "github.com/tenantrouter/tenantplugin/chi"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/dbdriver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// oddID is a valid tenant id with characters a Host could not carry.
const oddID = "Odd Co: #1 @ x.y"

// memoServer is the middleware over a resolver on SQLite files, with a
// handler that answers the file of the database its request's context
// reaches, "unknown" when the tenant is gone, or 500.
func memoServer(t *testing.T) (http.Handler, *resolver.Resolver, func(string) tenantconfig.Database) {
	t.Helper()
	dir := t.TempDir()
	res, err := resolver.New(resolver.Config{
		Template: resolver.Template{Driver: sqlitedriver.DriverName, DSN: "x.db?_pragma=busy_timeout(5000)"},
		Drivers:  []dbdriver.Driver{sqlitedriver.New()},
		Logger:   fixture.Quiet(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Close() })
	h := mustMiddleware(t, res, tenantchi.WithExtractors(tenantchi.FromHeader("X-Tenant")))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := tenant.FromContext(r.Context())
			pool, err := res.ConnPool(r.Context(), id, tenantplugin.AccessRead)
			var file string
			if err == nil {
				err = pool.QueryRowContext(r.Context(), "SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&file)
			}
			switch {
			case errors.Is(err, tenant.ErrUnknown):
				fmt.Fprint(w, "unknown")
			case err != nil:
				http.Error(w, err.Error(), http.StatusInternalServerError)
			default:
				fmt.Fprint(w, file)
			}
		}))
	cfg := func(name string) tenantconfig.Database {
		return tenantconfig.Database{DataSource: tenantconfig.DataSource{Name: filepath.Join(dir, name)}}
	}
	return h, res, cfg
}

// ask sends a request for tenant id and returns the status and body.
func ask(h http.Handler, id string) (int, string) {
	rec := do(h, "example.com", "/", http.Header{"X-Tenant": {id}})
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// TestRedTeamMemoSharedRequestContext: the middleware shares one tenant
// context between all the requests of a tenant, so the resolver's memo
// in it outlives a request. A tenant removed is refused (404, or unknown
// in the handler) with that context; added again on another database,
// its requests reach the new one; an invalid id is refused; an id with
// odd but valid characters is served, on its own database.
func TestRedTeamMemoSharedRequestContext(t *testing.T) {
	h, res, cfg := memoServer(t)
	bg := context.Background()
	for id, name := range map[string]string{"acme": "acme-1.db", oddID: "odd.db"} {
		if err := res.Set(bg, id, cfg(name)); err != nil {
			t.Fatal(err)
		}
	}
	want := func(id string, code int, body string) {
		t.Helper()
		if c, b := ask(h, id); c != code || b != body {
			t.Fatalf("tenant %q: %d %q, want %d %q", id, c, b, code, body)
		}
	}
	for range 2 { // the second time through the memo
		want("acme", http.StatusOK, cfg("acme-1.db").DataSource.Name)
		want(oddID, http.StatusOK, cfg("odd.db").DataSource.Name)
	}
	if err := res.Set(bg, "acme", cfg("acme-2.db")); err != nil {
		t.Fatal(err)
	}
	want("acme", http.StatusOK, cfg("acme-2.db").DataSource.Name)
	if err := res.Remove(bg, "acme"); err != nil {
		t.Fatal(err)
	}
	if c, _ := ask(h, "acme"); c != http.StatusNotFound {
		t.Fatalf("removed tenant: %d, want 404", c)
	}
	if err := res.Set(bg, "acme", cfg("acme-3.db")); err != nil {
		t.Fatal(err)
	}
	want("acme", http.StatusOK, cfg("acme-3.db").DataSource.Name)
	want(oddID, http.StatusOK, cfg("odd.db").DataSource.Name)
	for _, id := range []string{"a/b", "..", "x\x01", ""} {
		if c, _ := ask(h, id); c != http.StatusBadRequest {
			t.Errorf("tenant %q: %d, want 400", id, c)
		}
	}
}

// TestRedTeamMemoSharedRequestContextRace: requests for a tenant flow
// while another goroutine moves it from database to database, removes
// it and adds it again. Each answer must be a database the tenant had
// at some moment while the request ran, or a refusal (404, unknown) when
// it was removed meanwhile; the other tenant's requests always reach its
// database.
func TestRedTeamMemoSharedRequestContextRace(t *testing.T) {
	h, res, cfg := memoServer(t)
	bg := context.Background()
	if err := res.Set(bg, oddID, cfg("odd.db")); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		states = []string{cfg("acme-0.db").DataSource.Name}
		events atomic.Int64
	)
	if err := res.Set(bg, "acme", cfg("acme-0.db")); err != nil {
		t.Fatal(err)
	}
	add := func(s string) {
		mu.Lock()
		states = append(states, s)
		n := len(states) - 1
		mu.Unlock()
		events.Store(int64(n))
	}
	progress := make(chan struct{}, 1)
	var mutator sync.WaitGroup
	mutator.Add(1)
	go func() {
		defer mutator.Done()
		for n := 1; n <= 119; n++ { // the last one a Set
			for range 3 {
				select {
				case <-progress:
				case <-time.After(10 * time.Second):
					t.Error("no request ended for 10s")
					return
				}
			}
			if n%3 == 0 {
				if err := res.Remove(bg, "acme"); err != nil {
					t.Error(err)
					return
				}
				add("")
				continue
			}
			c := cfg(fmt.Sprintf("acme-%d.db", n))
			if err := res.Set(bg, "acme", c); err != nil {
				t.Error(err)
				return
			}
			add(c.DataSource.Name)
		}
	}()

	type answer struct {
		id     string
		e0, e1 int64
		code   int
		body   string
	}
	stop := make(chan struct{})
	var workers sync.WaitGroup
	answers := make([][]answer, 4)
	for w := range answers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := answer{id: "acme"}
				if w == 0 && i%2 == 0 {
					a.id = oddID
				}
				a.e0 = events.Load()
				a.code, a.body = ask(h, a.id)
				a.e1 = events.Load()
				answers[w] = append(answers[w], a)
				if a.id == "acme" {
					select {
					case progress <- struct{}{}:
					default:
					}
				}
			}
		}()
	}
	mutator.Wait()
	close(stop)
	workers.Wait()

	var landed, refused, fails int
	for _, as := range answers {
		for _, a := range as {
			mu.Lock()
			window := states[a.e0:min(int(a.e1)+2, len(states))]
			mu.Unlock()
			var ok bool
			switch {
			case a.id == oddID:
				ok = a.code == http.StatusOK && a.body == cfg("odd.db").DataSource.Name
			case a.code == http.StatusNotFound || (a.code == http.StatusOK && a.body == "unknown"):
				refused++
				ok = slices.Contains(window, "")
			case a.code == http.StatusOK:
				landed++
				ok = slices.Contains(window, a.body)
			default:
				ok = false
			}
			if !ok {
				if fails++; fails <= 10 {
					t.Errorf("tenant %q between events %d and %d: %d %q; the tenant was %q", a.id, a.e0, a.e1, a.code, a.body, window)
				}
			}
		}
	}
	t.Logf("%d requests reached acme's database, %d refused", landed, refused)
	if landed == 0 || refused == 0 {
		t.Error("the race did not exercise every case")
	}
}
