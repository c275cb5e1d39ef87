package tenantfile

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics; it returns a File or a *ValidationError,
// never both; a File it returns marshals to a file that parses to an
// equal File. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile("testdata/tenant_config.json"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(withDB(`{"host": "h", "port": 5.432e3, "params": {"a": ""}, "replicas": [{"dsn": "x"}]}`)))
	f.Add([]byte(withService(`{"orm_config": {"gorm": {"default": {"dsn": "x"}}}, "cache_config": {"default": {"url": "redis://:p@h/1"}}}`)))
	f.Add([]byte(withMapping(`{"A": "orm_config.gorm.default.port", "B": "cache_config.c.url"}`)))
	f.Add([]byte(withTenant("t\u00e9\u2028")))
	f.Add([]byte(`{"tenant_config": {"t": {"s": {"orm_config": {"o": {"a": {"name": "\ud800"}}}}}}}`))

	opts := [][]Option{nil, {WithDrivers("postgres", "sqlite"), WithService("hospital")}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range opts {
			file, err := Parse(data, o...)
			if err != nil {
				checkFuzzError(t, file, err)
				continue
			}
			if file == nil || file.Tenants == nil {
				t.Fatalf("Parse = %#v, nil error", file)
			}
			out, err := json.Marshal(file)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(out, o...)
			if err != nil {
				t.Fatalf("the marshalled file does not parse: %v\n%s", err, out)
			}
			if !reflect.DeepEqual(file, again) {
				t.Fatalf("round trip changed the file:\n%#v\n%#v", file, again)
			}
			for _, services := range file.Tenants {
				for _, sc := range services {
					_ = Redact(sc)
					if _, err := Deploy(file.MappingMetadata, sc, nil); err != nil {
						t.Fatalf("Deploy without values refuses a parsed config: %v", err)
					}
				}
			}
			for name := range file.Tenants {
				for svc := range file.Tenants[name] {
					if d := Diff(file.Service(svc), again.Service(svc)); len(d) != 0 {
						t.Fatalf("Diff of equal files: %v", d)
					}
				}
			}
		}
	})
}

func checkFuzzError(t *testing.T, file *File, err error) {
	t.Helper()
	if file != nil {
		t.Fatalf("a File with an error: %v", err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) || len(ve.Problems) == 0 {
		t.Fatalf("err = %#v", err)
	}
	for _, p := range ve.Problems {
		if !strings.HasPrefix(p.Path, "$") || p.Message == "" {
			t.Fatalf("bad problem %#v", p)
		}
	}
}

// TestFuzzSeeds: the committed seeds are the valid file and one of each
// kind of error.
func TestFuzzSeeds(t *testing.T) {
	dir := "testdata/fuzz/FuzzParse"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 8 {
		t.Fatalf("%d seeds, want at least 8", len(entries))
	}
	for _, e := range entries {
		raw, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(string(raw), "go test fuzz v1\n[]byte(")
		body, ok2 := strings.CutSuffix(body, ")\n")
		if !ok || !ok2 {
			t.Fatalf("%s: not a fuzz seed", e.Name())
		}
		data, err := strconv.Unquote(body)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, err = Parse([]byte(data), WithDrivers("postgres", "sqlite"), WithService("hospital"))
		if (err == nil) != (e.Name() == "valid") {
			t.Errorf("%s: Parse: %v", e.Name(), err)
		}
	}
}
