package cacheaware

import "strings"

// keySpec says where a command's keys are, as Redis's COMMAND INFO
// does: positions count the command's arguments from its name (0). The
// keys run from first to last (negative: from the end, -1 being the last
// argument), one every step; when numkeys is set, the argument there
// gives a count of keys that follow it, after the range if there is
// one. Every command a [PrefixHook] lets through has a spec: the others
// are refused.
type keySpec struct {
	first, last, step int8
	numkeys           int8
	kind              cmdKind
}

// cmdKind is what a command needs beside its keys.
type cmdKind uint8

const (
	kindKeys      cmdKind = iota // keys only
	kindKeyless                  // no key, a tenant all the same (PING, MULTI...)
	kindHandshake                // the connection handshake: needs no tenant
	kindScan                     // SCAN: the MATCH pattern is the tenant's
	kindReplyKey                 // BLPOP, BRPOP: the reply names a key
	kindReplyZKey                // BZPOPMIN, BZPOPMAX: the reply names a key
	kindScript                   // EVAL and co: with AllowScripts only
)

// Shorthands of the table.
var (
	one      = keySpec{first: 1, last: 1, step: 1}
	two      = keySpec{first: 1, last: 2, step: 1}
	all      = keySpec{first: 1, last: -1, step: 1}
	pairs    = keySpec{first: 1, last: -1, step: 2}
	sub      = keySpec{first: 2, last: 2, step: 1} // CONTAINER SUBCOMMAND key
	counted1 = keySpec{numkeys: 1}
	keyless  = keySpec{kind: kindKeyless}
	hello    = keySpec{kind: kindHandshake}
)

// commands maps a command's name, lower-case, to its spec; a command
// with subcommands is looked up as "name|subcommand". The fixed key
// positions are Redis 7's (tested against COMMAND INFO). Commands that
// name other keys in their options (SORT ... BY/GET, GEORADIUS ...
// STORE, MIGRATE), read keys off their options (XREAD), or reach every
// key or other tenants (KEYS, RANDOMKEY, FLUSHDB, DBSIZE, PUBLISH,
// channels) are not here, hence refused.
var commands = map[string]keySpec{
	// strings and bitmaps
	"append": one, "decr": one, "decrby": one, "get": one, "getdel": one, "getex": one,
	"getrange": one, "getset": one, "incr": one, "incrby": one, "incrbyfloat": one,
	"psetex": one, "set": one, "setex": one, "setnx": one, "setrange": one, "strlen": one,
	"substr": one, "mget": all, "mset": pairs, "msetnx": pairs, "lcs": two,
	"bitcount": one, "bitfield": one, "bitfield_ro": one, "bitpos": one, "getbit": one,
	"setbit": one, "bitop": {first: 2, last: -1, step: 1},

	// keyspace
	"copy": two, "del": all, "dump": one, "exists": all, "expire": one, "expireat": one,
	"expiretime": one, "persist": one, "pexpire": one, "pexpireat": one,
	"pexpiretime": one, "pttl": one, "rename": two, "renamenx": two, "restore": one,
	"touch": all, "ttl": one, "type": one, "unlink": all,
	"object|encoding": sub, "object|freq": sub, "object|idletime": sub, "object|refcount": sub,
	"memory|usage": sub,

	// hashes
	"hdel": one, "hexists": one, "hget": one, "hgetall": one, "hincrby": one,
	"hincrbyfloat": one, "hkeys": one, "hlen": one, "hmget": one, "hmset": one,
	"hrandfield": one, "hscan": one, "hset": one, "hsetnx": one, "hstrlen": one, "hvals": one,

	// lists
	"blmove": two, "brpoplpush": two, "lindex": one, "linsert": one, "llen": one,
	"lmove": two, "lpop": one, "lpos": one, "lpush": one, "lpushx": one, "lrange": one,
	"lrem": one, "lset": one, "ltrim": one, "rpop": one, "rpoplpush": two, "rpush": one,
	"rpushx": one,
	"blpop":  {first: 1, last: -2, step: 1, kind: kindReplyKey},
	"brpop":  {first: 1, last: -2, step: 1, kind: kindReplyKey},

	// sets
	"sadd": one, "scard": one, "sdiff": all, "sdiffstore": all, "sinter": all,
	"sinterstore": all, "sismember": one, "smembers": one, "smismember": one, "smove": two,
	"spop": one, "srandmember": one, "srem": one, "sscan": one, "sunion": all,
	"sunionstore": all, "sintercard": counted1,

	// sorted sets
	"zadd": one, "zcard": one, "zcount": one, "zincrby": one, "zlexcount": one,
	"zmscore": one, "zpopmax": one, "zpopmin": one, "zrandmember": one, "zrange": one,
	"zrangebylex": one, "zrangebyscore": one, "zrangestore": two, "zrank": one, "zrem": one,
	"zremrangebylex": one, "zremrangebyrank": one, "zremrangebyscore": one,
	"zrevrange": one, "zrevrangebylex": one, "zrevrangebyscore": one, "zrevrank": one,
	"zscan": one, "zscore": one,
	"zdiff": counted1, "zinter": counted1, "zintercard": counted1, "zunion": counted1,
	"zdiffstore":  {first: 1, last: 1, step: 1, numkeys: 2},
	"zinterstore": {first: 1, last: 1, step: 1, numkeys: 2},
	"zunionstore": {first: 1, last: 1, step: 1, numkeys: 2},
	"bzpopmax":    {first: 1, last: -2, step: 1, kind: kindReplyZKey},
	"bzpopmin":    {first: 1, last: -2, step: 1, kind: kindReplyZKey},

	// HyperLogLog and geo
	"pfadd": one, "pfcount": all, "pfmerge": all,
	"geoadd": one, "geodist": one, "geohash": one, "geopos": one, "geosearch": one,
	"georadius_ro": one, "georadiusbymember_ro": one, "geosearchstore": two,

	// streams
	"xack": one, "xadd": one, "xautoclaim": one, "xclaim": one, "xdel": one, "xlen": one,
	"xpending": one, "xrange": one, "xrevrange": one, "xsetid": one, "xtrim": one,
	"xgroup|create": sub, "xgroup|createconsumer": sub, "xgroup|delconsumer": sub,
	"xgroup|destroy": sub, "xgroup|setid": sub,
	"xinfo|consumers": sub, "xinfo|groups": sub, "xinfo|stream": sub,

	// transactions and the connection
	"watch": all, "unwatch": keyless, "multi": keyless, "exec": keyless, "discard": keyless,
	"ping": keyless, "echo": keyless, "time": keyless, "readwrite": keyless, "asking": keyless,
	"hello": hello, "auth": hello, "select": hello, "readonly": hello,
	"client|setname": hello, "client|setinfo": hello, "client|maint_notifications": hello,

	// scans every key: the MATCH pattern is confined to the tenant
	"scan": {kind: kindScan},

	// scripts: their declared keys, with AllowScripts only
	"eval":          {numkeys: 2, kind: kindScript},
	"eval_ro":       {numkeys: 2, kind: kindScript},
	"evalsha":       {numkeys: 2, kind: kindScript},
	"evalsha_ro":    {numkeys: 2, kind: kindScript},
	"fcall":         {numkeys: 2, kind: kindScript},
	"fcall_ro":      {numkeys: 2, kind: kindScript},
	"script|load":   {kind: kindScript},
	"script|exists": {kind: kindScript},
}

// subSpec is the spec of one subcommand of a container command.
type subSpec struct {
	name string
	spec keySpec
}

// containers are the commands whose spec depends on their subcommand
// (OBJECT ENCODING key), built from the "name|subcommand" entries.
var containers = func() map[string][]subSpec {
	out := map[string][]subSpec{}
	for name, spec := range commands {
		if c, s, ok := strings.Cut(name, "|"); ok {
			out[c] = append(out[c], subSpec{s, spec})
		}
	}
	return out
}()

// lookup returns the spec of the command whose lower-case name is name
// and whose arguments are args, and whether it has one.
func lookup(name string, args []any) (keySpec, bool) {
	subs, ok := containers[name]
	if !ok {
		if strings.IndexByte(name, '|') >= 0 {
			return keySpec{}, false // "object|encoding" is no command name
		}
		spec, ok := commands[name]
		return spec, ok
	}
	if len(args) < 2 {
		return keySpec{}, false
	}
	arg, ok := args[1].(string)
	if !ok {
		return keySpec{}, false
	}
	for _, s := range subs {
		if strings.EqualFold(arg, s.name) {
			return s.spec, true
		}
	}
	return keySpec{}, false
}
