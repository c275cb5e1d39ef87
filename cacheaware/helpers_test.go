package cacheaware_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// The Redis databases of the tests. Other packages' tests share the
// server: every key here carries a tenant id unique to the run, and
// only those keys are deleted.
const (
	dbShared = 9
	dbA      = 10
	dbB      = 11
)

var seq atomic.Int64

// uniq returns a tenant id unique to this run of this test.
func uniq(name string) string {
	return fmt.Sprintf("%s-%d-%d", name, os.Getpid(), seq.Add(1))
}

// redisURL returns the test server's URL on database db, with extra
// query parameters (client_name=x makes two URLs of one database
// differ).
func redisURL(t testing.TB, db int, query string) string {
	t.Helper()
	u, err := url.Parse(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + strconv.Itoa(db)
	u.RawQuery = query
	return u.String()
}

// rawClient is a client without hooks on database db, closed with the
// test.
func rawClient(t testing.TB, db int) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(redisURL(t, db, ""))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return c
}

// dropKeys deletes, at the end of the test, every key of db whose name
// holds one of the ids.
func dropKeys(t testing.TB, db int, ids ...string) {
	t.Helper()
	raw := rawClient(t, db)
	t.Cleanup(func() {
		ctx := context.Background()
		for _, id := range ids {
			iter := raw.Scan(ctx, 0, "*"+id+"*", 1000).Iterator()
			for iter.Next(ctx) {
				raw.Del(ctx, iter.Val())
			}
			if err := iter.Err(); err != nil {
				t.Errorf("cleaning up %s: %v", id, err)
			}
		}
	})
}

// as returns a context of tenant id.
func as(id string) context.Context { return tenant.NewContext(context.Background(), id) }

// counter is a hook that counts the dials, commands and pipelines that
// reach it.
type counter struct{ dials, cmds atomic.Int64 }

func (c *counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.cmds.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// dialer records the tenant clients a Caches opens, and tells when
// each is closed.
type dialer struct {
	mu      sync.Mutex
	clients []*tracked
}

// tracked is a tenant client whose Close is seen.
type tracked struct {
	redis.UniversalClient
	url    string
	closed chan struct{}
	once   sync.Once
}

func (c *tracked) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.UniversalClient.Close()
}

func (d *dialer) dial(u string) (redis.UniversalClient, error) {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil, err
	}
	c := &tracked{UniversalClient: redis.NewClient(opts), url: u, closed: make(chan struct{})}
	d.mu.Lock()
	d.clients = append(d.clients, c)
	d.mu.Unlock()
	return c, nil
}

func (d *dialer) opened() []*tracked {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]*tracked(nil), d.clients...)
}

// waitClosed fails the test unless c is closed within a few seconds.
func waitClosed(t *testing.T, c *tracked, what string) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the client of %s is not closed", what, c.url)
	}
}

func isClosed(c *tracked) bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// newCaches returns a Caches closed with the test.
func newCaches(t *testing.T, cfg cacheaware.Config) *cacheaware.Caches {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	c, err := cacheaware.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// caches is a tenant config with these template aliases and URLs.
func caches(aliasURL ...string) tenantconfig.Config {
	cfg := tenantconfig.Config{Cache: map[string]tenantconfig.Cache{}}
	for i := 0; i+1 < len(aliasURL); i += 2 {
		cfg.Cache[aliasURL[i]] = tenantconfig.Cache{URL: aliasURL[i+1]}
	}
	return cfg
}

// sharedClient is a client of its own on database db, closed with the
// test.
func sharedClient(t *testing.T, db int) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(redisURL(t, db, ""))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func mustSet(t *testing.T, c *cacheaware.Caches, id string, cfg tenantconfig.Config) {
	t.Helper()
	if err := c.Set(context.Background(), id, cfg); err != nil {
		t.Fatal(err)
	}
}

func mustClient(ctx context.Context, t *testing.T, c *cacheaware.Caches, alias string) redis.UniversalClient {
	t.Helper()
	cl, err := c.Client(ctx, alias)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}
