package tenantsetup_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // to read the files directly
	"github.com/glebarez/sqlite"
	"github.com/go-chi/chi/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	tenantsetup "github.com/tenantrouter/tenantplugin/setup"
	"github.com/tenantrouter/tenantplugin/tenant"
)

type Patient struct {
	ID   uint
	Name string
}

type AuditLog struct {
	ID     uint
	Action string
}

const pragmas = "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openCentral opens the application's database: a SQLite file in dir.
func openCentral(t *testing.T, dir string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(sqlite.Open(filepath.Join(dir, "central.db")+pragmas), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// tenantFile writes a tenant config file of the service with one SQLite
// file per tenant in dir.
func tenantFile(t *testing.T, dir, service string, ids ...string) string {
	t.Helper()
	var entries []string
	for _, id := range ids {
		entries = append(entries, fmt.Sprintf(`%q: {%q: {"orm_config": {"gorm": {"default": {"name": %q}}}}}`,
			id, service, filepath.Join(dir, id+".db")))
	}
	path := filepath.Join(dir, "tenant_config.json")
	data := `{"tenant_config": {` + strings.Join(entries, ",") + `}}`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// count reads a table's row count straight from a SQLite file; a
// missing table counts -1.
func count(t *testing.T, file, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		return -1
	}
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// serve serves one request on host with a chi router that has the
// tenancy's middleware and h on /patients and /healthz.
func serve(tn *tenantsetup.Tenancy, h http.HandlerFunc, method, host, path string) (int, string) {
	r := chi.NewRouter()
	r.Use(tn.Middleware)
	r.Method(method, "/patients", h)
	r.Method(method, "/healthz", h)
	req := httptest.NewRequest(method, "http://"+host+path, nil)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

func TestOpenFromFile(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	tn, err := tenantsetup.Open(t.Context(), db,
		tenantsetup.WithSettings(tenantsetup.Settings{
			Tenants:  tenantFile(t, dir, "hospital", "tenant-1.localhost", "tenant-2.localhost"),
			Reserved: map[string][]string{"default": {"AuditLog"}},
			Bypass:   []string{"/healthz"},
		}),
		tenantsetup.Migrate(&Patient{}, &AuditLog{}),
		tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tn.Close(); err != nil {
			t.Error(err)
		}
	})
	// A handler as a single-tenant application writes it.
	add := func(w http.ResponseWriter, r *http.Request) {
		if err := db.WithContext(r.Context()).Create(&Patient{Name: "Ada"}).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if err := db.WithContext(r.Context()).Create(&AuditLog{Action: "added"}).Error; err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		id, _ := tenant.FromContext(r.Context())
		fmt.Fprint(w, id)
	}
	if code, body := serve(tn, add, http.MethodPost, "tenant-1.localhost", "/patients"); code != http.StatusOK || body != "tenant-1.localhost" {
		t.Fatalf("tenant-1: %d %s", code, body)
	}
	if code, body := serve(tn, add, http.MethodPost, "tenant-9.localhost", "/patients"); code != http.StatusNotFound {
		t.Fatalf("unknown tenant: %d %s", code, body)
	}
	if code, body := serve(tn, add, http.MethodPost, "tenant-9.localhost", "/healthz"); code != http.StatusInternalServerError || !strings.Contains(body, tenant.ErrMissing.Error()) {
		t.Fatalf("bypassed path: %d %s; want the handler run with no tenant, and its statement refused", code, body)
	}
	for _, c := range []struct {
		file, table string
		want        int
	}{
		{"tenant-1.localhost.db", "patients", 1},
		{"tenant-2.localhost.db", "patients", 0},
		{"central.db", "audit_logs", 1},
		{"central.db", "patients", -1},
		{"tenant-1.localhost.db", "audit_logs", -1},
		{"tenant-2.localhost.db", "audit_logs", -1},
	} {
		if got := count(t, filepath.Join(dir, c.file), c.table); got != c.want {
			t.Errorf("%s %s: %d rows, want %d (-1: no table)", c.file, c.table, got, c.want)
		}
	}
	if err := db.Find(&[]Patient{}).Error; !errors.Is(err, tenant.ErrMissing) {
		t.Errorf("a statement with no tenant: %v, want tenant.ErrMissing", err)
	}
}

func TestOpenSingleTenantOnOwnDatabase(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	tn, err := tenantsetup.Open(t.Context(), db,
		tenantsetup.WithSettings(tenantsetup.Settings{Tenants: "single:example.com"}),
		tenantsetup.Migrate(&Patient{}), tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	ctx := tenant.NewContext(t.Context(), "example.com")
	if err := db.WithContext(ctx).Create(&Patient{Name: "Ada"}).Error; err != nil {
		t.Fatal(err)
	}
	if got := count(t, filepath.Join(dir, "central.db"), "patients"); got != 1 {
		t.Fatalf("the application's database has %d patients, want the tenant's 1", got)
	}
	if got := tn.Resolver.Tenants(); len(got) != 1 || got[0] != "example.com" {
		t.Fatalf("tenants = %v", got)
	}
}

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	file := tenantFile(t, dir, "hospital", "tenant-1.localhost")
	twoServices := filepath.Join(dir, "two.json")
	if err := os.WriteFile(twoServices, []byte(`{"tenant_config": {"a": {"s1": {"orm_config": {"gorm": {"default": {"name": "a.db"}}}}, "s2": {"orm_config": {"gorm": {"default": {"name": "b.db"}}}}}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		s    tenantsetup.Settings
		want string
	}{
		"no tenants":         {tenantsetup.Settings{}, "TENANTPLUGIN_TENANTS is not set"},
		"redis no service":   {tenantsetup.Settings{Tenants: "redis://127.0.0.1:1/0"}, "TENANTPLUGIN_SERVICE is not set"},
		"bad redis url":      {tenantsetup.Settings{Tenants: "redis://:secret@127.0.0.1:notaport/0", Service: "s"}, "TENANTPLUGIN_TENANTS"},
		"single bad id":      {tenantsetup.Settings{Tenants: "single:"}, "TENANTPLUGIN_TENANTS"},
		"missing file":       {tenantsetup.Settings{Tenants: filepath.Join(dir, "nope.json")}, "no such file"},
		"two services":       {tenantsetup.Settings{Tenants: twoServices}, "has 2 services (s1, s2): name one"},
		"service not in it":  {tenantsetup.Settings{Tenants: file, Service: "billing"}, `no tenant for service "billing"`},
		"unknown alias":      {tenantsetup.Settings{Tenants: file, Reserved: map[string][]string{"central": {"plans"}}}, `unknown alias "central"`},
		"bad bypass pattern": {tenantsetup.Settings{Tenants: file, Bypass: []string{"healthz"}}, "TENANTPLUGIN_BYPASS"},
	} {
		t.Run(name, func(t *testing.T) {
			db := openCentral(t, t.TempDir())
			_, err := tenantsetup.Open(t.Context(), db, tenantsetup.WithSettings(tc.s), tenantsetup.WithLogger(quiet))
			if !errors.Is(err, tenantsetup.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v; want ErrConfig with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows a password: %v", err)
			}
			if _, ok := tenantplugin.PluginOf(db); ok {
				t.Fatal("the refused Open installed the plugin")
			}
			if err := db.Exec("CREATE TABLE still_single (id integer)").Error; err != nil {
				t.Fatalf("db changed by a refused Open: %v", err)
			}
		})
	}
}

func TestOpenRefusesDatabases(t *testing.T) {
	dir := t.TempDir()
	file := tenantFile(t, dir, "hospital", "tenant-1.localhost")
	s := tenantsetup.WithSettings(tenantsetup.Settings{Tenants: file})

	db := openCentral(t, dir)
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	onConn, err := gorm.Open(sqlite.Dialector{Conn: sqlDB}, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tenantsetup.Open(t.Context(), onConn, s, tenantsetup.WithLogger(quiet)); !errors.Is(err, tenantsetup.ErrConfig) || !strings.Contains(err.Error(), "opened on a connection") {
		t.Fatalf("Open on a connection: %v", err)
	}
	if _, err := tenantsetup.Open(t.Context(), nil, s); !errors.Is(err, tenantsetup.ErrConfig) {
		t.Fatalf("Open(nil): %v", err)
	}
	tn, err := tenantsetup.Open(t.Context(), db, s, tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer tn.Close()
	if _, err := tenantsetup.Open(t.Context(), db, s, tenantsetup.WithLogger(quiet)); !errors.Is(err, tenantsetup.ErrConfig) || !strings.Contains(err.Error(), "has the plugin already") {
		t.Fatalf("second Open: %v", err)
	}
	for name, opt := range map[string]tenantsetup.Option{
		"nil option":   nil,
		"nil logger":   tenantsetup.WithLogger(nil),
		"nil strategy": tenantsetup.WithStrategies(nil),
		"migrate none": tenantsetup.Migrate(),
		"migrate nil":  tenantsetup.Migrate(nil),
	} {
		if _, err := tenantsetup.Open(t.Context(), openCentral(t, t.TempDir()), s, opt); err == nil {
			t.Errorf("%s: Open accepted it", name)
		}
	}
}

func TestCloseTwice(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	tn, err := tenantsetup.Open(t.Context(), db, tenantsetup.WithSettings(tenantsetup.Settings{Tenants: "single:example.com"}), tenantsetup.WithLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tn.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(tenant.NewContext(context.Background(), "example.com"), time.Second)
	defer cancel()
	if err := db.WithContext(ctx).Exec("SELECT 1").Error; err == nil {
		t.Fatal("a statement after Close succeeded")
	}
}

// TestOpenCancelled: a context cancelled before Open returns makes it
// fail, close what it built and leave db as it was.
func TestOpenCancelled(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := tenantsetup.Open(ctx, db,
		tenantsetup.WithSettings(tenantsetup.Settings{Tenants: tenantFile(t, dir, "hospital", "tenant-1.localhost")}),
		tenantsetup.WithLogger(quiet))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open with a cancelled context: %v", err)
	}
	if _, ok := tenantplugin.PluginOf(db); ok {
		t.Fatal("the failed Open installed the plugin")
	}
	if err := db.Exec("CREATE TABLE still_single (id integer)").Error; err != nil {
		t.Fatalf("db changed by a failed Open: %v", err)
	}
}

// TestOpenWarnsOfMissingReservedTable: a reserved name that the central
// database has no table for (misspelt: Auditlog, audit_log) is logged
// at Open, naming the setting and the table; a table that exists is not.
func TestOpenWarnsOfMissingReservedTable(t *testing.T) {
	dir := t.TempDir()
	db := openCentral(t, dir)
	var logged bytes.Buffer
	tn, err := tenantsetup.Open(t.Context(), db,
		tenantsetup.WithSettings(tenantsetup.Settings{
			Tenants:  tenantFile(t, dir, "hospital", "tenant-1.localhost"),
			Reserved: map[string][]string{"default": {"AuditLog", "Auditlog", "audit_log", "patients"}},
		}),
		tenantsetup.Migrate(&Patient{}, &AuditLog{}),
		tenantsetup.WithLogger(slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tn.Close() })
	var warned []string
	for _, line := range strings.Split(strings.TrimSpace(logged.String()), "\n") {
		if strings.Contains(line, "reserved table is not in the central database") && strings.Contains(line, tenantsetup.EnvReserved) {
			_, table, _ := strings.Cut(line, "table=")
			warned = append(warned, table)
		}
	}
	slices.Sort(warned)
	if want := []string{"audit_log", "auditlogs"}; !slices.Equal(warned, want) {
		t.Fatalf("warned of %q; want the two misspelt names only\n%s", warned, logged.String())
	}
}
