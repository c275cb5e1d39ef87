package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// The digest.
//
// Every tenant's Sum (tenantconfig.RecordSum: SHA-1 of the tenant, its
// version as the versions hash holds it and its encoded config, the
// first 16 bytes, in hexadecimal) is kept in the sums hash, and the XOR
// of all of them in the digest key, as "<revision> <hex>": the revision
// the digest is of. Apply updates both in its script, so that they
// change atomically with the configs; a store that lost writes on a
// failover holds the digest of what it kept, and when it gives a lost
// version again to other content, the Sum, and so the digest, differ
// from the lost one's.
//
// A digest whose revision is not the store's is stale: the store was
// written by a version of this package that kept no digest (or by one
// that did not know it). Apply then leaves it as it is (keeping the Sums
// of the tenants it changes), and Digest recomputes the Sums and the
// digest from the configs in one script (digestCompute), which runs
// alone in Redis like every script: no Apply runs meanwhile, so the
// digest it writes is exact. It reads the tenants 500 at a time (HKEYS,
// then HMGET), and blocks Redis while it runs (see doc.go for the
// figure). It runs once per store, then whenever an older writer changed
// the store.

// digestLua holds the functions the scripts share. XOR uses Redis's bit
// library, or a table of hexadecimal digits where there is none
// (miniredis).
const digestLua = `
local hexDigits = '0123456789abcdef'
local bitlib = rawget(_G, 'bit')
local nibbleXor
if not bitlib then
  nibbleXor = {}
  for a = 0, 15 do
    for b = 0, 15 do
      local x, r, p = 0, 0, 1
      local aa, bb = a, b
      for k = 1, 4 do
        if (aa % 2) ~= (bb % 2) then r = r + p end
        aa, bb, p = math.floor(aa / 2), math.floor(bb / 2), p * 2
      end
      nibbleXor[a * 16 + b] = string.sub(hexDigits, r + 1, r + 1)
    end
  end
end
local function xorHex(a, b)
  if bitlib then
    local out = {}
    for k = 0, 3 do
      local x = tonumber(string.sub(a, k*8 + 1, k*8 + 8), 16)
      local y = tonumber(string.sub(b, k*8 + 1, k*8 + 8), 16)
      out[k + 1] = bitlib.tohex(bitlib.bxor(x, y), 8)
    end
    return table.concat(out)
  end
  local out = {}
  for k = 1, 32 do
    out[k] = nibbleXor[tonumber(string.sub(a, k, k), 16) * 16 + tonumber(string.sub(b, k, k), 16)]
  end
  return table.concat(out)
end
local function recordSum(tenant, version, payload)
  return string.sub(redis.sha1hex(tenant .. '\n' .. version .. '\n' .. payload), 1, 32)
end
local function digestOf(value, rev)
  if not value then return nil end
  local r, h = string.match(value, '^(%d+) (%x+)$')
  if r ~= rev or not h or #h ~= 32 then return nil end
  return h
end
`

// zeroSum is the digest of no tenant.
const zeroSum = "00000000000000000000000000000000"

// digestCompute returns the digest ("<revision> <hex>") and the number
// of tenants; when the digest is missing or stale, it first recomputes
// every Sum and the digest from the configs. It returns the epoch too.
// KEYS: configs, versions, revision, sums, digest, epoch.
var digestCompute = redis.NewScript(digestLua + `
local rev = redis.call('GET', KEYS[3]) or '0'
local value = redis.call('GET', KEYS[5])
local count = redis.call('HLEN', KEYS[2])
local epoch = redis.call('GET', KEYS[6]) or ''
if digestOf(value, rev) then return {value, count, epoch} end
redis.call('DEL', KEYS[4])
local d = '` + zeroSum + `'
local w = {0, 0, 0, 0}
local ids = redis.call('HKEYS', KEYS[1])
local chunk = 500
for first = 1, #ids, chunk do
  local part = {unpack(ids, first, math.min(first + chunk - 1, #ids))}
  local cfgs = redis.call('HMGET', KEYS[1], unpack(part))
  local vers = redis.call('HMGET', KEYS[2], unpack(part))
  local args = {}
  for i = 1, #part do
    local sum = recordSum(part[i], vers[i] or '', cfgs[i])
    args[#args + 1] = part[i]
    args[#args + 1] = sum
    if bitlib then
      for k = 0, 3 do
        w[k + 1] = bitlib.bxor(w[k + 1], tonumber(string.sub(sum, k*8 + 1, k*8 + 8), 16))
      end
    else
      d = xorHex(d, sum)
    end
  end
  redis.call('HSET', KEYS[4], unpack(args))
end
if bitlib then
  d = bitlib.tohex(w[1], 8) .. bitlib.tohex(w[2], 8) .. bitlib.tohex(w[3], 8) .. bitlib.tohex(w[4], 8)
end
value = rev .. ' ' .. d
redis.call('SET', KEYS[5], value)
return {value, count, epoch}
`)

// Digest implements tenantconfig.Digester: a few bytes read (on the
// master, as scripts run), unless the digest must be computed (see
// above).
func (s *Store) Digest(ctx context.Context) (tenantconfig.Digest, error) {
	octx, cancel := s.bounded(ctx)
	defer cancel()
	res, err := digestCompute.Run(octx, s.client, []string{s.configs, s.versions, s.revision, s.sums, s.digest, s.epoch}).Slice()
	if err != nil {
		return tenantconfig.Digest{}, s.failed(ctx, "digest", err)
	}
	if len(res) != 3 {
		return tenantconfig.Digest{}, fmt.Errorf("redisstore: digest: unexpected reply of %d values", len(res))
	}
	value, _ := res[0].(string)
	count, _ := res[1].(int64)
	epoch, _ := res[2].(string)
	rev, hexSum, ok := strings.Cut(value, " ")
	if !ok {
		return tenantconfig.Digest{}, fmt.Errorf("redisstore: digest: unexpected reply %q", value)
	}
	r, err := strconv.ParseUint(rev, 10, 64)
	if err != nil {
		return tenantconfig.Digest{}, fmt.Errorf("redisstore: digest: revision: %w", err)
	}
	sum, err := tenantconfig.ParseSum(hexSum)
	if err != nil {
		return tenantconfig.Digest{}, fmt.Errorf("redisstore: digest: %w", err)
	}
	return tenantconfig.Digest{Sum: sum, Revision: r, Tenants: int(count), Epoch: epoch}, nil
}

// scanCount is the COUNT of each HSCAN, and the most tenants one HMGET
// reads.
const scanCount = 1000

// ScanSums implements tenantconfig.Digester with HSCAN of the sums hash,
// scanCount at a time, each in MULTI/EXEC (on the master). A store
// without a digest (written by an older version) has its Sums computed
// first (see Digest). An entry that is not a Sum (edited by hand) is
// logged and given as the zero Sum, which no record has: the reader then
// reads that record, and the other tenants' scan goes on.
func (s *Store) ScanSums(ctx context.Context, fn func(map[string]tenantconfig.Sum) error) error {
	if _, err := s.Digest(ctx); err != nil {
		return err
	}
	var cursor uint64
	for {
		var scan *redis.ScanCmd
		octx, cancel := s.bounded(ctx)
		_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
			scan = p.HScan(ctx, s.sums, cursor, "", scanCount)
			return nil
		})
		cancel()
		if err != nil {
			return s.failed(ctx, "scan", err)
		}
		kv, next := scan.Val()
		chunk := make(map[string]tenantconfig.Sum, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			sum, err := tenantconfig.ParseSum(kv[i+1])
			if err != nil {
				// Not written by Apply (edited by hand): give the zero
				// Sum, which no record has, so that the reader reads the
				// record itself rather than fail every tenant's scan.
				s.log.LogAttrs(ctx, slog.LevelWarn, "a tenant's Sum in the store is malformed, its record is read",
					slog.String("service", s.service), slog.String("tenant", kv[i]), slog.String("error", err.Error()))
				sum = tenantconfig.Sum{}
			}
			chunk[kv[i]] = sum
		}
		if len(chunk) > 0 {
			if err := fn(chunk); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// Records implements tenantconfig.Digester: ids are read scanCount at a
// time, each chunk with HMGET of the configs and the versions in one
// MULTI/EXEC (on the master). The Sums are computed from what is read.
func (s *Store) Records(ctx context.Context, ids []string) (map[string]tenantconfig.SummedRecord, error) {
	out := make(map[string]tenantconfig.SummedRecord, len(ids))
	var errs []error
	var bad []string
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), scanCount)]
		ids = ids[len(chunk):]
		var cfgs, vers *redis.SliceCmd
		octx, cancel := s.bounded(ctx)
		_, err := s.client.TxPipelined(octx, func(p redis.Pipeliner) error {
			cfgs = p.HMGet(ctx, s.configs, chunk...)
			vers = p.HMGet(ctx, s.versions, chunk...)
			return nil
		})
		cancel()
		if err != nil {
			return nil, s.failed(ctx, "read", err)
		}
		for i, id := range chunk {
			data, ok := cfgs.Val()[i].(string)
			if !ok {
				continue // not held
			}
			version, _ := vers.Val()[i].(string)
			r, err := s.decode(id, data, version)
			if err != nil {
				errs = append(errs, err)
				bad = append(bad, id)
				continue
			}
			out[id] = tenantconfig.SummedRecord{Record: r, Sum: tenantconfig.RecordSum(id, version, []byte(data))}
		}
	}
	if len(bad) > 0 {
		return out, &tenantconfig.UndecodableError{Tenants: bad, Err: errors.Join(errs...)}
	}
	return out, nil
}

var _ tenantconfig.Digester = (*Store)(nil)

// keptEpoch is the epoch of a store that held data when it was first
// written with an epoch: written by a version without it, or its epoch
// key deleted. Every copy of such a store gets this one, so that a
// failover to a replica that missed the epoch's creation (it holds the
// same data, less a few writes) is not taken for a store that lost all
// its data. A store that lost all its data has no revision: its next
// write gives it a new epoch.
const keptEpoch = "kept"

// newEpoch returns a new store's epoch: 16 random bytes in hexadecimal.
func newEpoch() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}
