package redisstore

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/optapply"
)

// The defaults of the options.
const (
	// DefaultPrefix is the key prefix when WithPrefix is not given.
	DefaultPrefix = "tenantplugin"
	// DefaultPingInterval is how often the watcher checks that
	// announcements still arrive when WithPingInterval is not given or
	// given 0.
	DefaultPingInterval = 500 * time.Millisecond
	// DefaultTimeout bounds each of the store's reads whose context has
	// no deadline when WithTimeout is not given or given 0.
	DefaultTimeout = 10 * time.Second
)

// Option configures a Store. Each option checks its own input; New
// returns the first option's error, naming the option.
type Option func(*options) error

// options are the settings New builds a Store from.
type options struct {
	prefix       string
	codec        Codec
	logger       *slog.Logger
	pingInterval time.Duration // -1: never ping
	timeout      time.Duration // -1: none
}

// WithPrefix sets the key prefix, which lets several applications share
// one Redis. Default: DefaultPrefix. It may be neither empty nor hold a
// brace, which would split a service's keys over Redis Cluster slots.
func WithPrefix(prefix string) Option {
	return func(o *options) error {
		if prefix == "" || strings.ContainsAny(prefix, "{}") {
			return fmt.Errorf("WithPrefix(%q): empty, or holds a brace", prefix)
		}
		o.prefix = prefix
		return nil
	}
}

// WithCodec sets how configs are encoded in Redis. Default: JSON. It may
// not be nil.
func WithCodec(c Codec) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithCodec(nil): nil codec")
		}
		o.codec = c
		return nil
	}
}

// WithPingInterval sets how often the watcher checks that announcements
// still arrive: it publishes a nonce through the client and subscribes on
// a new connection when the nonce has not come back one interval later
// (a half-open connection, or one left on a demoted master, answers or
// takes writes and delivers nothing). 0 means DefaultPingInterval; -1
// turns the checks off (the watcher then relies on the connection
// reporting its own loss). Any other negative is refused.
func WithPingInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 && d != -1 {
			return fmt.Errorf("WithPingInterval(%v): negative interval (0: the default, -1: no ping)", d)
		}
		o.pingInterval = d
		return nil
	}
}

// WithTimeout bounds each of the store's reads (Get, List, Snapshot,
// Revision, Mapping, Digest, and each step of ScanSums and Records) whose
// context has no deadline: a client that takes its deadlines from
// contexts (ContextTimeoutEnabled) with no ReadTimeout of its own would
// otherwise wait for good on a connection that stopped answering, and
// with it a Syncer, whose reads have no deadline. Clients that do not
// take deadlines from contexts keep their ReadTimeout. 0 means
// DefaultTimeout; -1 sets no bound. Any other negative is refused.
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 && d != -1 {
			return fmt.Errorf("WithTimeout(%v): negative timeout (0: the default, -1: none)", d)
		}
		o.timeout = d
		return nil
	}
}

// WithLogger sets the logger of the watcher. Default: slog.Default(). It
// may not be nil.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger(nil): nil logger")
		}
		o.logger = l
		return nil
	}
}

// newOptions applies opts, then the defaults, in this one place. It
// returns the first option's error.
func newOptions(opts []Option) (options, error) {
	var o options
	if err := optapply.Apply("redisstore", &o, opts); err != nil {
		return options{}, err
	}
	if o.prefix == "" {
		o.prefix = DefaultPrefix
	}
	if o.codec == nil {
		o.codec = JSON{}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.pingInterval == 0 {
		o.pingInterval = DefaultPingInterval
	}
	if o.timeout == 0 {
		o.timeout = DefaultTimeout
	}
	return o, nil
}
