package redisstore_test

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// proxy forwards TCP to a server; freeze makes the connections open so
// far swallow everything, as a half-open connection does, while new ones
// work.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen []*atomic.Bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
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
			f := new(atomic.Bool)
			p.mu.Lock()
			p.frozen = append(p.frozen, f)
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, up, f)
			go p.pipe(up, c, f)
		}
	}()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) pipe(dst, src net.Conn, frozen *atomic.Bool) {
	defer p.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 && !frozen.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection
		}
	}
}

func (p *proxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.frozen {
		f.Store(true)
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// TestHalfOpenConnectionIsReplaced freezes the watcher's connection: its
// pings go unanswered, it subscribes on a new connection, and the resync
// that follows brings the change made meanwhile.
func TestHalfOpenConnectionIsReplaced(t *testing.T) {
	mr := miniredis.RunT(t)
	px := newProxy(t, mr.Addr())
	client := redis.NewClient(&redis.Options{Addr: px.ln.Addr().String(), ReadTimeout: -1})
	defer client.Close()
	store, err := redisstore.New(client, "hospital", redisstore.WithLogger(fixture.Quiet()),
		redisstore.WithPingInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	var resyncs atomic.Int32
	stop, err := store.Watch(context.Background(), func(tenantconfig.Event) {}, func() { resyncs.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	px.freeze()
	direct := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer direct.Close()
	other, _ := redisstore.New(direct, "hospital")
	if _, err := other.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "a", Config: storetest.Config("a")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for resyncs.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the watcher never noticed its connection stopped answering")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
