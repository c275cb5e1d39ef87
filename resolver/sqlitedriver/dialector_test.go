package sqlitedriver_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/resolver"
	"github.com/tenantrouter/tenantplugin/resolver/sqlitedriver"
)

// otherSQLite stands for another SQLite dialector, such as
// gorm.io/driver/sqlite's.
type otherSQLite struct{ gorm.Dialector }

func (otherSQLite) Name() string { return "sqlite" }

func TestWithDialector(t *testing.T) {
	var nilDialector *sqlite.Dialector
	tests := []struct {
		name string
		d    gorm.Dialector
		want string // "" when accepted, else what the error names
	}{
		{"pointer", sqlite.Open("x.db"), ""},
		{"value", sqlite.Dialector{DSN: "x.db"}, ""},
		{"driver name", &sqlite.Dialector{DriverName: "sqlite"}, ""},
		{"existing pool", &sqlite.Dialector{DriverName: "sqlite3", Conn: &sql.DB{}}, ""},
		{"another sqlite dialector", otherSQLite{}, ""},
		{"another database/sql driver", &sqlite.Dialector{DriverName: "sqlite3"}, `"sqlite3"`},
		{"postgres", postgres.Open("host=h"), "*postgres.Dialector"},
		{"nil pointer", nilDialector, "nil"},
		{"nil", nil, "nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := sqlitedriver.New().(resolver.DialectorDriver)
			got, err := d.WithDialector(tt.d)
			if tt.want == "" {
				if err != nil || got == nil || got.Name() != sqlitedriver.DriverName {
					t.Fatalf("got %v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "sqlitedriver: ") {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
