package redisstore_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/storetest"
)

// lockedBuffer is a log sink safe for the watcher's goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// rt5 returns a store of a service of the test's own on the shared test
// server, logging to the returned buffer, and its keys' tag.
func rt5(t *testing.T) (*redisstore.Store, *lockedBuffer, string) {
	t.Helper()
	client, service := testenv.RedisService(t, "rt5")
	logs := &lockedBuffer{}
	s, err := redisstore.New(client, service, redisstore.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	return s, logs, "{" + redisstore.DefaultPrefix + ":" + service + "}"
}

func putRT5(id string) tenantconfig.Change {
	return tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: storetest.Config(id)}
}

// TestRedTeam5MalformedSumScanGoesOn: one entry of the hash of Sums is
// not a Sum (set by hand). ScanSums gives every tenant all the same,
// the bad one with a Sum no record has (so that a reader reads its
// record), and logs it; it does not fail the scan of every tenant.
func TestRedTeam5MalformedSumScanGoesOn(t *testing.T) {
	ctx := context.Background()
	s, logs, tag := rt5(t)
	if _, err := s.Apply(ctx, putRT5("a"), putRT5("b"), putRT5("c")); err != nil {
		t.Fatal(err)
	}
	client, _ := testenv.RedisService(t, "rt5c")
	if err := client.HSet(ctx, tag+":sums", "b", "zz").Err(); err != nil {
		t.Fatal(err)
	}
	got := map[string]tenantconfig.Sum{}
	err := s.ScanSums(ctx, func(chunk map[string]tenantconfig.Sum) error {
		for id, sum := range chunk {
			got[id] = sum
		}
		return nil
	})
	if err != nil {
		t.Fatalf("one malformed Sum fails the whole scan: %v", err)
	}
	if len(got) != 3 || got["b"] != (tenantconfig.Sum{}) || got["a"] == (tenantconfig.Sum{}) {
		t.Fatalf("scan gave %v", got)
	}
	if !strings.Contains(logs.String(), `tenant=b`) {
		t.Fatalf("the malformed Sum is not logged:\n%s", logs.String())
	}
}

// TestRedTeam5ForgedHugeAnnouncementLogBounded: a PUBLISH by hand on the
// store's channel of a megabyte of garbage. The watcher ignores it, asks
// for a resync and goes on delivering real announcements, and its log
// line does not carry the megabyte (one such PUBLISH a second would fill
// the instances' logs).
func TestRedTeam5ForgedHugeAnnouncementLogBounded(t *testing.T) {
	ctx := context.Background()
	s, logs, tag := rt5(t)
	events := make(chan tenantconfig.Event, 16)
	resyncs := make(chan struct{}, 16)
	stop, err := s.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() { resyncs <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	client, _ := testenv.RedisService(t, "rt5c")
	if err := client.Publish(ctx, tag+":changes", strings.Repeat("\xff", 1<<20)).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-resyncs:
	case <-time.After(5 * time.Second):
		t.Fatal("a malformed announcement asked for no resync")
	}
	vs, err := s.Apply(ctx, putRT5("real"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if e.Tenant != "real" || e.Version != vs[0] {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no announcement delivered after the forged one")
	}
	if n := len(logs.String()); n > 8<<10 {
		t.Fatalf("one forged announcement wrote %d bytes of log", n)
	}
}
