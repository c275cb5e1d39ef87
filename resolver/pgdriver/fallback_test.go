package pgdriver_test

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
	"time"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// TestTenantHostKeepsPlainFallback: libpq's default sslmode (prefer)
// tries TLS, then plain text. A tenant that gives its own host keeps
// that second attempt, on its own host.
func TestTenantHostKeepsPlainFallback(t *testing.T) {
	cc, err := pgdriver.ConnConfig("postgres://app@db1:5432/central", tenantconfig.DataSource{Host: "db2", Name: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if cc.Host != "db2" || cc.TLSConfig == nil {
		t.Fatalf("first attempt: host %s, TLS %v", cc.Host, cc.TLSConfig != nil)
	}
	plain := false
	for _, f := range cc.Fallbacks {
		if f.Host != "db2" {
			t.Errorf("a fallback on %s:%d, not the tenant's host", f.Host, f.Port)
		}
		plain = plain || f.TLSConfig == nil
	}
	if !plain {
		t.Fatalf("no plain-text fallback on the tenant's host: %d fallbacks", len(cc.Fallbacks))
	}
	if cc.TLSConfig.ServerName != "db2" {
		t.Errorf("TLS server name %q, want the tenant's host", cc.TLSConfig.ServerName)
	}
	// The template, parsed once, is left as it was.
	other, err := pgdriver.ConnConfig("postgres://app@db1:5432/central", tenantconfig.DataSource{Name: "t2"})
	if err != nil {
		t.Fatal(err)
	}
	if other.Host != "db1" || other.TLSConfig.ServerName != "db1" {
		t.Errorf("a tenant without a host of its own: %s, TLS server name %q", other.Host, other.TLSConfig.ServerName)
	}
}

// TestTenantHostConnectsWithoutTLS: against a server without TLS, a
// tenant given as a host over a template with the default sslmode
// connects (plain text, after TLS is refused).
func TestTenantHostConnectsWithoutTLS(t *testing.T) {
	u, err := url.Parse(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("sslmode") // libpq's default: prefer
	u.RawQuery = q.Encode()
	host := u.Hostname()
	u.Host = "db-unused:" + u.Port() // the template's host is not the tenant's
	conn, err := pgdriver.New().Connector(u.String(), tenantconfig.DataSource{Host: host, Name: "postgres"})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("tenant on %s: %v", host, err)
	}
}
