package tenantfile

import (
	"errors"
	"strings"
	"testing"
)

// TestParseRefusesBadOptions: Parse returns the first bad option's error,
// naming it, without reading the file (a valid one here) and without
// wrapping ErrInvalid, which is about files.
func TestParseRefusesBadOptions(t *testing.T) {
	data := []byte(withDB(`{"name": "n"}`))
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"no driver", WithDrivers(), "tenantfile: WithDrivers(): no driver name"},
		{"empty driver", WithDrivers("postgres", ""), "tenantfile: WithDrivers: name 1 is empty"},
		{"empty service", WithService(""), `tenantfile: WithService(""): empty service name`},
		{"nil option", nil, "tenantfile: option 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(data, WithDrivers("sqlite"), tt.opt, WithService(""))
			if f != nil || err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse = %v, %v; want no file and an error containing %q", f, err, tt.want)
			}
		})
	}
	pg := []byte(withDB(`{"driver": "postgres", "name": "n"}`))
	if _, err := Parse(pg, WithDrivers("sqlite")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("postgres with WithDrivers(sqlite): %v, want ErrInvalid", err)
	}
	if _, err := Parse(pg, WithDrivers("sqlite"), WithDrivers("postgres")); err != nil {
		t.Fatalf("two WithDrivers: %v, want the drivers added", err)
	}
}
