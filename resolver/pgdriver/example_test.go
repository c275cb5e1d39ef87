package pgdriver_test

import (
	"fmt"

	"github.com/tenantrouter/tenantplugin/resolver/pgdriver"
	"github.com/tenantrouter/tenantplugin/tenantconfig"
)

// ExampleNew merges a tenant's fields over the application's DSN; the
// connector connects on first use.
func ExampleNew() {
	_, err := pgdriver.New().Connector("postgres://app:secret@db.internal:5432/app",
		tenantconfig.DataSource{Name: "acme", User: "acme"})
	fmt.Println(err)
	_, err = pgdriver.New().Connector("", tenantconfig.DataSource{DSN: "postgres://u:hunter2@host:notaport/db"})
	fmt.Println(err != nil)
	// Output:
	// <nil>
	// true
}
