package tenantplugin_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// The models of the red-team tests. RTClinic and RTWard are central;
// RTPatient, RTMemo and RTBoom are tenant models. A clinic has wards
// (central to central) and patients (central to tenant, without a
// constraint, as the README asks).
type (
	RTWard struct {
		ID         uint
		RTClinicID uint
		Name       string
	}
	RTClinic struct {
		ID       uint
		Name     string
		Wards    []RTWard    `gorm:"constraint:-"`
		Patients []RTPatient `gorm:"constraint:-"`
	}
	RTPatient struct {
		ID         uint
		RTClinicID uint
		Tenant     string
		Name       string
		RTClinic   *RTClinic `gorm:"constraint:-"`
	}
	// RTShift is central and belongs to a tenant's patient (a central
	// row pointing at a tenant row, without a constraint).
	RTShift struct {
		ID          uint
		RTPatientID uint
		RTPatient   RTPatient `gorm:"constraint:-"`
	}
	RTMemo struct {
		ID   uint
		Body string
	}
)

// rtCentralModels are the models the red-team strategy sends to the
// central database.
func rtStrategies() []tenantplugin.Strategy {
	return []tenantplugin.Strategy{reserved.Models(tenantplugin.DefaultAlias,
		&AuditLog{}, &Hospital{}, &RTClinic{}, &RTWard{}, &RTShift{})}
}

// rtEnv builds an Env whose central database is a former single-tenant
// database: besides its own tables it has the tenant tables too, so that
// a statement sent there by mistake succeeds silently instead of failing
// on a missing table. Tenants have only their own tables.
func rtEnv(t *testing.T, b fixture.Backend, o fixture.Options) *fixture.Env {
	t.Helper()
	if o.Strategies == nil {
		o.Strategies = rtStrategies()
	}
	e := fixture.New(t, b, o)
	central := noRelations(e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)))
	if err := central.AutoMigrate(&AuditLog{}, &Hospital{}, &RTClinic{}, &RTWard{}, &RTShift{},
		&Note{}, &Tag{}, &RTPatient{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range e.Tenants {
		if err := noRelations(e.DB.WithContext(e.Ctx(id))).AutoMigrate(&Note{}, &Tag{}, &RTPatient{}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// noRelations returns a session of db whose AutoMigrate leaves
// associations alone (each side is migrated on its own database).
func noRelations(db *gorm.DB) *gorm.DB {
	s := db.Session(&gorm.Session{})
	s.Config.IgnoreRelationshipsWhenMigrating = true
	return s
}

// sent runs f and returns its error and the number of statements each
// database received while it ran (databases that received none are left
// out).
func sent(e *fixture.Env, f func() error) (map[string]int64, error) {
	before := snapshot(e)
	err := f()
	after := snapshot(e)
	d := map[string]int64{}
	for label, n := range after {
		if n != before[label] {
			d[label] = n - before[label]
		}
	}
	return d, err
}

// wantRefused checks that err wraps want and that nothing was sent.
func wantRefused(t *testing.T, err error, d map[string]int64, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("err = %v, want %v", err, want)
	}
	if len(d) != 0 {
		t.Errorf("statements sent: %v, want none", d)
	}
}

// centralCount runs a count on the central database, around strategies.
func centralCount(t *testing.T, e *fixture.Env, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Clauses(reserved.Use(tenantplugin.DefaultAlias)).Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
