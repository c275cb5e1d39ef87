package tenantsync_test

import (
	"context"
	"fmt"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// freezer forwards TCP to a server; freeze makes the connections open so
// far swallow everything in both directions, as a half-open connection
// does, while new connections work.
type freezer struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen []*atomic.Bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newFreezer(t *testing.T, target string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, target: target}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			st := new(atomic.Bool)
			f.mu.Lock()
			f.frozen = append(f.frozen, st)
			f.conns = append(f.conns, c, up)
			f.mu.Unlock()
			f.wg.Add(2)
			go f.pipe(c, up, st)
			go f.pipe(up, c, st)
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *freezer) pipe(dst, src net.Conn, frozen *atomic.Bool) {
	defer f.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 && !frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, st := range f.frozen {
		st.Store(true)
	}
}

// close closes every proxied connection, which unblocks whoever reads
// one.
func (f *freezer) close() {
	f.ln.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// TestRedTeam9FrozenRedisConnectionDoesNotStallSyncer: a client that
// bounds its operations by their contexts (ContextTimeoutEnabled, no
// read timeout of its own) and a Redis connection that stops answering
// (half-open). The syncer's reads of the store must fail within a bound
// and be retried on a new connection: the change made meanwhile arrives,
// and Close returns.
func TestRedTeam9FrozenRedisConnectionDoesNotStallSyncer(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	fz := newFreezer(t, opts.Addr)
	service := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	pOpts := *opts
	pOpts.Addr = fz.ln.Addr().String()
	pOpts.ReadTimeout, pOpts.WriteTimeout, pOpts.ContextTimeoutEnabled = -1, -1, true
	client := redis.NewClient(&pOpts)
	defer client.Close()
	store, err := redisstore.New(client, service, redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(-1), redisstore.WithTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	direct := redis.NewClient(opts)
	defer direct.Close()
	writer, err := redisstore.New(direct, service, redisstore.WithLogger(fixture.Quiet()))
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, writer, put("a", "r9frozen-a1.db"))
	r := newResolver(t)
	s, err := tenantsync.Start(context.Background(), store, r, tenantsync.WithLogger(fixture.Quiet()),
		tenantsync.WithResyncInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	closed := make(chan struct{})
	defer func() {
		go func() { _ = s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			fz.close() // unblock it, then fail
			<-closed
			t.Error("Close still waited 10 s after it was called, on a frozen Redis connection")
		}
	}()

	fz.freeze()
	mustApply(t, writer, put("a", "r9frozen-a2.db"))
	s.Resync()
	deadline := time.Now().Add(15 * time.Second)
	for !reflect.DeepEqual(state(r), map[string]string{"a": "r9frozen-a2.db"}) {
		if time.Now().After(deadline) {
			t.Errorf("after 15 s the change made while a Redis connection froze is not applied: %v", state(r))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
