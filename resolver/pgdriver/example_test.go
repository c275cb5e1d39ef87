package pgdriver_test

import (
	"fmt"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
)

// ExampleNew merges a tenant's fields over the application's DSN; the
// connector connects on first use.
func ExampleNew() {
	_, err := pgdriver.New().Connector("postgres://app:secret@db.internal:5432/app",
		resolver.DBConfig{Name: "acme", User: "acme"})
	fmt.Println(err)
	_, err = pgdriver.New().Connector("", resolver.DBConfig{DSN: "postgres://u:hunter2@host:notaport/db"})
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}
