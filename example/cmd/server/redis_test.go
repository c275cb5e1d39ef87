package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/cacheaware"
	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// TestRedisMode runs the server in the Redis mode, in process, on a
// service of a random name: the store's tenant is served from its
// PostgreSQL database, its hospitals list is cached under its own keys,
// a posted patient is enqueued on the service's asynq queue for that
// tenant, an unknown host gets 404, and the server shuts down cleanly
// (goleak checks what it started).
func TestRedisMode(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	names := testenv.Databases(t, 2)
	rdb, service := testenv.RedisService(t, "server-test-")
	const id = "tenant-1.localhost"
	ctx := t.Context()

	store, err := redisstore.New(rdb, service)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: names[1]}}},
	}}
	if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	// The tenant's database as tenantctl create leaves it.
	tdb, err := gorm.Open(postgres.Open(testenv.DSN(t, names[1])), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := tdb.AutoMigrate(hospital.TenantModels()...); err != nil {
		t.Fatal(err)
	}
	if err := tdb.Create(&hospital.Hospital{Name: hospital.FirstHospital}).Error; err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := tdb.DB(); err == nil {
		_ = sqlDB.Close()
	}

	env := func(k string) string {
		switch k {
		case "REDIS_URL":
			return redisURL
		case "DATABASE_URL":
			return testenv.DSN(t, names[0])
		}
		return ""
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testenv.Buffer
	code := make(chan int, 1)
	ready := make(chan string, 1)
	go func() {
		code <- run(runCtx, []string{"-addr", "127.0.0.1:0", "-service", service}, env, &out, func(a string) { ready <- a })
	}()
	var addr string
	select {
	case addr = <-ready:
	case c := <-code:
		t.Fatalf("exited %d:\n%s", c, out.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	do := func(method, host, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code1, first := do(http.MethodGet, id, "/api/hospitals", "")
	if code1 != http.StatusOK || !strings.Contains(first, hospital.FirstHospital) {
		t.Fatalf("hospitals: %d %q", code1, first)
	}
	prefix, err := cacheaware.Prefix(tenant.NewContext(ctx, id))
	if err != nil {
		t.Fatal(err)
	}
	gen, err := rdb.Get(ctx, prefix+service+":list:hospitals:gen").Result()
	if err != nil {
		t.Fatalf("no generation of the tenant's list: %v", err)
	}
	cached, err := rdb.Get(ctx, prefix+service+":list:hospitals:"+gen).Result()
	if err != nil || cached != first {
		t.Fatalf("the list is not cached under the tenant's key: %q %v", cached, err)
	}
	if c, again := do(http.MethodGet, id, "/api/hospitals", ""); c != http.StatusOK || again != first {
		t.Fatalf("hospitals again: %d %q", c, again)
	}

	if c, body := do(http.MethodPost, id, "/api/patients", `{"name":"Ada","email":"ada@example.com"}`); c != http.StatusAccepted {
		t.Fatalf("POST patient: %d %q", c, body)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	tasks, err := insp.ListPendingTasks(service)
	if err != nil || len(tasks) != 1 || tasks[0].Type != hospital.TaskAddPatient || tasks[0].Headers[tenanttask.HeaderTenant] != id {
		t.Fatalf("pending tasks on queue %s: %+v %v", service, tasks, err)
	}
	if c, body := do(http.MethodGet, "tenant-9.localhost", "/api/hospitals", ""); c != http.StatusNotFound {
		t.Fatalf("unknown host: %d %q", c, body)
	}

	cancel()
	if c := <-code; c != exitOK {
		t.Fatalf("exit %d:\n%s", c, out.String())
	}
	if !strings.Contains(out.String(), "mode=redis") {
		t.Fatalf("no Redis mode logged:\n%s", out.String())
	}
}
