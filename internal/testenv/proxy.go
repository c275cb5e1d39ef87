package testenv

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards TCP to a server, for tests of connections that fail
// without closing. Freeze makes the connections open so far swallow
// everything in both directions, as a half-open connection does; Mute
// makes them drop the pub/sub messages the server pushes while they
// still carry everything else (PING, PONG, commands, replies), as a
// subscription left on a demoted master does. New connections work. It
// closes with the test.
type Proxy struct {
	ln     net.Listener
	mu     sync.Mutex
	states []*proxyState
	conns  []net.Conn
	wg     sync.WaitGroup
}

// proxyState is what Freeze and Mute set on one proxied connection.
type proxyState struct {
	frozen, muted atomic.Bool
}

// NewProxy starts a proxy to target (host:port) on a free loopback port.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln}
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
			st := new(proxyState)
			p.mu.Lock()
			p.states = append(p.states, st)
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, up, st, true) // from the server
			go p.pipe(up, c, st, false)
		}
	}()
	t.Cleanup(p.Close)
	return p
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// pushedMessage is in every pub/sub message a server pushes, in RESP2
// (*3) and RESP3 (>3) alike.
var pushedMessage = []byte("$7\r\nmessage\r\n")

func (p *Proxy) pipe(dst, src net.Conn, st *proxyState, fromServer bool) {
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

// Freeze makes the connections open so far swallow everything.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.states {
		st.frozen.Store(true)
	}
}

// Mute makes the connections open so far drop pushed pub/sub messages.
func (p *Proxy) Mute() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.states {
		st.muted.Store(true)
	}
}

// Close stops the proxy and closes every proxied connection, which
// unblocks whoever reads one. It is idempotent.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
