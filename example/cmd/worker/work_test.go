package main

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/tenantrouter/tenantplugin/example/hospital"
	"github.com/tenantrouter/tenantplugin/internal/testenv"
	tenanttask "github.com/tenantrouter/tenantplugin/tasks"
	"github.com/tenantrouter/tenantplugin/tenant"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// TestWork runs the worker in process on a service of a random name,
// with two tenants: a patient enqueued for tenant-a is inserted into
// tenant-a's database only; the same email again, a task of a tenant
// the store does not hold and a payload that does not decode are
// archived, not retried, and write nothing; the worker shuts down cleanly (goleak checks what it
// started).
func TestWork(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	names := testenv.Databases(t, 3)
	rdb, service := testenv.RedisService(t, "worker-test-")
	ctx := t.Context()

	store, err := redisstore.New(rdb, service)
	if err != nil {
		t.Fatal(err)
	}
	dbs := map[string]*sql.DB{}
	for i, id := range []string{"tenant-a", "tenant-b"} {
		name := names[i+1]
		cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
			tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Name: name}}},
		}}
		if _, err := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: id, Config: cfg}); err != nil {
			t.Fatal(err)
		}
		gdb, err := gorm.Open(postgres.Open(testenv.DSN(t, name)), &gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if err := gdb.AutoMigrate(hospital.TenantModels()...); err != nil {
			t.Fatal(err)
		}
		sqlDB, err := gdb.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sqlDB.Close() })
		dbs[id] = sqlDB
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
	ready := make(chan struct{})
	go func() {
		code <- run(runCtx, []string{"-service", service, "-concurrency", "2"}, env, &out, func() { close(ready) })
	}()
	select {
	case <-ready:
	case c := <-code:
		t.Fatalf("exited %d:\n%s", c, out.String())
	}

	tc, err := tenanttask.NewClient(asynq.NewClientFromRedisClient(rdb))
	if err != nil {
		t.Fatal(err)
	}
	enqueue := func(id, payload string) {
		t.Helper()
		task := asynq.NewTask(hospital.TaskAddPatient, []byte(payload))
		if _, err := tc.Enqueue(tenant.NewContext(ctx, id), task, asynq.Queue(service)); err != nil {
			t.Fatal(err)
		}
	}
	const ada = `{"name":"Ada","email":"ada@example.com"}`
	enqueue("tenant-a", ada)
	enqueue("tenant-a", ada)        // a duplicate
	enqueue("tenant-gone", ada)     // a tenant the store does not hold
	enqueue("tenant-b", `{"name":`) // a payload that does not decode

	// No event tells the test when asynq has moved a task: poll the
	// queue until the four are done or archived.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	deadline := time.Now().Add(30 * time.Second)
	for {
		q, err := insp.GetQueueInfo(service)
		if err != nil {
			t.Fatal(err)
		}
		if q.Processed >= 4 && q.Pending+q.Active+q.Retry+q.Scheduled == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue after 30s: %+v\n%s", q, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	q, err := insp.GetQueueInfo(service)
	if err != nil {
		t.Fatal(err)
	}
	if q.Archived != 3 || q.Retry != 0 {
		t.Fatalf("want 3 tasks archived and none to retry: %+v\n%s", q, out.String())
	}
	count := func(id string) int {
		var n int
		if err := dbs[id].QueryRow("SELECT count(*) FROM patients").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := count("tenant-a"), count("tenant-b"); a != 1 || b != 0 {
		t.Fatalf("patients: tenant-a %d, tenant-b %d; want 1 and 0", a, b)
	}

	cancel()
	if c := <-code; c != exitOK {
		t.Fatalf("exit %d:\n%s", c, out.String())
	}
}
