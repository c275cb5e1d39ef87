package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Environment variables of the Redis topologies (scripts/topology.sh).
const (
	EnvSentinelURL   = "TENANTPLUGIN_REDIS_SENTINEL_URL"
	EnvSentinelNodes = "TENANTPLUGIN_REDIS_SENTINEL_NODES"
	EnvSentinelDir   = "TENANTPLUGIN_REDIS_SENTINEL_DIR"
	EnvClusterURL    = "TENANTPLUGIN_REDIS_CLUSTER_URL"
	EnvClusterDir    = "TENANTPLUGIN_REDIS_CLUSTER_DIR"
)

// SentinelMaster is the master name the sentinels watch.
const SentinelMaster = "tenantplugin"

// healthyTimeout bounds the wait for a topology to be whole again.
const healthyTimeout = 60 * time.Second

// Use says how a test uses a shared topology.
type Use int

const (
	// Shared: the test only reads and writes; other Shared tests may use
	// the topology at the same time.
	Shared Use = iota
	// Exclusive: the test kills nodes or fails masters over. It has the
	// topology to itself, and the topology is made whole again (dead
	// nodes restarted as replicas) when the test ends.
	Exclusive
)

// Topology is the Redis Sentinel set-up or the Redis Cluster that
// scripts/services.sh started: every test binary of a run shares it.
type Topology struct {
	// Kind is "sentinel" or "cluster".
	Kind string
	// URL is its URL in go-redis's failover or cluster form.
	URL string
	// Dir holds one directory per node, named by its port, with its
	// redis.conf and redis.pid.
	Dir string
	// Nodes are the data nodes' addresses; Sentinels the sentinels'.
	Nodes, Sentinels []string
}

// Sentinel returns the Sentinel set-up, whole (a master, a replica
// linked to it, three sentinels agreeing), locked for use until the test
// ends. It skips without it, or fails with TENANTPLUGIN_INTEGRATION=1.
func Sentinel(tb testing.TB, use Use) *Topology {
	tb.Helper()
	t := &Topology{Kind: "sentinel", URL: need(tb, EnvSentinelURL), Dir: need(tb, EnvSentinelDir)}
	t.Nodes = strings.Split(need(tb, EnvSentinelNodes), ",")
	u, err := redisURLAddrs(t.URL)
	if err != nil {
		tb.Fatalf("%s: %v", EnvSentinelURL, err)
	}
	t.Sentinels = u
	t.acquire(tb, use)
	return t
}

// Cluster returns the Redis Cluster, whole (three masters holding every
// slot, each with a linked replica), locked for use until the test ends.
// It skips without it, or fails with TENANTPLUGIN_INTEGRATION=1.
func Cluster(tb testing.TB, use Use) *Topology {
	tb.Helper()
	t := &Topology{Kind: "cluster", URL: need(tb, EnvClusterURL), Dir: need(tb, EnvClusterDir)}
	nodes, err := redisURLAddrs(t.URL)
	if err != nil {
		tb.Fatalf("%s: %v", EnvClusterURL, err)
	}
	t.Nodes = nodes
	t.acquire(tb, use)
	return t
}

// redisURLAddrs returns the host of a Redis URL and its addr parameters.
func redisURLAddrs(raw string) ([]string, error) {
	host, query, _ := strings.Cut(strings.TrimPrefix(raw, "redis://"), "?")
	host, _, _ = strings.Cut(host, "/")
	addrs := []string{host}
	for _, kv := range strings.Split(query, "&") {
		if a, ok := strings.CutPrefix(kv, "addr="); ok {
			addrs = append(addrs, a)
		}
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("address %q: %w", a, err)
		}
	}
	return addrs, nil
}

// acquire locks the topology (flock on Dir/lock) and waits until it is
// whole; an Exclusive user restarts dead nodes first, and again at the
// end of the test.
func (t *Topology) acquire(tb testing.TB, use Use) {
	tb.Helper()
	f, err := os.OpenFile(filepath.Join(t.Dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		tb.Fatalf("%s: %v", t.Kind, err)
	}
	how := syscall.LOCK_SH
	if use == Exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		_ = f.Close()
		tb.Fatalf("%s: lock: %v", t.Kind, err)
	}
	tb.Cleanup(func() { _ = f.Close() }) // releases the lock, after the restore below
	if use == Exclusive {
		tb.Cleanup(func() {
			if err := t.Restore(); err != nil {
				tb.Errorf("%s: restore: %v", t.Kind, err)
			}
		})
		if err := t.Restore(); err != nil {
			tb.Fatalf("%s: %v", t.Kind, err)
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), healthyTimeout)
	defer cancel()
	if err := t.waitWhole(ctx); err != nil {
		tb.Fatalf("%s: %v", t.Kind, err)
	}
}

// Restore restarts the nodes that are down (as replicas of the current
// masters) and waits until the topology is whole.
func (t *Topology) Restore() error {
	ctx, cancel := context.WithTimeout(context.Background(), healthyTimeout)
	defer cancel()
	for _, addr := range t.Nodes {
		if t.pingNode(ctx, addr) == nil {
			continue
		}
		if err := t.Restart(ctx, addr); err != nil {
			return err
		}
	}
	return t.waitWhole(ctx)
}

// Restart starts the dead node addr again with its redis.conf: a
// sentinel's data node as a replica of the current master, a cluster
// node as it was (it rejoins as a replica).
func (t *Topology) Restart(ctx context.Context, addr string) error {
	_, port, _ := net.SplitHostPort(addr)
	args := []string{filepath.Join(t.Dir, port, "redis.conf")}
	if t.Kind == "sentinel" {
		master, err := t.sentinelMaster(ctx)
		if err != nil {
			return err
		}
		if master == addr {
			return fmt.Errorf("restart %s: the sentinels still name it the master", addr)
		}
		h, p, _ := net.SplitHostPort(master)
		args = append(args, "--replicaof", h, p)
	}
	bin := os.Getenv("TENANTPLUGIN_REDIS_SERVER")
	if bin == "" {
		bin = "redis-server"
	}
	// The node daemonizes: the command returns once it has forked.
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("restart %s: %w: %s", addr, err, out)
	}
	for ctx.Err() == nil {
		if t.pingNode(ctx, addr) == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("restart %s: no answer: %w", addr, ctx.Err())
}

// Kill kills the node addr (SIGKILL) and waits until it is gone. It
// returns when the signal was sent.
func (t *Topology) Kill(addr string) (time.Time, error) {
	_, port, _ := net.SplitHostPort(addr)
	b, err := os.ReadFile(filepath.Join(t.Dir, port, "redis.pid"))
	if err != nil {
		return time.Time{}, fmt.Errorf("kill %s: %w", addr, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("kill %s: pid file: %w", addr, err)
	}
	at := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return at, fmt.Errorf("kill %s (pid %d): %w", addr, pid, err)
	}
	// The node is not our child: wait until its port refuses.
	for range 500 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			return at, nil
		}
		_ = c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	return at, fmt.Errorf("kill %s: still answering", addr)
}

// Node returns a client of the single node addr, closed when the test
// ends.
func Node(tb testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: time.Second})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

func (t *Topology) pingNode(ctx context.Context, addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
	defer c.Close()
	return c.Ping(ctx).Err()
}

// nodeDo runs one command on node addr.
func nodeDo(ctx context.Context, addr string, args ...any) *redis.Cmd {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 500 * time.Millisecond, ReadTimeout: 2 * time.Second})
	defer c.Close()
	return c.Do(ctx, args...)
}

// Master returns the address of the master that holds key now: the
// sentinels' master, or the cluster master of key's slot.
func (t *Topology) Master(ctx context.Context, key string) (string, error) {
	if t.Kind == "sentinel" {
		return t.sentinelMaster(ctx)
	}
	m, _, err := t.slotNodes(ctx, key)
	return m, err
}

// Replica returns the address of a replica of the master that holds key.
func (t *Topology) Replica(ctx context.Context, key string) (string, error) {
	if t.Kind == "sentinel" {
		m, err := t.sentinelMaster(ctx)
		if err != nil {
			return "", err
		}
		for _, n := range t.Nodes {
			if n != m {
				return n, nil
			}
		}
		return "", errors.New("no replica")
	}
	_, r, err := t.slotNodes(ctx, key)
	if err == nil && len(r) == 0 {
		err = fmt.Errorf("no replica of the master of %q", key)
	}
	if err != nil {
		return "", err
	}
	return r[0], nil
}

// Failover makes the replica of key's master its master, gracefully:
// SENTINEL FAILOVER, or CLUSTER FAILOVER on the replica. It returns once
// the command was accepted.
func (t *Topology) Failover(ctx context.Context, key string) error {
	if t.Kind == "sentinel" {
		return nodeDo(ctx, t.Sentinels[0], "SENTINEL", "FAILOVER", SentinelMaster).Err()
	}
	r, err := t.Replica(ctx, key)
	if err != nil {
		return err
	}
	return nodeDo(ctx, r, "CLUSTER", "FAILOVER").Err()
}

// WaitRole polls node addr until it reports role ("master" or "slave"),
// up to deadline, and returns when it first did.
func (t *Topology) WaitRole(ctx context.Context, addr, role string, deadline time.Time) (time.Time, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
	defer c.Close()
	for time.Now().Before(deadline) {
		info, err := c.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "role:"+role+"\r\n") {
			return time.Now(), nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("%s: not a %s by %s", addr, role, deadline.Format("15:04:05.000"))
}

// PauseReplication stops the replica of key's master from applying what
// the master sends for d (CLIENT PAUSE ALL on the replica): writes made
// meanwhile are lost if the master dies before d ends.
func (t *Topology) PauseReplication(ctx context.Context, key string, d time.Duration) (string, error) {
	r, err := t.Replica(ctx, key)
	if err != nil {
		return "", err
	}
	return r, nodeDo(ctx, r, "CLIENT", "PAUSE", d.Milliseconds(), "ALL").Err()
}

// sentinelMaster returns the master the sentinels name; they must agree.
func (t *Topology) sentinelMaster(ctx context.Context) (string, error) {
	var master string
	for _, s := range t.Sentinels {
		v, err := nodeDo(ctx, s, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster).StringSlice()
		if err != nil {
			return "", fmt.Errorf("sentinel %s: master: %w", s, err)
		}
		if len(v) != 2 {
			return "", fmt.Errorf("sentinel %s: master: %q", s, v)
		}
		a := net.JoinHostPort(v[0], v[1])
		if master != "" && a != master {
			return "", fmt.Errorf("the sentinels disagree: %s and %s", master, a)
		}
		master = a
	}
	return master, nil
}

// slotNodes returns the master and replicas serving key's slot.
func (t *Topology) slotNodes(ctx context.Context, key string) (string, []string, error) {
	var lastErr error
	for _, n := range t.Nodes {
		slot, err := nodeDo(ctx, n, "CLUSTER", "KEYSLOT", key).Int64()
		if err != nil {
			lastErr = err
			continue
		}
		c := redis.NewClient(&redis.Options{Addr: n, Protocol: 2, MaxRetries: -1, DialTimeout: 500 * time.Millisecond})
		slots, err := c.ClusterSlots(ctx).Result() //nolint:staticcheck // CLUSTER SHARDS gives no slot ranges per node as simply
		_ = c.Close()
		if err != nil {
			lastErr = err
			continue
		}
		for _, s := range slots {
			if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
				var replicas []string
				for _, r := range s.Nodes[1:] {
					replicas = append(replicas, r.Addr)
				}
				return s.Nodes[0].Addr, replicas, nil
			}
		}
		lastErr = fmt.Errorf("node %s: no node serves slot %d", n, slot)
	}
	return "", nil, fmt.Errorf("cluster: slot of %q: %w", key, lastErr)
}

// waitWhole waits until every node answers and the topology is whole.
func (t *Topology) waitWhole(ctx context.Context) error {
	var err error
	for {
		if err = t.whole(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not whole after %v: %w", healthyTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (t *Topology) whole(ctx context.Context) error {
	for _, n := range t.Nodes {
		if err := t.pingNode(ctx, n); err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		info, err := nodeDo(ctx, n, "INFO", "replication").Text()
		if err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		if strings.Contains(info, "role:slave") && !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica %s: link to its master down", n)
		}
	}
	if t.Kind == "sentinel" {
		return t.sentinelWhole(ctx)
	}
	return t.clusterWhole(ctx)
}

// sentinelWhole: the sentinels agree on a master that is one, know each
// other, and see exactly one replica, up and linked.
func (t *Topology) sentinelWhole(ctx context.Context) error {
	master, err := t.sentinelMaster(ctx)
	if err != nil {
		return err
	}
	info, err := nodeDo(ctx, master, "INFO", "replication").Text()
	if err != nil {
		return fmt.Errorf("master %s: %w", master, err)
	}
	if !strings.Contains(info, "role:master") || !strings.Contains(info, "connected_slaves:1") {
		return fmt.Errorf("master %s: not a master with one replica", master)
	}
	for _, s := range t.Sentinels {
		m, err := nodeDo(ctx, s, "SENTINEL", "MASTER", SentinelMaster).StringSlice()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", s, err)
		}
		mm := pairs(m)
		if mm["flags"] != "master" || mm["num-other-sentinels"] != "2" {
			return fmt.Errorf("sentinel %s: master flags %q, %s other sentinels", s, mm["flags"], mm["num-other-sentinels"])
		}
		rs, err := nodeDo(ctx, s, "SENTINEL", "REPLICAS", SentinelMaster).Slice()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", s, err)
		}
		up := 0
		for _, r := range rs {
			fields, _ := r.([]any)
			var ss []string
			for _, f := range fields {
				v, _ := f.(string)
				ss = append(ss, v)
			}
			rm := pairs(ss)
			if rm["flags"] == "slave" && rm["master-link-status"] == "ok" {
				up++
			}
		}
		if up != 1 {
			return fmt.Errorf("sentinel %s: %d replicas up and linked, want 1", s, up)
		}
	}
	return nil
}

func pairs(s []string) map[string]string {
	m := make(map[string]string, len(s)/2)
	for i := 0; i+1 < len(s); i += 2 {
		m[s[i]] = s[i+1]
	}
	return m
}

// clusterWhole: every node sees the cluster ok, no node flagged failing,
// three masters with slots, each with a replica.
func (t *Topology) clusterWhole(ctx context.Context) error {
	for _, n := range t.Nodes {
		info, err := nodeDo(ctx, n, "CLUSTER", "INFO").Text()
		if err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return fmt.Errorf("node %s: cluster state not ok", n)
		}
		nodes, err := nodeDo(ctx, n, "CLUSTER", "NODES").Text()
		if err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
		masters, replicasOf := 0, map[string]int{}
		ids := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
			f := strings.Fields(line)
			if len(f) < 8 {
				continue
			}
			flags := strings.Split(f[2], ",")
			if slices.Contains(flags, "fail") || slices.Contains(flags, "fail?") || slices.Contains(flags, "handshake") || f[7] != "connected" {
				return fmt.Errorf("node %s sees %s as %s %s", n, f[1], f[2], f[7])
			}
			switch {
			case slices.Contains(flags, "master") && len(f) > 8:
				masters++
				ids[f[0]] = true
			case slices.Contains(flags, "slave"):
				replicasOf[f[3]]++
			}
		}
		if masters != 3 {
			return fmt.Errorf("node %s sees %d masters with slots, want 3", n, masters)
		}
		for id := range ids {
			if replicasOf[id] != 1 {
				return fmt.Errorf("node %s sees %d replicas of master %s, want 1", n, replicasOf[id], id)
			}
		}
	}
	return nil
}
