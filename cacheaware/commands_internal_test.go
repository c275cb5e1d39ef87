package cacheaware

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
)

// samples are invocations of the commands whose keys COMMAND INFO does
// not place (key counts, subcommands), as arguments from the name on.
var samples = map[string][]any{
	"object|encoding":       {"object", "encoding", "k1"},
	"object|freq":           {"object", "freq", "k1"},
	"object|idletime":       {"object", "idletime", "k1"},
	"object|refcount":       {"object", "refcount", "k1"},
	"memory|usage":          {"memory", "usage", "k1", "samples", "5"},
	"xgroup|create":         {"xgroup", "create", "k1", "g", "$", "mkstream"},
	"xgroup|createconsumer": {"xgroup", "createconsumer", "k1", "g", "c"},
	"xgroup|delconsumer":    {"xgroup", "delconsumer", "k1", "g", "c"},
	"xgroup|destroy":        {"xgroup", "destroy", "k1", "g"},
	"xgroup|setid":          {"xgroup", "setid", "k1", "g", "$"},
	"xinfo|consumers":       {"xinfo", "consumers", "k1", "g"},
	"xinfo|groups":          {"xinfo", "groups", "k1"},
	"xinfo|stream":          {"xinfo", "stream", "k1", "full"},
	"sintercard":            {"sintercard", 2, "k1", "k2", "limit", "1"},
	"zdiff":                 {"zdiff", 2, "k1", "k2", "withscores"},
	"zinter":                {"zinter", 3, "k1", "k2", "k3", "aggregate", "max"},
	"zintercard":            {"zintercard", 2, "k1", "k2"},
	"zunion":                {"zunion", 2, "k1", "k2", "weights", "1", "2"},
	"zdiffstore":            {"zdiffstore", "d", 2, "k1", "k2"},
	"zinterstore":           {"zinterstore", "d", 2, "k1", "k2", "aggregate", "max"},
	"zunionstore":           {"zunionstore", "d", 3, "k1", "k2", "k3"},
	"eval":                  {"eval", "return 1", 2, "k1", "k2", "a1"},
	"eval_ro":               {"eval_ro", "return 1", 1, "k1", "a1", "a2"},
	"evalsha":               {"evalsha", strings.Repeat("a", 40), 2, "k1", "k2"},
	"evalsha_ro":            {"evalsha_ro", strings.Repeat("a", 40), 0, "a1"},
	"fcall":                 {"fcall", "f", 2, "k1", "k2", "a1"},
	"fcall_ro":              {"fcall_ro", "f", 1, "k1"},
}

// TestKeySpecsMatchRedis checks the table against the Redis under test:
// a command with fixed key positions has Redis's (COMMAND INFO), is not
// one whose keys Redis finds in its options, and COMMAND GETKEYS finds
// the keys the spec finds in an invocation; a keyless entry names no
// key; every other entry has a sample whose keys GETKEYS agrees on.
func TestKeySpecsMatchRedis(t *testing.T) {
	opts, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	raw := redis.NewClient(opts)
	defer raw.Close()
	ctx := context.Background()
	info, err := raw.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for name, spec := range commands {
		t.Run(name, func(t *testing.T) {
			if sample, ok := samples[name]; ok {
				agree(t, raw, spec, sample)
				return
			}
			if strings.Contains(name, "|") || spec.numkeys > 0 {
				if spec.kind != kindHandshake && spec.kind != kindScript {
					t.Fatal("no sample of a command COMMAND INFO does not place the keys of")
				}
				return // no key
			}
			ci, ok := info[name]
			if !ok {
				t.Fatal("not a command of this Redis")
			}
			if slices.Contains(ci.Flags, "movablekeys") {
				t.Fatalf("Redis finds its keys in its options (movablekeys): a fixed spec misses some")
			}
			if spec.first == 0 {
				if ci.FirstKeyPos != 0 {
					t.Fatalf("listed as keyless; COMMAND INFO has a key at %d", ci.FirstKeyPos)
				}
				return
			}
			if ci.FirstKeyPos != spec.first || ci.LastKeyPos != spec.last || ci.StepCount != spec.step {
				t.Fatalf("keys %d..%d step %d; COMMAND INFO %d..%d step %d",
					spec.first, spec.last, spec.step, ci.FirstKeyPos, ci.LastKeyPos, ci.StepCount)
			}
			n := int(ci.Arity) - 1 // a positive arity is exact,
			if ci.Arity < 0 {      // a negative one a minimum
				n = max(int(-ci.Arity), 6) - 1
			}
			args := []any{name}
			for i := range n {
				args = append(args, fmt.Sprintf("x%d", i+1))
			}
			agree(t, raw, spec, args)
		})
	}
}

// agree checks that spec finds in args the keys COMMAND GETKEYS finds.
func agree(t *testing.T, raw *redis.Client, spec keySpec, args []any) {
	t.Helper()
	ctx := context.Background()
	want, err := raw.CommandGetKeys(ctx, args...).Result()
	if err != nil {
		t.Fatalf("COMMAND GETKEYS %v: %v", args, err)
	}
	ranges, err := spec.keys(args)
	if err != nil {
		t.Fatalf("the spec refuses %v: %v", args, err)
	}
	var got []string
	for _, r := range ranges {
		for i := r.from; r.step > 0 && i <= r.to; i += r.step {
			got = append(got, fmt.Sprint(args[i]))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("keys of %v: %v, COMMAND GETKEYS %v", args, got, want)
	}
}

// TestLookupSubcommands: a container command is looked up by its
// subcommand, in any case, and an unknown subcommand is not found.
func TestLookupSubcommands(t *testing.T) {
	tests := []struct {
		args []any
		ok   bool
	}{
		{[]any{"object", "ENCODING", "k"}, true},
		{[]any{"object", "help"}, false},
		{[]any{"object"}, false},
		{[]any{"object", 1}, false},
		{[]any{"client", "setname", "x"}, true},
		{[]any{"client", "kill", "x"}, false},
		{[]any{"object|encoding", "x", "k"}, false},
	}
	for _, tt := range tests {
		name := strings.ToLower(fmt.Sprint(tt.args[0]))
		if _, ok := lookup(name, tt.args); ok != tt.ok {
			t.Errorf("lookup(%v) = %v, want %v", tt.args, ok, tt.ok)
		}
	}
}
