package redisurl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tenantrouter/tenantplugin/internal/redisurl"
)

func TestForms(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		o, err := redisurl.Parse("redis://user:pw@127.0.0.1:6380/3?dial_timeout=2s")
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != redisurl.Single || o.Single == nil || o.Failover != nil || o.Cluster != nil {
			t.Fatalf("kind %v: %+v", o.Kind, o)
		}
		if o.Single.Addr != "127.0.0.1:6380" || o.Single.DB != 3 || o.Single.Username != "user" || o.Single.Password != "pw" || o.Single.DialTimeout.Seconds() != 2 {
			t.Errorf("options %+v", o.Single)
		}
	})
	t.Run("single tls", func(t *testing.T) {
		o, err := redisurl.Parse("rediss://h.example:6380/0")
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != redisurl.Single || o.Single.TLSConfig == nil || o.Single.TLSConfig.ServerName != "h.example" {
			t.Errorf("options %+v", o.Single)
		}
	})
	t.Run("sentinel", func(t *testing.T) {
		o, err := redisurl.Parse("redis://:spw@127.0.0.1:26379/2?master_name=main&addr=127.0.0.1:26380&addr=127.0.0.1:26381&password=mpw")
		if err != nil {
			t.Fatal(err)
		}
		f := o.Failover
		if o.Kind != redisurl.Sentinel || f == nil || o.Single != nil || o.Cluster != nil {
			t.Fatalf("kind %v: %+v", o.Kind, o)
		}
		if f.MasterName != "main" || f.SentinelPassword != "spw" || f.Password != "mpw" || f.DB != 2 ||
			strings.Join(f.SentinelAddrs, ",") != "127.0.0.1:26379,127.0.0.1:26380,127.0.0.1:26381" {
			t.Errorf("options %+v", f)
		}
	})
	t.Run("cluster", func(t *testing.T) {
		o, err := redisurl.Parse("redis://:pw@127.0.0.1:7000?addr=127.0.0.1:7001&addr=127.0.0.1:7002&read_timeout=1s")
		if err != nil {
			t.Fatal(err)
		}
		c := o.Cluster
		if o.Kind != redisurl.Cluster || c == nil || o.Single != nil || o.Failover != nil {
			t.Fatalf("kind %v: %+v", o.Kind, o)
		}
		if c.Password != "pw" || c.ReadTimeout.Seconds() != 1 || strings.Join(c.Addrs, ",") != "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002" {
			t.Errorf("options %+v", c)
		}
	})
	for raw, want := range map[string]redisurl.Kind{
		"redis://127.0.0.1:6379":                               redisurl.Single,
		"redis://127.0.0.1:26379?master_name=m":                redisurl.Sentinel,
		"redis://127.0.0.1:7000/0?addr=127.0.0.1:7000":         redisurl.Cluster,
		"rediss://127.0.0.1:7000?addr=127.0.0.1:7001":          redisurl.Cluster,
		"rediss://127.0.0.1:26379?master_name=m&skip_verify=1": redisurl.Sentinel,
	} {
		c, err := redisurl.NewClient(raw)
		if err != nil {
			t.Errorf("%s: %v", raw, err)
			continue
		}
		o, _ := redisurl.Parse(raw)
		if o.Kind != want {
			t.Errorf("%s: kind %v, want %v", raw, o.Kind, want)
		}
		if err := c.Close(); err != nil {
			t.Errorf("%s: close: %v", raw, err)
		}
	}
}

// TestBadURLs: each refusal names its reason, wraps ErrBadURL and never
// holds a password of the URL, in any of its forms.
func TestBadURLs(t *testing.T) {
	const pw = "Sekr3t-pw_9"
	const spw = "Sentinel-pw_7"
	for _, tt := range []struct{ url, reason string }{
		{"http://:" + pw + "@127.0.0.1:6379/0", `scheme "http"`},
		{"redis://:" + pw + "@[::1/0", "missing ']'"},
		{"redis://:" + pw + "@127.0.0.1:99999999/0", "invalid port"},
		{"redis://:" + pw + "@127.0.0.1:7000?addr=127.0.0.1:0", "invalid port"},
		{"redis://:" + pw + "@127.0.0.1:6379/x", "invalid database number"},
		{"redis://:" + pw + "@127.0.0.1:6379/0?frobnicate=1", "unexpected option: frobnicate"},
		{"redis://:" + pw + "@127.0.0.1:6379/0?dial_timeout=" + pw, "invalid dial_timeout"},
		{"redis://:" + pw + "@/0", "no host"},
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=", "empty master_name"},
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=m&password=" + pw + "&frob=" + pw, "unexpected option: frob"},
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=m&password=" + pw + "&addr=" + pw, "unable to parse addr param"},
		{"redis://:" + spw + "@127.0.0.1:26379/0?master_name=m&password=" + pw + "&read_timeout=" + pw, "invalid read_timeout"},
		{"redis://:" + spw + "@127.0.0.1:26379/x?master_name=m&password=" + pw, "invalid database number"},
		{"redis://:" + pw + "@127.0.0.1:7000?addr=" + pw, "unable to parse addr param"},
		{"redis://:" + pw + "@127.0.0.1:7000/1?addr=127.0.0.1:7001", "a cluster has database 0 only"},
		{"redis://:" + pw + "@127.0.0.1:7000?addr=127.0.0.1:7001&master=" + pw, "unexpected option: master"},
		{"redis://:" + url(pw) + "@127.0.0.1:7000?addr=127.0.0.1:7001&pool_size=" + url(pw), "invalid pool_size"},
	} {
		_, err := redisurl.Parse(tt.url)
		if err == nil {
			t.Errorf("%s: accepted", tt.url)
			continue
		}
		if !errors.Is(err, redisurl.ErrBadURL) {
			t.Errorf("%s: %v does not wrap ErrBadURL", tt.url, err)
		}
		if !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: %q does not say %q", tt.url, err, tt.reason)
		}
		for _, secret := range []string{pw, spw, url(pw)} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: the password leaks: %q", tt.url, err)
			}
		}
		if _, err2 := redisurl.NewClient(tt.url); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("%s: NewClient: %v, want %v", tt.url, err2, err)
		}
	}
}

// url returns s with characters a URL escapes.
func url(s string) string { return strings.ReplaceAll(s, "-", "%2D") }

func TestKindString(t *testing.T) {
	for k, want := range map[redisurl.Kind]string{redisurl.Single: "single", redisurl.Sentinel: "sentinel", redisurl.Cluster: "cluster", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("%d: %q, want %q", int(k), got, want)
		}
	}
}
