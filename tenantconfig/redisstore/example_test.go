package redisstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/tenantrouter/tenantplugin/tenantconfig"
	"github.com/tenantrouter/tenantplugin/tenantconfig/redisstore"
)

// ExampleNew makes the store of a service, and refuses a bad option with
// an error naming it.
func ExampleNew() {
	mr, _ := miniredis.Run() // a real Redis in production
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()

	store, err := redisstore.New(client, "billing",
		redisstore.WithPrefix("shop"),
		redisstore.WithPingInterval(2*time.Second),
		redisstore.WithLogger(slog.New(slog.DiscardHandler)))
	fmt.Println(store, err)

	_, err = redisstore.New(client, "billing", redisstore.WithPingInterval(-2*time.Second))
	fmt.Println(err)
	// Output:
	// redis store "billing" (keys {shop:billing}:*) <nil>
	// redisstore: WithPingInterval(-2s): negative interval (0: the default, -1: no ping)
}

// ExampleStore_Watch writes a tenant, watches the announcement, and reads
// it back.
func ExampleStore_Watch() {
	mr, _ := miniredis.Run() // a real Redis in production
	defer mr.Close()
	client := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	defer client.Close()
	store, _ := redisstore.New(client, "billing", redisstore.WithLogger(slog.New(slog.DiscardHandler)))
	ctx := context.Background()

	events := make(chan tenantconfig.Event, 1)
	stop, _ := store.Watch(ctx, func(e tenantconfig.Event) { events <- e }, func() {})
	defer stop()

	cfg := tenantconfig.Config{ORM: map[string]map[string]tenantconfig.Database{
		tenantconfig.GORM: {tenantconfig.DefaultAlias: {DataSource: tenantconfig.DataSource{Host: "db", Name: "acme"}}},
	}}
	versions, _ := store.Apply(ctx, tenantconfig.Change{Kind: tenantconfig.PutTenant, Tenant: "acme", Config: cfg, Create: true})
	fmt.Println("version", versions[0])
	fmt.Printf("announced %+v\n", <-events)

	rec, _ := store.Get(ctx, "acme")
	db, _ := rec.Config.Database(tenantconfig.GORM, tenantconfig.DefaultAlias)
	fmt.Println(db.Name, rec.Version)
	// Output:
	// version 1
	// announced {Tenant:acme Version:1 Deleted:false}
	// acme 1
}
