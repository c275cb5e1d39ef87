package resolver

import (
	"testing"
	"time"
)

// TestWithDefaults: zero takes the named default, -1 stays -1 (off, as
// database/sql reads it), and a value given is kept.
func TestWithDefaults(t *testing.T) {
	tests := []struct {
		name string
		in   int64 // set in every field
		want Config
	}{
		{"zero is the default", 0, Config{
			MaxPools: DefaultMaxPools, MaxConns: DefaultMaxConns, IdleTimeout: DefaultIdleTimeout,
			StmtCacheSize: DefaultStmtCacheSize,
			Template: Template{Pool: PoolSettings{
				MaxOpenConns: DefaultMaxOpenConns, MaxIdleConns: DefaultMaxIdleConns,
				ConnMaxLifetime: 0, ConnMaxIdleTime: DefaultConnMaxIdleTime,
			}},
		}},
		{"-1 is off", -1, Config{
			MaxPools: -1, MaxConns: -1, IdleTimeout: -1, StmtCacheSize: -1,
			Template: Template{Pool: PoolSettings{MaxOpenConns: -1, MaxIdleConns: -1, ConnMaxLifetime: -1, ConnMaxIdleTime: -1}},
		}},
		{"a value is kept", 7, Config{
			MaxPools: 7, MaxConns: 7, IdleTimeout: 7, StmtCacheSize: 7,
			Template: Template{Pool: PoolSettings{MaxOpenConns: 7, MaxIdleConns: 7, ConnMaxLifetime: 7, ConnMaxIdleTime: 7}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, d := int(tt.in), time.Duration(tt.in)
			c := Config{
				MaxPools: n, MaxConns: n, IdleTimeout: d, StmtCacheSize: n,
				Template: Template{Driver: "x", Pool: PoolSettings{MaxOpenConns: n, MaxIdleConns: n, ConnMaxLifetime: d, ConnMaxIdleTime: d}},
			}
			got, err := c.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			if got.MaxPools != tt.want.MaxPools || got.MaxConns != tt.want.MaxConns ||
				got.IdleTimeout != tt.want.IdleTimeout || got.StmtCacheSize != tt.want.StmtCacheSize ||
				got.Template.Pool != tt.want.Template.Pool {
				t.Fatalf("got %+v %+v, want %+v %+v", got, got.Template.Pool, tt.want, tt.want.Template.Pool)
			}
		})
	}
}
