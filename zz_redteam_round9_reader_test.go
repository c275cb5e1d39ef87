package tenantplugin_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// TestRedTeam9KeywordAliasBeforeJoin: PostgreSQL takes SET (SQLite DO,
// OFFSET, WINDOW ...) as a relation's alias, also before a JOIN or the
// ON of the join the relation ends, and the FROM list goes on after the
// join. The reader took the word for the clause it may start and lost
// the relations after the next ',': a statement naming central tables
// and a tenant table after them was sent to the central database, where
// it read the central copy of the tenant table.
func TestRedTeam9KeywordAliasBeforeJoin(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{})
		central := func() *gorm.DB { return e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)) }
		if err := central().Create(&Note{Tenant: "t01", Body: "t01's secret"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := central().Create(&AuditLog{Body: "x"}).Error; err != nil {
			t.Fatal(err)
		}
		if err := central().Create(&Hospital{Name: "h"}).Error; err != nil {
			t.Fatal(err)
		}
		db := e.DB.WithContext(e.Ctx("t00"))

		// The control: the same statement with another alias is refused.
		var bodies []string
		d, err := sent(e, func() error {
			return db.Raw("SELECT n.body FROM audit_logs a JOIN hospitals h ON true, notes n").Scan(&bodies).Error
		})
		wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)

		qs := []string{
			"SELECT n.body FROM audit_logs set JOIN hospitals h ON true, notes n",
			"SELECT n.body FROM audit_logs JOIN hospitals AS set ON true, notes n",
			"SELECT n.body FROM audit_logs a JOIN hospitals conflict USING (id), notes n",
		}
		if b == fixture.SQLite {
			qs = []string{
				"SELECT n.body FROM audit_logs AS do JOIN hospitals h ON true, notes n",
				"SELECT n.body FROM audit_logs offset LEFT JOIN hospitals h ON true, notes n",
				"SELECT n.body FROM audit_logs a JOIN hospitals AS window USING (id), notes n",
			}
		}
		for _, q := range qs {
			bodies = nil
			d, err := sent(e, func() error { return db.Raw(q).Scan(&bodies).Error })
			if !errors.Is(err, tenantplugin.ErrCrossDatabase) || len(d) != 0 {
				t.Errorf("%s with tenant t00: err %v, sent %v, read %q; want ErrCrossDatabase, nothing sent", q, err, d, bodies)
			}
		}
	})
}
