package cacheaware

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// PrefixHook is a [redis.Hook] that confines a client to the tenant in
// each command's context: one Redis serves every tenant, and each
// tenant sees only its own keys. Application code calls Get, Set,
// pipelines and transactions as usual, with the tenant's context
// ([tenant.NewContext]); the hook puts the tenant's [Prefix] before
// every key on the way out, and takes it off the keys that replies name
// (SCAN, BLPOP, BZPOPMIN) on the way back. The command's arguments are
// given back as they were once it ran, so a command processed again (a
// SCAN iterator's next page) is prefixed once.
//
// It refuses, sending nothing (errors wrapping [ErrRefused]), every
// command whose keys it cannot confine: commands that reach every key
// or no tenant's (KEYS, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB,
// PUBLISH), that name keys in their options (SORT ... BY/GET,
// GEORADIUS ... STORE, MIGRATE, XREAD), SCAN without a MATCH pattern
// (give "*"), any command it does not know, and keys that are not
// strings or []byte. Without a valid tenant in the context it refuses
// every command but the connection handshake (HELLO, AUTH, SELECT,
// READONLY, CLIENT SETNAME/SETINFO) with an error wrapping
// [tenant.ErrMissing] or [tenant.ErrInvalidID]: no key ever goes out
// unprefixed.
//
// A pipeline runs as the tenant of the context given to Exec, and is
// refused as a whole if one of its commands is.
//
// What a hook cannot see: Subscribe and the other pub/sub calls do not
// go through hooks (channels are not prefixed: do not use the shared
// client for pub/sub), nor do the node clients of a ClusterClient or a
// Ring: those of ForEachMaster and ForEachShard, and the one their
// Watch runs its transaction on (the client [Caches.Client] hands out
// confines that Watch; a ClusterClient with the hook alone does not).
// Add the hook to a client of its own, once, and do not combine it with
// Key, which would prefix twice.
type PrefixHook struct {
	// AllowScripts lets EVAL, EVALSHA, FCALL (and their _RO forms),
	// SCRIPT LOAD and SCRIPT EXISTS through, their declared keys
	// prefixed. A script that makes up key names itself instead of
	// reading KEYS escapes the prefix: allow only scripts written for
	// this. Default: refused.
	AllowScripts bool
}

var _ redis.Hook = PrefixHook{}

// verifyKey marks a context whose commands already carry the tenant's
// prefix (Invalidate's): the hook checks that they do instead of adding
// it. Only this package makes such a context.
type verifyKey struct{}

// DialHook returns next: dialing needs no tenant.
func (PrefixHook) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook confines one command to the tenant in ctx.
func (h PrefixHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		s := h.scope(ctx)
		spec, err := s.check(cmd)
		if err != nil {
			cmd.SetErr(err)
			return err
		}
		if spec.kind == kindHandshake || s.verify {
			return next(ctx, cmd)
		}
		args := cmd.Args()
		var buf [8]any
		orig := buf[:0]
		if len(args) > len(buf) {
			orig = make([]any, 0, len(args))
		}
		orig = append(orig, args...)
		s.rewrite(args, spec)
		err = next(ctx, cmd)
		copy(args, orig)
		return s.unprefixReply(cmd, spec, err)
	}
}

// ProcessPipelineHook confines every command of a pipeline (or a
// MULTI/EXEC transaction) to the tenant in ctx, or refuses them all.
func (h PrefixHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		s := h.scope(ctx)
		specs := make([]keySpec, len(cmds))
		var err error
		for i, cmd := range cmds {
			if specs[i], err = s.check(cmd); err != nil {
				err = fmt.Errorf("pipeline command %d: %w", i, err)
				break
			}
		}
		if err != nil {
			for _, cmd := range cmds {
				cmd.SetErr(err)
			}
			return err
		}
		if s.verify {
			return next(ctx, cmds)
		}
		n := 0
		for _, cmd := range cmds {
			n += len(cmd.Args())
		}
		orig := make([]any, 0, n)
		for i, cmd := range cmds {
			args := cmd.Args()
			orig = append(orig, args...)
			if specs[i].kind != kindHandshake {
				s.rewrite(args, specs[i])
			}
		}
		err = next(ctx, cmds)
		for _, cmd := range cmds {
			args := cmd.Args()
			orig = orig[copy(args, orig):]
		}
		for i, cmd := range cmds {
			if rerr := s.unprefixReply(cmd, specs[i], nil); rerr != nil && err == nil {
				err = rerr
			}
		}
		return err
	}
}

// scope is what a hook works with for one context: the tenant's prefix,
// or the error that refuses every command but the handshake.
type scope struct {
	prefix  string
	err     error
	verify  bool // the keys must carry the prefix already
	scripts bool
}

func (h PrefixHook) scope(ctx context.Context) scope {
	p, err := Prefix(ctx)
	verify, _ := ctx.Value(verifyKey{}).(bool)
	return scope{prefix: p, err: err, verify: verify, scripts: h.AllowScripts}
}

// check returns cmd's spec, or why cmd is refused. It changes nothing.
func (s scope) check(cmd redis.Cmder) (keySpec, error) {
	name := cmd.Name()
	args := cmd.Args()
	spec, ok := lookup(name, args)
	if !ok {
		return spec, fmt.Errorf("%w: %s: not a command whose keys are known", ErrRefused, name)
	}
	if spec.kind == kindHandshake {
		return spec, nil
	}
	if s.err != nil {
		return spec, fmt.Errorf("cacheaware: %s: %w", name, s.err)
	}
	if spec.kind == kindScript && !s.scripts {
		return spec, fmt.Errorf("%w: %s: scripts are not allowed (PrefixHook.AllowScripts)", ErrRefused, name)
	}
	if spec.kind == kindScan {
		return spec, s.checkScan(name, cmd, args)
	}
	ranges, err := spec.keys(args)
	if err != nil {
		return spec, fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
	}
	for _, r := range ranges {
		for i := r.from; r.step > 0 && i <= r.to; i += r.step {
			key, ok := keyString(args[i])
			if !ok {
				return spec, fmt.Errorf("%w: %s: key at argument %d is a %T, not a string", ErrRefused, name, i, args[i])
			}
			if s.verify && !strings.HasPrefix(key, s.prefix) {
				return spec, fmt.Errorf("%w: %s: key at argument %d is not the tenant's", ErrRefused, name, i)
			}
		}
	}
	if !s.verify && !replyTypeKnown(cmd, spec.kind) {
		return spec, fmt.Errorf("%w: %s: its reply names keys, and a %T cannot be read", ErrRefused, name, cmd)
	}
	return spec, nil
}

// checkScan accepts a SCAN with exactly one MATCH pattern.
func (s scope) checkScan(name string, cmd redis.Cmder, args []any) error {
	i, err := matchIndex(args)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrRefused, name, err)
	}
	pattern, ok := keyString(args[i])
	if !ok {
		return fmt.Errorf("%w: %s: MATCH pattern is a %T, not a string", ErrRefused, name, args[i])
	}
	if s.verify && !strings.HasPrefix(pattern, escapeGlob(s.prefix)) {
		return fmt.Errorf("%w: %s: MATCH pattern is not the tenant's", ErrRefused, name)
	}
	if !s.verify && !replyTypeKnown(cmd, kindScan) {
		return fmt.Errorf("%w: %s: its reply names keys, and a %T cannot be read", ErrRefused, name, cmd)
	}
	return nil
}

// rewrite puts the prefix before the keys (or the MATCH pattern) of
// args, checked by check.
func (s scope) rewrite(args []any, spec keySpec) {
	if spec.kind == kindScan {
		i, _ := matchIndex(args)
		pattern, _ := keyString(args[i])
		args[i] = escapeGlob(s.prefix) + pattern
		return
	}
	ranges, _ := spec.keys(args)
	for _, r := range ranges {
		for i := r.from; r.step > 0 && i <= r.to; i += r.step {
			key, _ := keyString(args[i])
			args[i] = s.prefix + key
		}
	}
}

// keyString returns a key argument as a string, if it is one.
func keyString(arg any) (string, bool) {
	switch v := arg.(type) {
	case string:
		return v, true
	case []byte:
		return string(v), true
	}
	return "", false
}

// matchIndex returns the position of SCAN's MATCH pattern: the options
// after the cursor come in name, value pairs, and there must be one
// MATCH.
func matchIndex(args []any) (int, error) {
	at := 0
	for i := 2; i+1 < len(args); i += 2 {
		if name, ok := args[i].(string); ok && strings.EqualFold(name, "match") {
			if at != 0 {
				return 0, fmt.Errorf("more than one MATCH")
			}
			at = i + 1
		}
	}
	if at == 0 {
		return 0, fmt.Errorf("no MATCH pattern (give \"*\" to scan the tenant's keys)")
	}
	return at, nil
}

// escapeGlob escapes the characters of s that Redis's glob patterns
// (SCAN MATCH) give a meaning to.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]\^`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// span is the positions from, from+step, ... to (inclusive) of a
// command's arguments; step 0 is none.
type span struct{ from, to, step int }

// keys returns the positions of the keys in args, or why args do not
// have the keys the spec says.
func (k keySpec) keys(args []any) ([2]span, error) {
	var out [2]span
	if k.first > 0 {
		last := int(k.last)
		if last < 0 {
			last += len(args)
		}
		if int(k.first) >= len(args) || last >= len(args) || last < int(k.first) {
			return out, fmt.Errorf("wrong number of arguments (%d)", len(args)-1)
		}
		out[0] = span{int(k.first), last, int(k.step)}
	}
	if k.numkeys > 0 {
		at := int(k.numkeys)
		if at >= len(args) {
			return out, fmt.Errorf("no key count at argument %d", at)
		}
		n, ok := count(args[at])
		if !ok || n < 0 || at+n >= len(args) {
			return out, fmt.Errorf("bad key count %v at argument %d", args[at], at)
		}
		if n > 0 {
			out[1] = span{at + 1, at + n, 1}
		}
	}
	return out, nil
}

// count reads a key count argument.
func count(arg any) (int, bool) {
	switch v := arg.(type) {
	case int:
		return v, true
	case int64:
		return int(v), true
	case int32:
		return int(v), true
	case uint:
		return int(v), v <= 1<<31
	case uint64:
		return int(v), v <= 1<<31
	case string, []byte:
		s, _ := keyString(v)
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' || n > 1<<31 {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, s != ""
	}
	return 0, false
}
