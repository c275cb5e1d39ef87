package tenantplugin_test

import (
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/plugin/dbresolver"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/internal/fixture"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// Red-team findings about GORM-built statements: parts of a statement
// that name a table and that the router does not look at. Each statement
// below names a central table (by its model) and a tenant table (in the
// part the router skips); it goes to the central database, where the
// tenant table exists too, and succeeds. Each must fail with
// ErrCrossDatabase before anything is sent.
func TestRedteamBuiltPartsNotRouted(t *testing.T) {
	eachBackend(t, func(t *testing.T, b fixture.Backend) {
		e := rtEnv(t, b, fixture.Options{Tenants: 1})
		ctx := e.Ctx(e.Tenants[0])
		db := e.DB.WithContext(ctx)
		cases := []struct {
			name   string
			pgOnly bool
			run    func() error
		}{
			// GORM's generics API: the conditions of a Joins' "on"
			// builder (join.On) are not looked at.
			{name: "generics Joins on", run: func() error {
				_, err := gorm.G[RTClinic](e.DB).Joins(clause.Has("Wards"), func(jb gorm.JoinBuilder, joinTable, _ clause.Table) error {
					jb.Where("?.id IN (SELECT id FROM notes)", joinTable)
					return nil
				}).Find(ctx)
				return err
			}},
			// ... nor the subquery of AssociationFrom (join.Expression):
			// the router asks about the association's table, the SQL reads
			// the subquery instead.
			{name: "generics Joins subquery", run: func() error {
				sub := gorm.G[RTPatient](e.DB).Select("id, rt_clinic_id, name")
				_, err := gorm.G[RTClinic](e.DB).Joins(clause.InnerJoin.AssociationFrom("Wards", sub), nil).Find(ctx)
				return err
			}},
			// A generics chain used as a subquery value is a
			// clause.Expression the router does not know.
			{name: "generics chain as a subquery", run: func() error {
				var n int64
				return db.Model(&AuditLog{}).Where("id IN (?)", gorm.G[Note](e.DB).Select("id")).Count(&n).Error
			}},
			// Create from a slice of maps, or a pointer to a map: only
			// map[string]any values are looked at.
			{name: "Create []map", run: func() error {
				return db.Table("audit_logs").Create([]map[string]any{{"body": gorm.Expr("(SELECT body FROM notes LIMIT 1)")}}).Error
			}},
			{name: "Create *map", run: func() error {
				return db.Table("audit_logs").Create(&map[string]any{"body": gorm.Expr("(SELECT body FROM notes LIMIT 1)")}).Error
			}},
			// A subquery's scopes run when GORM builds it, after the router
			// looked at the subquery without them.
			{name: "subquery scope adds a condition", run: func() error {
				var n int64
				sub := e.DB.Model(&AuditLog{}).Select("id").Scopes(func(d *gorm.DB) *gorm.DB {
					return d.Where("id IN (SELECT id FROM notes)")
				})
				return db.Model(&AuditLog{}).Where("id IN (?)", sub).Count(&n).Error
			}},
			{name: "subquery scope sets the table", run: func() error {
				var n int64
				sub := e.DB.Model(&AuditLog{}).Select("id").Scopes(func(d *gorm.DB) *gorm.DB { return d.Table("notes") })
				return db.Model(&AuditLog{}).Where("id IN (?)", sub).Count(&n).Error
			}},
			// Nested Joins ("A.B"): only the last association's table is
			// asked about, the intermediate one is joined too.
			{name: "nested Joins", run: func() error {
				var s []RTShift
				return db.Joins("RTPatient.RTClinic").Find(&s).Error
			}},
			// clause.Returning with a raw column is not looked at.
			{name: "Returning raw column", pgOnly: true, run: func() error {
				return db.Clauses(clause.Returning{Columns: []clause.Column{{Raw: true, Name: "(SELECT body FROM notes LIMIT 1)"}}}).
					Create(&AuditLog{Body: "returning"}).Error
			}},
		}
		for _, c := range cases {
			if c.pgOnly && b != fixture.Postgres {
				continue
			}
			t.Run(c.name, func(t *testing.T) {
				d, err := sent(e, c.run)
				wantRefused(t, err, d, tenantplugin.ErrCrossDatabase)
			})
		}
	})
}

// TestRedteamInsertClauseTable: clause.Insert{Table} names the table the
// INSERT writes, like an explicit Table(), but the router routes by the
// model: a central model's Create with the tenant table notes as its
// target writes a row into the central database's notes. Expected: the
// tenant table counts (the row goes to the tenant, or the statement is
// refused); nothing is written in the central database.
func TestRedteamInsertClauseTable(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	d, err := sent(e, func() error {
		return e.DB.WithContext(e.Ctx(e.Tenants[0])).Clauses(clause.Insert{Table: clause.Table{Name: "notes"}}).
			Create(&AuditLog{Body: "insert-clause"}).Error
	})
	if d[fixture.Central] != 0 {
		t.Errorf("err = %v, sent %v: an INSERT INTO notes reached the central database", err, d)
	}
	if n := centralCount(t, e, `SELECT count(*) FROM notes WHERE body = 'insert-clause'`); n != 0 {
		t.Errorf("the central database holds %d rows inserted into notes", n)
	}
}

// TestRedteamDBResolverUseIgnored: the plugin replaces dbresolver and
// honours its Read and Write clauses, but dbresolver.Use (the clause an
// application moving from dbresolver used to send a statement to another
// database) is silently ignored: the statement goes to the tenant.
// Expected: refused with an error that points at reserved.Use, or
// honoured; never silently sent elsewhere.
func TestRedteamDBResolverUseIgnored(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	a := e.Tenants[0]
	d, err := sent(e, func() error {
		return e.DB.WithContext(e.Ctx(a)).Clauses(dbresolver.Use(tenantplugin.DefaultAlias)).
			Create(&Note{Tenant: a, Body: "dbresolver-use"}).Error
	})
	if err == nil && d[a] != 0 {
		t.Errorf("dbresolver.Use ignored without an error: sent %v", d)
	}
}

// TestRedteamSecondReservedUseIgnored: reserved.Use pins the session's
// pool when the clause is added; a second reserved.Use on the same
// session sees the pinned pool first and is silently ignored, even for
// an alias that does not exist. Expected: ErrUnknownAlias, nothing sent
// (and, for two real aliases, the last one wins or the mix is refused).
func TestRedteamSecondReservedUseIgnored(t *testing.T) {
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1})
	d, err := sent(e, func() error {
		var n int64
		return e.DB.WithContext(e.Ctx(e.Tenants[0])).
			Clauses(reserved.Use(tenantplugin.DefaultAlias)).Clauses(reserved.Use("nope")).
			Model(&AuditLog{}).Count(&n).Error
	})
	wantRefused(t, err, d, tenantplugin.ErrUnknownAlias)
}

// RTArchived is central; its BeforeCreate hook retargets the INSERT at
// another table through the hook's session, which shares the statement
// being run (GORM's callMethod: Session{NewDB: true} without a context
// keeps the Statement).
type RTArchived struct {
	ID   uint
	Body string
}

func (*RTArchived) BeforeCreate(tx *gorm.DB) error {
	tx.Statement.Table = "notes"
	return nil
}

// TestRedteamHookRetargetsAfterRouting: a statement is routed by its
// callback before GORM runs the hooks; a hook that changes the statement
// afterwards (its table here; a clause with a subquery would do too) is
// never routed again. A central model's Create retargeted at the tenant
// table notes writes a row into the central database's notes. Expected:
// the statement as it is sent is routed (ErrCrossDatabase, or the
// tenant), nothing written in the central notes.
func TestRedteamHookRetargetsAfterRouting(t *testing.T) {
	strategies := append(rtStrategies(), reserved.Models(tenantplugin.DefaultAlias, &RTArchived{}))
	e := rtEnv(t, fixture.SQLite, fixture.Options{Tenants: 1, Strategies: strategies})
	d, err := sent(e, func() error {
		return e.DB.WithContext(e.Ctx(e.Tenants[0])).Create(&RTArchived{Body: "retargeted"}).Error
	})
	if n := centralCount(t, e, `SELECT count(*) FROM notes WHERE body = 'retargeted'`); n != 0 {
		t.Errorf("err = %v, sent %v: the central database holds %d rows inserted into notes", err, d, n)
	}
}
