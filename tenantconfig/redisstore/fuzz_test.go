package redisstore

import (
	"reflect"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// FuzzCodec: whatever the bytes, decoding never panics, and what decodes
// encodes and decodes again to the same config.
func FuzzCodec(f *testing.F) {
	f.Add([]byte(`{"orm_config":{"gorm":{"default":{"driver":"postgres","dsn":"postgres://u:p@h/db","replicas":[{"host":"r"}]}}},"cache_config":{"default":{"url":"redis://h/1"}}}`))
	f.Add([]byte(`{"orm_config":{"gorm":{"default":{"host":"h","port":5432,"params":{"a":"b"}}}}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"orm_config":{"gorm":{"default":{"port":"x"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c tenantconfig.Config
		if err := (JSON{}).Unmarshal(data, &c); err != nil {
			return
		}
		enc, err := (JSON{}).Marshal(c)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var again tenantconfig.Config
		if err := (JSON{}).Unmarshal(enc, &again); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(normal(c), normal(again)) {
			t.Fatalf("round trip changed the config:\n%#v\n%#v", c, again)
		}
	})
}

// normal drops the difference between nil and empty maps and lists,
// which JSON does not keep.
func normal(c tenantconfig.Config) tenantconfig.Config {
	enc, _ := (JSON{}).Marshal(c)
	var out tenantconfig.Config
	_ = (JSON{}).Unmarshal(enc, &out)
	return out
}

// FuzzParseMessage: announcements from the channel never panic, and
// accepted ones name a tenant and a version.
func FuzzParseMessage(f *testing.F) {
	f.Add(`{"t":"acme","v":12,"d":false}`)
	f.Add(`{"t":"acme","v":13,"d":true}`)
	f.Add(`{"t":"","v":1}`)
	f.Add(`not json`)
	f.Add(`{"t":"a","v":-1}`)
	f.Fuzz(func(t *testing.T, payload string) {
		e, err := parseMessage(payload)
		if err == nil && (e.Tenant == "" || e.Version == 0) {
			t.Fatalf("accepted %q as %+v", payload, e)
		}
	})
}
