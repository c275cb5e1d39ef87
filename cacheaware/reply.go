package cacheaware

import (
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// replyTypeKnown reports whether the keys that cmd's reply names can be
// found in it: the hook refuses a command whose reply would hand out
// prefixed keys it cannot take the prefix off.
func replyTypeKnown(cmd redis.Cmder, kind cmdKind) bool {
	switch kind {
	case kindReplyKey:
		switch cmd.(type) {
		case *redis.StringSliceCmd, *redis.Cmd:
			return true
		}
		return false
	case kindReplyZKey:
		switch cmd.(type) {
		case *redis.ZWithKeyCmd, *redis.Cmd:
			return true
		}
		return false
	case kindScan:
		switch cmd.(type) {
		case *redis.ScanCmd, *redis.Cmd:
			return true
		}
		return false
	}
	return true
}

// unprefixReply takes the prefix off the keys cmd's reply names, and
// returns err, or an error if a key in the reply is not the tenant's
// (which Redis never sends, since every key asked for was).
func (s scope) unprefixReply(cmd redis.Cmder, spec keySpec, err error) error {
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	ok := true
	switch spec.kind {
	case kindReplyKey, kindReplyZKey:
		switch c := cmd.(type) {
		case *redis.StringSliceCmd:
			if v := c.Val(); len(v) > 0 {
				v[0], ok = strings.CutPrefix(v[0], s.prefix)
			}
		case *redis.ZWithKeyCmd:
			if z := c.Val(); z != nil {
				z.Key, ok = strings.CutPrefix(z.Key, s.prefix)
			}
		case *redis.Cmd:
			if v, isSlice := c.Val().([]any); isSlice && len(v) > 0 {
				v[0], ok = s.cut(v[0])
			}
		}
	case kindScan:
		switch c := cmd.(type) {
		case *redis.ScanCmd:
			keys, _ := c.Val()
			for i := range keys {
				if keys[i], ok = strings.CutPrefix(keys[i], s.prefix); !ok {
					break
				}
			}
		case *redis.Cmd:
			if v, isSlice := c.Val().([]any); isSlice && len(v) == 2 {
				keys, _ := v[1].([]any)
				for i := range keys {
					if keys[i], ok = s.cut(keys[i]); !ok {
						break
					}
				}
			}
		}
	default:
		return err
	}
	if !ok {
		rerr := fmt.Errorf("%w: %s: the reply names a key that is not the tenant's", ErrRefused, cmd.Name())
		cmd.SetErr(rerr)
		return rerr
	}
	return err
}

// cut takes the prefix off a key read into an interface value.
func (s scope) cut(v any) (any, bool) {
	str, isString := v.(string)
	if !isString {
		return v, false
	}
	return strings.CutPrefix(str, s.prefix)
}
