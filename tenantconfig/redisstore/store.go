package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// Store is a tenantconfig.Store and tenantconfig.Watcher on Redis.
type Store struct {
	client       redis.UniversalClient
	service      string
	codec        Codec
	log          *slog.Logger
	pingInterval time.Duration // -1: never ping
	timeout      time.Duration // bounds reads without a deadline; -1: none
	// reload asks a Cluster client to reload its slot map; nil for other
	// clients.
	reload func(context.Context)

	configs, versions, revision, channel, mapping, probe string
	// sums (hash: tenant → Sum in hexadecimal) and digest ("<revision>
	// <hex>"): see digest.go. epoch: set by the first write (see
	// tenantconfig.Digest.Epoch).
	sums, digest, epoch string
}

// New returns the store of service on client, which may be a single
// node, Sentinel or Cluster client. A nil client, an empty service name
// or a bad option is refused with an error naming it.
func New(client redis.UniversalClient, service string, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("redisstore: nil client")
	}
	if service == "" {
		return nil, errors.New("redisstore: empty service name")
	}
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	s := &Store{client: client, service: service, codec: o.codec, log: o.logger, pingInterval: o.pingInterval, timeout: o.timeout}
	if r, ok := client.(reloader); ok {
		s.reload = r.ReloadState
	}
	s.keys(o.prefix)
	return s, nil
}

func (s *Store) keys(prefix string) {
	tag := "{" + prefix + ":" + s.service + "}"
	s.configs, s.versions, s.revision, s.channel = tag+":configs", tag+":versions", tag+":revision", tag+":changes"
	s.mapping, s.probe = tag+":mapping", tag+":probe"
	s.sums, s.digest, s.epoch = tag+":sums", tag+":digest", tag+":epoch"
}

// Service returns the service name.
func (s *Store) Service() string { return s.service }

// String names the store for messages, without credentials.
func (s *Store) String() string {
	return fmt.Sprintf("redis store %q (keys %s*)", s.service, s.configs[:len(s.configs)-len("configs")])
}

// List implements tenantconfig.Store. Like every read of the store, it
// runs in MULTI/EXEC, which clients send to the master even when they
// read from replicas.
func (s *Store) List(ctx context.Context) ([]string, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	var ids *redis.StringSliceCmd
	_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
		ids = p.HKeys(ctx, s.versions)
		return nil
	})
	if err != nil {
		return nil, s.failed(ctx, "list", err)
	}
	return ids.Val(), nil
}

// bounded bounds a read whose context has no deadline by the store's
// timeout (see WithTimeout).
func (s *Store) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || s.timeout < 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// Get implements tenantconfig.Store, reading from the master (in
// MULTI/EXEC).
func (s *Store) Get(ctx context.Context, id string) (tenantconfig.Record, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	var cfg, ver *redis.StringCmd
	_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
		cfg = p.HGet(ctx, s.configs, id)
		ver = p.HGet(ctx, s.versions, id)
		return nil
	})
	if errors.Is(err, redis.Nil) || errors.Is(cfg.Err(), redis.Nil) || errors.Is(ver.Err(), redis.Nil) {
		return tenantconfig.Record{}, &tenant.Error{ID: id, Err: tenant.ErrUnknown}
	}
	if err != nil {
		return tenantconfig.Record{}, s.failed(ctx, fmt.Sprintf("get %q", id), err)
	}
	return s.decode(id, cfg.Val(), ver.Val())
}

func (s *Store) decode(tenant, data, version string) (tenantconfig.Record, error) {
	v, err := strconv.ParseUint(version, 10, 64)
	if err != nil {
		return tenantconfig.Record{}, fmt.Errorf("redisstore: tenant %q: bad version: %w", tenant, err)
	}
	var c tenantconfig.Config
	if err := s.codec.Unmarshal([]byte(data), &c); err != nil {
		// The codec's error may quote the data: keep only that it failed.
		return tenantconfig.Record{}, fmt.Errorf("redisstore: tenant %q: config does not decode (%T)", tenant, err)
	}
	return tenantconfig.Record{Config: c, Version: v}, nil
}

// Snapshot implements tenantconfig.Store: both hashes are read in one
// MULTI/EXEC (on the master), so the configs and versions match.
func (s *Store) Snapshot(ctx context.Context) (map[string]tenantconfig.Record, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	var cfgs, vers *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
		cfgs = p.HGetAll(ctx, s.configs)
		vers = p.HGetAll(ctx, s.versions)
		return nil
	})
	if err != nil {
		return nil, s.failed(ctx, "snapshot", err)
	}
	out := make(map[string]tenantconfig.Record, len(cfgs.Val()))
	var errs []error
	var bad []string
	for id, data := range cfgs.Val() {
		r, err := s.decode(id, data, vers.Val()[id])
		if err != nil {
			errs = append(errs, err)
			bad = append(bad, id)
			continue
		}
		out[id] = r
	}
	if len(bad) > 0 {
		return out, &tenantconfig.UndecodableError{Tenants: bad, Err: errors.Join(errs...)}
	}
	return out, nil
}

// Revision implements tenantconfig.Reviser, reading from the master (in
// MULTI/EXEC): the last version given, 0 for a store that never gave one
// (or lost its data).
func (s *Store) Revision(ctx context.Context) (uint64, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	var rev *redis.StringCmd
	_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
		rev = p.Get(ctx, s.revision)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.failed(ctx, "revision", err)
	}
	v, err := rev.Uint64()
	if err != nil {
		return 0, fmt.Errorf("redisstore: revision: %w", err)
	}
	return v, nil
}

// apply checks every change, then applies them, gives each the next
// version and publishes it, all in one script: no reader sees half a
// change, and no change goes unannounced. It keeps each tenant's Sum
// (KEYS[4]) and, when the digest (KEYS[5]) is of the revision before
// this call, the digest: see digest.go. A store's first write sets its
// epoch (KEYS[6]), unless it has one: a new one (ARGV's last) when the
// store holds nothing, keptEpoch when it holds data.
var apply = redis.NewScript(`
local n = tonumber(ARGV[2])
local present, touched = {}, {}
for i = 0, n - 1 do
  local op, tenant, flag, want = ARGV[3 + i*5], ARGV[4 + i*5], ARGV[5 + i*5], ARGV[7 + i*5]
  local here = present[tenant]
  if here == nil then here = redis.call('HEXISTS', KEYS[2], tenant) == 1 end
  if flag == 'create' and here then return {'exists', i} end
  if flag == 'existing' and not here then return {'missing', i} end
  if want ~= '0' then
    if touched[tenant] or redis.call('HGET', KEYS[2], tenant) ~= want then return {'conflict', i} end
  end
  present[tenant] = (op == 'put')
  touched[tenant] = true
end
` + digestLua + `
local rev0 = redis.call('GET', KEYS[3])
if rev0 then
  redis.call('SET', KEYS[6], '` + keptEpoch + `', 'NX')
else
  redis.call('SET', KEYS[6], ARGV[3 + n*5], 'NX')
end
local d = digestOf(redis.call('GET', KEYS[5]), rev0 or '0')
if not d and not rev0 and redis.call('HLEN', KEYS[1]) == 0 then
  d = '` + zeroSum + `' -- a new store: its digest starts here
end
local versions = {}
for i = 0, n - 1 do
  local op, tenant, payload = ARGV[3 + i*5], ARGV[4 + i*5], ARGV[6 + i*5]
  local v = redis.call('INCR', KEYS[3])
  local vs = string.format('%d', v)
  local old = redis.call('HGET', KEYS[4], tenant)
  if d and old then d = xorHex(d, old) end
  if op == 'put' then
    local sum = recordSum(tenant, vs, payload)
    redis.call('HSET', KEYS[1], tenant, payload)
    redis.call('HSET', KEYS[2], tenant, vs)
    redis.call('HSET', KEYS[4], tenant, sum)
    if d then d = xorHex(d, sum) end
  else
    redis.call('HDEL', KEYS[1], tenant)
    redis.call('HDEL', KEYS[2], tenant)
    redis.call('HDEL', KEYS[4], tenant)
  end
  redis.call('PUBLISH', ARGV[1], cjson.encode({t = tenant, v = v, d = (op == 'delete')}))
  versions[#versions + 1] = v
end
if d then redis.call('SET', KEYS[5], redis.call('GET', KEYS[3]) .. ' ' .. d) end
return versions
`)

// Apply implements tenantconfig.Store.
func (s *Store) Apply(ctx context.Context, changes ...tenantconfig.Change) ([]uint64, error) {
	if err := tenantconfig.CheckChanges(changes); err != nil {
		return nil, err
	}
	args := []any{s.channel, len(changes)}
	for i, c := range changes {
		op, flag, payload := "put", "", []byte(nil)
		if c.Kind == tenantconfig.DeleteTenant {
			op = "delete"
		} else {
			var err error
			if payload, err = s.codec.Marshal(c.Config); err != nil {
				return nil, fmt.Errorf("redisstore: change %d: encode: %w", i, err)
			}
		}
		switch {
		case c.Create:
			flag = "create"
		case c.Existing:
			flag = "existing"
		}
		args = append(args, op, c.Tenant, flag, payload, strconv.FormatUint(c.IfVersion, 10))
	}
	args = append(args, newEpoch()) // the store's epoch, if this write is its first
	res, err := apply.Run(ctx, s.client, []string{s.configs, s.versions, s.revision, s.sums, s.digest, s.epoch}, args...).Slice()
	if err != nil {
		return nil, s.failed(ctx, "apply", err)
	}
	if len(res) == 2 {
		if kind, ok := res[0].(string); ok {
			i, _ := res[1].(int64)
			id := changes[i].Tenant
			switch kind {
			case "exists":
				return nil, &tenant.Error{ID: id, Err: tenantconfig.ErrExists}
			case "conflict":
				return nil, &tenant.Error{ID: id, Err: tenantconfig.ErrConflict}
			}
			return nil, &tenant.Error{ID: id, Err: tenant.ErrUnknown}
		}
	}
	versions := make([]uint64, len(res))
	for i, v := range res {
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("redisstore: apply: unexpected reply %T", v)
		}
		versions[i] = uint64(n)
	}
	return versions, nil
}

// maxQuoted is how much of a malformed announcement its error quotes.
const maxQuoted = 128

// message is what Apply publishes.
type message struct {
	Tenant  string `json:"t"`
	Version uint64 `json:"v"`
	Deleted bool   `json:"d"`
}

func parseMessage(payload string) (tenantconfig.Event, error) {
	var m message
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Tenant == "" || m.Version == 0 {
		quoted := payload
		if len(quoted) > maxQuoted {
			// Anyone who may PUBLISH can send a megabyte: keep the log
			// line short.
			quoted = quoted[:maxQuoted]
			return tenantconfig.Event{}, fmt.Errorf("redisstore: malformed announcement of %d bytes, starting %q", len(payload), quoted)
		}
		return tenantconfig.Event{}, fmt.Errorf("redisstore: malformed announcement %q", quoted)
	}
	return tenantconfig.Event{Tenant: m.Tenant, Version: m.Version, Deleted: m.Deleted}, nil
}

// Mapping implements tenantconfig.Mapper, reading from the master (in
// MULTI/EXEC).
func (s *Store) Mapping(ctx context.Context) (map[string]string, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	var m *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
		m = p.HGetAll(ctx, s.mapping)
		return nil
	})
	if err != nil {
		return nil, s.failed(ctx, "mapping", err)
	}
	return m.Val(), nil
}

// SetMapping implements tenantconfig.Mapper: the mapping is replaced in one
// MULTI/EXEC.
func (s *Store) SetMapping(ctx context.Context, m map[string]string) error {
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.mapping)
		if len(m) > 0 {
			p.HSet(ctx, s.mapping, m)
		}
		return nil
	})
	if err != nil {
		return s.failed(ctx, "set mapping", err)
	}
	return nil
}

var (
	_ tenantconfig.Reviser = (*Store)(nil)
	_ tenantconfig.Mapper  = (*Store)(nil)
	_ tenantconfig.Store   = (*Store)(nil)
	_ tenantconfig.Watcher = (*Store)(nil)
)
