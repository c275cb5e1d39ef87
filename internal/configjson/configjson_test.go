package configjson

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// stored is a config as the store's codec writes it.
const stored = `{"orm_config":{"gorm":{"default":{"host":"pg-3.internal","port":5433,"name":"tenant_000003",` +
	`"user":"user_000003","password":"pw-000003-xxxxxxxx","params":{"application_name":"app","search_path":"a,b"},` +
	`"replicas":[{"host":"r1"},{"dsn":"postgres://r2/x","driver":"postgres"}]},"audit":{"dsn":"file:a.db"}}},` +
	`"cache_config":{"default":{"url":"redis://c/1"}}}`

// TestDecode: what Decode reads it reads as encoding/json does, and
// what it does not read it leaves to encoding/json.
func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in   string
		read bool
	}{
		{stored, true},
		{`{}`, true},
		{` { "orm_config" : { } } ` + "\n", true},
		{`{"orm_config":{"gorm":{"default":{"name":"a","params":{},"replicas":[]}}}}`, true},
		{`{"orm_config":{"gorm":{"default":{"port":0}}}}`, true},
		{`{"orm_config":{"gorm":{"default":{"port":999999999}}}}`, true},
		{`{"cache_config":{"x":{}}}`, true},
		// Left to encoding/json.
		{``, false},
		{`null`, false},
		{`{"orm_config":null}`, false},
		{`{"ORM_CONFIG":{}}`, false},                 // matched without case
		{`{"orm_config":{},"orm_config":{}}`, false}, // given twice
		{`{"orm_config":{"gorm":{"default":{"host":"a","host":"b"}}}}`, false}, // given twice
		{`{"orm_config":{"gorm":{"default":{"host":"a\u0026b"}}}}`, false},     // escape
		{`{"orm_config":{"gorm":{"default":{"host":"é"}}}}`, false},            // not ASCII
		{`{"orm_config":{"gorm":{"default":{"port":-1}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"port":05}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"port":1.5}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"port":1e3}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"port":1234567890}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"Version":3}}}}`, false}, // unknown field
		{`{"orm_config":{"gorm":{"default":{"replicas":[{"replicas":[]}]}}}}`, false},
		{`{"orm_config":{"gorm":{"default":{"params":{"a":"1","a":"2"}}}}}`, false},
		{`{"orm_config":{}} x`, false},
		{`{"orm_config":{},}`, false},
		{`{"orm_config":{"gorm":{"default":{"name":"a"}}}`, false},
	} {
		var got tenantconfig.Config
		if read := Decode([]byte(tc.in), &got); read != tc.read {
			t.Errorf("Decode(%s) = %v, want %v", tc.in, read, tc.read)
			continue
		} else if !read {
			if !reflect.DeepEqual(got, tenantconfig.Config{}) {
				t.Errorf("Decode(%s) refused but changed c: %+v", tc.in, got)
			}
			continue
		}
		var want tenantconfig.Config
		if err := json.Unmarshal([]byte(tc.in), &want); err != nil {
			t.Errorf("Decode(%s) read what encoding/json refuses: %v", tc.in, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s) = %+v\nencoding/json: %+v", tc.in, got, want)
		}
	}
}

// TestDecodeOnlyZero: a Config that holds something is left to
// encoding/json, which merges into it.
func TestDecodeOnlyZero(t *testing.T) {
	c := tenantconfig.Config{Cache: map[string]tenantconfig.Cache{}}
	if Decode([]byte(`{}`), &c) {
		t.Fatal("decoded into a Config that holds a map")
	}
}

// FuzzDecode holds Decode to encoding/json: whatever it reads,
// encoding/json reads without error and to an equal Config.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(stored))
	f.Add([]byte(`{"orm_config":{"gorm":{"default":{"port":0,"params":{}}}}}`))
	f.Add([]byte(`{"cache_config":{"x":{"url":""}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got tenantconfig.Config
		if !Decode(data, &got) {
			if !reflect.DeepEqual(got, tenantconfig.Config{}) {
				t.Fatalf("refused but changed c: %+v", got)
			}
			return
		}
		var want tenantconfig.Config
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("read %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %+v, encoding/json %+v", data, got, want)
		}
	})
}

// BenchmarkDecode compares Decode with encoding/json on a stored config.
func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"orm_config":{"gorm":{"default":{"host":"pg-3.internal","name":"tenant_000003","user":"user_000003","password":"pw-000003-xxxxxxxx"}}}}`)
	b.Run("configjson", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c tenantconfig.Config
			if !Decode(data, &c) {
				b.Fatal("not read")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var c tenantconfig.Config
			if err := json.Unmarshal(data, &c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
