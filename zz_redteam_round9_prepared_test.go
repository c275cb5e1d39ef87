package tenantplugin_test

import (
	"testing"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/internal/fixture"
)

// R9PreparedHook is a tenant model whose AfterCreate hook saves a
// patient through a PrepareStmt session of its transaction.
type R9PreparedHook struct {
	ID   uint
	Name string
}

func (h *R9PreparedHook) AfterCreate(tx *gorm.DB) error {
	return tx.Session(&gorm.Session{PrepareStmt: true, NewDB: true}).Create(&RTPatient{Name: "prepared-" + h.Name}).Error
}

// TestRedTeam9PrepareStmtSessionInHook: a hook that takes a PrepareStmt
// session of GORM's implicit transaction (checked, with strategies
// installed) wraps it in GORM's PreparedStmtTX; the plugin must still
// see its own transaction there and run the statement in it, on the
// tenant's database, as without PrepareStmt.
func TestRedTeam9PrepareStmtSessionInHook(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		a := e.Tenants[0]
		db := e.DB.WithContext(e.Ctx(a))
		if err := noRelations(db).AutoMigrate(&R9PreparedHook{}); err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&R9PreparedHook{Name: "x"}).Error; err != nil {
			t.Fatalf("Create whose hook saves through a PrepareStmt session of its transaction: %v", err)
		}
		var n int64
		if err := db.Model(&RTPatient{}).Where("name = ?", "prepared-x").Count(&n).Error; err != nil || n != 1 {
			t.Errorf("tenant %s holds %d patients saved by the hook (err %v), want 1", a, n, err)
		}
		if n := centralCount(t, e, `SELECT count(*) FROM rt_patients WHERE name = 'prepared-x'`); n != 0 {
			t.Errorf("the central database holds %d of the hook's patients", n)
		}
	})
}
