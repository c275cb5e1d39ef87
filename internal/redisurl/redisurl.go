// Package redisurl turns a Redis URL into a go-redis client of the right
// kind: one node, a Sentinel-managed master, or a Cluster. It accepts
// go-redis's own URL forms:
//
//	redis://[[user]:password@]host:port[/db][?option=value...]    one node (rediss: TLS)
//	redis://[[user]:sentinel-password@]sentinel:port[/db]?master_name=NAME[&addr=sentinel2:port...][&password=PASSWORD]
//	                                                               Sentinel (go-redis's failover URL)
//	redis://[[user]:password@]node:port?addr=node2:port[&addr=...]  Cluster (seed nodes)
//
// A URL with master_name is a Sentinel URL; otherwise a URL with at
// least one addr parameter is a Cluster URL (a cluster with one seed
// repeats it: redis://h:p?addr=h:p). The options are go-redis's
// (redis.ParseURL, redis.ParseFailoverURL, redis.ParseClusterURL).
//
// Errors say why a URL was refused and never hold a password of it.
package redisurl

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ErrBadURL is wrapped by every error of Parse.
var ErrBadURL = errors.New("redisurl: bad Redis URL")

// Kind is the kind of Redis deployment a URL names.
type Kind int

// The kinds of URL.
const (
	Single   Kind = iota + 1 // one node (a master or a replica)
	Sentinel                 // a master found through Sentinel
	Cluster                  // a Redis Cluster
)

// String returns "single", "sentinel" or "cluster".
func (k Kind) String() string {
	switch k {
	case Single:
		return "single"
	case Sentinel:
		return "sentinel"
	case Cluster:
		return "cluster"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Options are a parsed URL: Kind and the go-redis options of that kind
// (the others are nil). The caller may change them before NewClient.
type Options struct {
	Kind     Kind
	Single   *redis.Options
	Failover *redis.FailoverOptions
	Cluster  *redis.ClusterOptions
}

// Parse parses a Redis URL of one of the package's forms. Its errors
// wrap ErrBadURL, give the reason and hold no password of the URL.
func Parse(raw string) (Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL
		}
		return Options{}, badURL(err.Error(), nil)
	}
	secrets := passwords(u)
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return Options{}, badURL(fmt.Sprintf("scheme %q: want redis or rediss", u.Scheme), secrets)
	}
	if u.Host == "" {
		return Options{}, badURL("no host", secrets)
	}
	q := u.Query()
	if err := checkPorts(u.Port(), q["addr"]); err != nil {
		return Options{}, badURL(err.Error(), secrets)
	}
	switch {
	case q.Has("master_name"):
		if q.Get("master_name") == "" {
			return Options{}, badURL("empty master_name", secrets)
		}
		o, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return Options{}, badURL(err.Error(), secrets)
		}
		return Options{Kind: Sentinel, Failover: o}, nil
	case q.Has("addr"):
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return Options{}, badURL(fmt.Sprintf("database %q: a cluster has database 0 only", p), secrets)
		}
		o, err := redis.ParseClusterURL(raw)
		if err != nil {
			return Options{}, badURL(err.Error(), secrets)
		}
		return Options{Kind: Cluster, Cluster: o}, nil
	}
	o, err := redis.ParseURL(raw)
	if err != nil {
		return Options{}, badURL(err.Error(), secrets)
	}
	return Options{Kind: Single, Single: o}, nil
}

// NewClient returns a client of o's kind. The caller closes it.
func (o Options) NewClient() redis.UniversalClient {
	switch o.Kind {
	case Sentinel:
		return redis.NewFailoverClient(o.Failover)
	case Cluster:
		return redis.NewClusterClient(o.Cluster)
	}
	return redis.NewClient(o.Single)
}

// NewClient parses raw and returns a client of its kind. The caller
// closes it.
func NewClient(raw string) (redis.UniversalClient, error) {
	o, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	return o.NewClient(), nil
}

// checkPorts refuses a port out of range (net/url checks only that it
// is made of digits), of the host or of an addr parameter.
func checkPorts(port string, addrs []string) error {
	ports := []string{port}
	for _, a := range addrs {
		if _, p, err := net.SplitHostPort(a); err == nil {
			ports = append(ports, p)
		}
	}
	for _, p := range ports {
		if p == "" {
			continue
		}
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("invalid port %q", p)
		}
	}
	return nil
}

// passwords returns the passwords a URL holds: its user's, and the
// password and sentinel_password parameters.
func passwords(u *url.URL) []string {
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p)
	}
	for _, k := range []string{"password", "sentinel_password"} {
		for _, v := range u.Query()[k] {
			if v != "" {
				out = append(out, v)
			}
		}
	}
	// The escaped forms too: go-redis may quote the raw query.
	for _, s := range out {
		if e := url.QueryEscape(s); e != s {
			out = append(out, e)
		}
		if e := url.PathEscape(s); e != s {
			out = append(out, e)
		}
	}
	return out
}

func badURL(reason string, secrets []string) error {
	for _, s := range secrets {
		reason = strings.ReplaceAll(reason, s, "xxxxx")
	}
	return fmt.Errorf("%w: %s", ErrBadURL, reason)
}
