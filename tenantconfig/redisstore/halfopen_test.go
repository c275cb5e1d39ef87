package redisstore_test

import (
	"bytes"
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
// far swallow everything, as a half-open connection does, and mute makes
// them drop the pub/sub messages the server pushes while they still carry
// everything else (PING, PONG, commands, replies), as a subscription left
// on a demoted master does. New connections work.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	states []*connState
	conns  []net.Conn
	wg     sync.WaitGroup
}

// connState is what freeze and mute set on one proxied connection.
type connState struct {
	frozen, muted atomic.Bool
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
			st := new(connState)
			p.mu.Lock()
			p.states = append(p.states, st)
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, up, st, true)
			go p.pipe(up, c, st, false)
		}
	}()
	t.Cleanup(p.close)
	return p
}

// pushedMessage is in every pub/sub message a server pushes, in RESP2
// (*3) and RESP3 (>3) alike.
var pushedMessage = []byte("$7\r\nmessage\r\n")

func (p *proxy) pipe(dst, src net.Conn, st *connState, fromServer bool) {
	defer p.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		drop := st.frozen.Load() || (fromServer && st.muted.Load() && bytes.Contains(buf[:n], pushedMessage))
		if n > 0 && !drop {
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
	for _, st := range p.states {
		st.frozen.Store(true)
	}
}

func (p *proxy) mute() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.states {
		st.muted.Store(true)
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
	client := redis.NewClient(&redis.Options{Addr: px.ln.Addr().String(), ReadTimeout: -1, ContextTimeoutEnabled: true})
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
