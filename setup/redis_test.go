package tenantsetup_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // to read the databases directly
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/internal/testenv"
	tenantsetup "github.com/tenantrouter/tenantplugin/setup"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
	"github.com/tenantrouter/tenantplugin/tenantconfig/tenantsync"
)

// pgTenant is a tenant config naming a database of the template's
// server.
func pgTenant(name string) tenantconfig.Config {
	return tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
	}}
}

// rows counts a table's rows in a database of the test server.
func rows(t *testing.T, name, table string) int {
	t.Helper()
	db, err := sql.Open("pgx", testenv.DSN(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n
}

// eventually waits up to 5 s for ok.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOpenFollowsRedis: tenants from the Redis store on PostgreSQL, a
// tenant added and removed while the application runs.
func TestOpenFollowsRedis(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	names := testenv.Databases(t, 3) // central, tenant-1, tenant-2
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	service := fmt.Sprintf("setup-%d", time.Now().UnixNano())
	store, err := redisstore.New(client, service)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	put := func(id, name string) {
		t.Helper()
		if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: pgTenant(name)}); err != nil {
			t.Fatal(err)
		}
	}
	put("tenant-1.localhost", names[1])
	t.Cleanup(func() {
		_, _ = store.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "tenant-1.localhost"})
	})

	db, err := gorm.Open(postgres.Open(testenv.DSN(t, names[0])), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	tn, err := tenantsetup.Open(ctx, db,
		tenantsetup.WithSettings(tenantsetup.Settings{Tenants: redisURL, Service: service, Reserved: map[string][]string{"default": {"audit_logs"}}}),
		tenantsetup.Migrate(&Patient{}, &AuditLog{}), tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tn.Close(); err != nil {
			t.Error(err)
		}
	}()
	add := func(w http.ResponseWriter, r *http.Request) {
		if err := db.WithContext(r.Context()).Create(&Patient{Name: "Ada"}).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := db.WithContext(r.Context()).Create(&AuditLog{Action: "added"}).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
	if code, body := serve(tn, add, http.MethodPost, "tenant-1.localhost", "/patients"); code != http.StatusOK {
		t.Fatalf("tenant-1: %d %s", code, body)
	}

	// A tenant added while running: its database made and migrated by
	// whoever adds it (here, by hand), then published.
	admin, err := sql.Open("pgx", testenv.DSN(t, names[2]))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE TABLE patients (id bigserial PRIMARY KEY, name text)"); err != nil {
		t.Fatal(err)
	}
	put("tenant-2.localhost", names[2])
	probe := func(w http.ResponseWriter, r *http.Request) {
		var n int64
		if err := db.WithContext(r.Context()).Model(&Patient{}).Count(&n).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}
	eventually(t, "tenant-2 served", func() bool {
		code, _ := serve(tn, probe, http.MethodGet, "tenant-2.localhost", "/patients")
		return code == http.StatusOK
	})
	if code, body := serve(tn, add, http.MethodPost, "tenant-2.localhost", "/patients"); code != http.StatusOK {
		t.Fatalf("tenant-2: %d %s", code, body)
	}
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "tenant-2.localhost"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "tenant-2 refused", func() bool {
		code, _ := serve(tn, probe, http.MethodGet, "tenant-2.localhost", "/patients")
		return code == http.StatusNotFound
	})
	if got := [3]int{rows(t, names[1], "patients"), rows(t, names[2], "patients"), rows(t, names[0], "audit_logs")}; got != [3]int{1, 1, 2} {
		t.Fatalf("patients of tenant-1, tenant-2, central audit logs = %v, want [1 1 2]", got)
	}
	var central int
	if err := sqlDB.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_name = 'patients'").Scan(&central); err != nil || central != 0 {
		t.Fatalf("the central database has a patients table (%d, %v)", central, err)
	}
}

// TestOpenEmptyRedis: a Redis store with no tenant for the service is
// refused, naming the remedy, unless WithAllowEmpty; with it, the first
// tenant added while the application runs is served.
func TestOpenEmptyRedis(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	names := testenv.Databases(t, 2) // central, tenant-1
	service := fmt.Sprintf("setup-empty-%d", time.Now().UnixNano())
	ctx := t.Context()
	open := func(opts ...tenantsetup.Option) (*gorm.DB, *tenantsetup.Tenancy, error) {
		t.Helper()
		db, err := gorm.Open(postgres.Open(testenv.DSN(t, names[0])), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sqlDB.Close() })
		opts = append(opts, tenantsetup.WithSettings(tenantsetup.Settings{Tenants: redisURL, Service: service}), tenantsetup.WithLogger(quiet))
		tn, err := tenantsetup.Open(ctx, db, opts...)
		return db, tn, err
	}

	_, tn, err := open()
	if !errors.Is(err, tenantsync.ErrEmptyStore) || !strings.Contains(err.Error(), "tenantsetup.WithAllowEmpty") || tn != nil {
		t.Fatalf("Open on an empty store = %v, %v; want ErrEmptyStore naming tenantsetup.WithAllowEmpty", tn, err)
	}

	db, tn, err := open(tenantsetup.WithAllowEmpty())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := tn.Close(); err != nil {
			t.Error(err)
		}
	}()
	var n int64
	if err := db.WithContext(tenant.NewContext(ctx, "tenant-1.localhost")).Raw("SELECT 1").Scan(&n).Error; !errors.Is(err, tenant.ErrUnknown) {
		t.Fatalf("a query for a tenant not yet added = %v, want ErrUnknownTenant", err)
	}
	client, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(client)
	defer rc.Close()
	store, err := redisstore.New(rc, service)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "tenant-1.localhost", Config: pgTenant(names[1])}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = store.Apply(context.Background(), tenantconfig.Change{Kind: tenantconfig.DeleteTenant, Tenant: "tenant-1.localhost"})
	})
	eventually(t, "tenant-1 served", func() bool {
		return db.WithContext(tenant.NewContext(ctx, "tenant-1.localhost")).Raw("SELECT current_database()").Scan(new(string)).Error == nil
	})
	var got string
	if err := db.WithContext(tenant.NewContext(ctx, "tenant-1.localhost")).Raw("SELECT current_database()").Scan(&got).Error; err != nil || got != names[1] {
		t.Fatalf("tenant-1's database = %q, %v; want %q", got, err, names[1])
	}
}
