package tenantplugin_test

import (
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// Two central models in a many-to-many association: GORM keeps it in the
// join table r8_course_teachers, which AutoMigrate creates with them on
// the central database.
type (
	R8Course struct {
		ID       uint
		Name     string
		Teachers []R8Teacher `gorm:"many2many:r8_course_teachers"`
	}
	R8Teacher struct {
		ID   uint
		Name string
	}
)

// TestRedTeam8CentralManyToManyJoinTable: reserved.Models names both
// central models; the join table GORM keeps their association in is
// no model of its own, so it is left to the tenant. AutoMigrate creates
// it on the central database (or would: AutoMigrate of the two models
// is refused, as if the join table were a tenant's, with advice that does
// not apply), but saving or reading the association
// sends its statements to the tenant: without a tenant the central
// model cannot be saved (its implicit transaction refuses the join
// table's INSERT), and with one the join rows land in the tenant's
// database, where Preload then reads them.
func TestRedTeam8CentralManyToManyJoinTable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := fixture.New(t, b, fixture.Options{Strategies: []tenantplugin.Strategy{
			reserved.Models(tenantplugin.DefaultAlias, &R8Course{}, &R8Teacher{})}})
		if err := e.DB.AutoMigrate(&R8Course{}, &R8Teacher{}); err != nil {
			t.Errorf("AutoMigrate of two central models: %v", err)
			// Go on with the migration the error does not suggest.
			if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).AutoMigrate(&R8Course{}, &R8Teacher{}); err != nil {
				t.Fatal(err)
			}
		}
		// The tenant's database has the join table too (a copy of the
		// former single-tenant database), so that a wrong route succeeds.
		if _, err := e.OpenTenantDB(t, "t00").Exec("CREATE TABLE r8_course_teachers (r8_course_id integer, r8_teacher_id integer, PRIMARY KEY (r8_course_id, r8_teacher_id))"); err != nil {
			t.Fatal(err)
		}

		d, err := sent(e, func() error {
			return e.DB.Create(&R8Course{Name: "algebra", Teachers: []R8Teacher{{Name: "Ada"}}}).Error
		})
		if err != nil || len(d) != 1 || d[fixture.Central] == 0 {
			t.Errorf("Create of a central course with its teachers, no tenant: err %v, sent %v; want it all on the central database", err, d)
		}
		ctx := e.Ctx("t00")
		d, err = sent(e, func() error {
			return e.DB.WithContext(ctx).Session(&gorm.Session{SkipDefaultTransaction: true}).
				Create(&R8Course{Name: "geometry", Teachers: []R8Teacher{{Name: "Euclid"}}}).Error
		})
		if err != nil || d["t00"] != 0 {
			t.Errorf("Create of a central course with its teachers, tenant t00: err %v, sent %v; want it all on the central database", err, d)
		}
		var courses []R8Course
		d, err = sent(e, func() error { return e.DB.WithContext(ctx).Preload("Teachers").Find(&courses).Error })
		if err != nil || d["t00"] != 0 {
			t.Errorf("Preload of a central course's teachers, tenant t00: err %v, sent %v; want it all on the central database", err, d)
		}
	})
}
