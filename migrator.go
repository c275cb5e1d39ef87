package tenantplugin

import (
	"fmt"
	"reflect"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// migrator wraps the dialector's migrator so that a migration runs, whole,
// on the database its model belongs to. A migrator's look-ups of the
// current database and schema name no table: left alone, they would go
// where the session's other statements go, while those about a reserved
// model's table go to the reserved database, and the migrator would
// compare one database's catalog with another's.
//
// A method given a model (or a table name) that the strategies send to a
// reserved database other than the session's runs on a session pinned to
// that database, as under reserved.Use. AutoMigrate checks all its models
// first, those GORM adds for associations included, and refuses, before
// sending anything, models that belong to different databases.
type migrator struct {
	gorm.Migrator
	p  *Plugin
	d  gorm.Dialector // the wrapped dialector
	db *gorm.DB
}

// own is where the session's statements that name no table go, and
// whether a clause fixed it.
func (m migrator) own() (Route, bool) {
	if alias, ok := explicitAlias(m.db.Statement); ok {
		return ReservedRoute(alias), true
	}
	r, ok := m.p.strategies.Route(Statement{Context: m.db.Statement.Context, Op: OpMigrate})
	if !ok {
		r = TenantRoute()
	}
	return r, false
}

// routeOf is where the strategies send the table a method about value
// works on: value's, or the session's Table(), which GORM's migrator
// takes instead of a model's (RunWithValue), as statements do.
func (m migrator) routeOf(value any) (Route, string) {
	return m.routeOfTable(value, m.db.Statement.Table)
}

// routeOfTable is where the strategies send value's table, or table
// when it is not empty and value is a model.
func (m migrator) routeOfTable(value any, table string) (Route, string) {
	s := Statement{Context: m.db.Statement.Context, Op: OpMigrate}
	switch v := value.(type) {
	case string:
		s.Table = v
	default:
		if table != "" {
			s.Table = table
			break
		}
		if sch, err := schema.Parse(value, &m.p.schemas, m.db.NamingStrategy); err == nil {
			s.Schema, s.Table = sch, sch.Table
		}
		s.Model = value
	}
	r, ok := m.p.strategies.Route(s)
	if !ok {
		r = TenantRoute()
	}
	return r, s.Table
}

// on returns the migrator to run a method about value with: this one, or
// one on a session pinned to the reserved database value belongs to.
func (m migrator) on(value any) (gorm.Migrator, error) {
	return m.onTable(value, m.db.Statement.Table)
}

// onTable is on for a method that works on table, when not empty,
// instead of a model value's.
func (m migrator) onTable(value any, table string) (gorm.Migrator, error) {
	if len(m.p.strategies) == 0 {
		return m.Migrator, nil
	}
	own, explicit := m.own()
	if explicit {
		return m.Migrator, nil
	}
	r, _ := m.routeOfTable(value, table)
	return m.pinned(r, own)
}

// pinned returns the migrator for statements that belong on r, from a
// session whose own statements go to own. Inside a transaction, whose
// statements cannot leave its database, a migration of another
// database's table is refused.
func (m migrator) pinned(r, own Route) (gorm.Migrator, error) {
	if tx, ok := txOf(m.db.Statement.ConnPool); ok && r != tx.route {
		return nil, fmt.Errorf("%w: a migration of a table on %s inside a transaction on %s: run it outside the transaction",
			ErrCrossDatabase, r, tx.where())
	}
	alias, ok := r.Alias()
	if r == own || !ok {
		return m.Migrator, nil
	}
	rc, err := m.p.reservedConn(alias, m.db.PrepareStmt, true)
	if err != nil {
		return nil, err
	}
	s := ownSession(m.db)
	s.Statement.ConnPool = rc
	return m.d.Migrator(s), nil
}

// AutoMigrate migrates values on the one database they belong to. GORM
// adds the models of values' associations; all must belong to one
// database, else it fails with ErrCrossDatabase before sending anything.
func (m migrator) AutoMigrate(values ...any) error {
	if len(m.p.strategies) == 0 {
		return m.Migrator.AutoMigrate(values...)
	}
	own, explicit := m.own()
	if explicit {
		return m.Migrator.AutoMigrate(values...)
	}
	route, first, err := m.oneDatabase(values)
	if err != nil {
		return err
	}
	if _, ok := route.Alias(); !ok && own != TenantRoute() {
		return fmt.Errorf("%w: AutoMigrate of tenant table %q on a session whose other statements go to %s",
			ErrCrossDatabase, first, own)
	}
	mg, err := m.pinned(route, own)
	if err != nil {
		return err
	}
	return mg.AutoMigrate(values...)
}

// oneDatabase returns the database values belong to, with the first
// one's table, checking that the models GORM adds for their
// associations (those its foreign keys reach) belong there too: else it
// fails with ErrCrossDatabase before anything is sent.
func (m migrator) oneDatabase(values []any) (Route, string, error) {
	all := values
	if ro, ok := m.Migrator.(interface {
		ReorderModels([]any, bool) []any
	}); ok {
		all = ro.ReorderModels(values, true)
	}
	given := make(map[reflect.Type]bool, len(values))
	for _, v := range values {
		given[modelType(v)] = true
	}
	var (
		route      Route
		first      string
		byDatabase []string
	)
	for i, v := range all {
		r, table := m.routeOf(v)
		if i == 0 {
			route, first = r, table
			continue
		}
		if r == route {
			continue
		}
		if !given[modelType(v)] {
			return route, first, associationError(table, r, first, route)
		}
		if !given[modelType(all[0])] {
			return route, first, associationError(first, route, table, r)
		}
		byDatabase = append(byDatabase, fmt.Sprintf("%q on %s", table, r))
	}
	if len(byDatabase) > 0 {
		return route, first, fmt.Errorf("%w: AutoMigrate was given models of different databases: %q on %s, %s; migrate each database's models apart (migrate.AutoMigrate does)",
			ErrCrossDatabase, first, route, strings.Join(byDatabase, ", "))
	}
	return route, first, nil
}

// associationError explains a model GORM added to a migration for an
// association: table belongs to r, the migration to migrating's database.
func associationError(table string, r Route, migrating string, on Route) error {
	return fmt.Errorf("%w: AutoMigrate of %q (%s) reached table %q, which belongs to %s: GORM migrates a model's associations too. "+
		"Migrate tenant models with migrate.AutoMigrate (it leaves associations to other databases alone), "+
		"or tag the association field `gorm:\"constraint:-\"` (a foreign key cannot reach another database anyway)",
		ErrCrossDatabase, migrating, on, table, r)
}

func modelType(v any) reflect.Type {
	t := reflect.TypeOf(v)
	for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice) {
		t = t.Elem()
	}
	return t
}

// The methods about one model or table run where it belongs.

// do runs f with the migrator for value.
func (m migrator) do(value any, f func(gorm.Migrator) error) error {
	mg, err := m.on(value)
	if err != nil {
		return err
	}
	return f(mg)
}

// ask runs a yes-or-no f with the migrator for value; false when value
// cannot be routed.
func (m migrator) ask(value any, f func(gorm.Migrator) bool) bool {
	mg, err := m.on(value)
	return err == nil && f(mg)
}

func (m migrator) CreateTable(values ...any) error {
	for _, v := range values {
		if err := m.withForeignKeys(v); err != nil {
			return err
		}
		if err := m.do(v, func(mg gorm.Migrator) error { return mg.CreateTable(v) }); err != nil {
			return err
		}
	}
	return nil
}

// withForeignKeys checks that the tables a model's foreign keys reach
// (GORM's CreateTable and CreateConstraint create them) belong to the
// model's database, as AutoMigrate does.
func (m migrator) withForeignKeys(value any) error {
	if len(m.p.strategies) == 0 || m.db.DisableForeignKeyConstraintWhenMigrating || m.db.IgnoreRelationshipsWhenMigrating {
		return nil
	}
	if _, explicit := m.own(); explicit {
		return nil
	}
	_, _, err := m.oneDatabase([]any{value})
	return err
}

func (m migrator) DropTable(values ...any) error {
	for _, v := range values {
		if err := m.do(v, func(mg gorm.Migrator) error { return mg.DropTable(v) }); err != nil {
			return err
		}
	}
	return nil
}

func (m migrator) HasTable(value any) bool {
	return m.ask(value, func(mg gorm.Migrator) bool { return mg.HasTable(value) })
}

// RenameTable renames oldName's own table: GORM does not take the
// session's Table() here.
func (m migrator) RenameTable(oldName, newName any) error {
	mg, err := m.onTable(oldName, "")
	if err != nil {
		return err
	}
	return mg.RenameTable(oldName, newName)
}

func (m migrator) TableType(value any) (t gorm.TableType, err error) {
	err = m.do(value, func(mg gorm.Migrator) error { t, err = mg.TableType(value); return err })
	return t, err
}

func (m migrator) AddColumn(value any, field string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.AddColumn(value, field) })
}

func (m migrator) DropColumn(value any, field string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.DropColumn(value, field) })
}

func (m migrator) AlterColumn(value any, field string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.AlterColumn(value, field) })
}

func (m migrator) MigrateColumn(value any, field *schema.Field, ct gorm.ColumnType) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.MigrateColumn(value, field, ct) })
}

func (m migrator) MigrateColumnUnique(value any, field *schema.Field, ct gorm.ColumnType) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.MigrateColumnUnique(value, field, ct) })
}

func (m migrator) HasColumn(value any, field string) bool {
	return m.ask(value, func(mg gorm.Migrator) bool { return mg.HasColumn(value, field) })
}

func (m migrator) RenameColumn(value any, oldName, field string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.RenameColumn(value, oldName, field) })
}

func (m migrator) ColumnTypes(value any) (cts []gorm.ColumnType, err error) {
	err = m.do(value, func(mg gorm.Migrator) error { cts, err = mg.ColumnTypes(value); return err })
	return cts, err
}

func (m migrator) CreateConstraint(value any, name string) error {
	if err := m.withForeignKeys(value); err != nil {
		return err
	}
	return m.do(value, func(mg gorm.Migrator) error { return mg.CreateConstraint(value, name) })
}

func (m migrator) DropConstraint(value any, name string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.DropConstraint(value, name) })
}

func (m migrator) HasConstraint(value any, name string) bool {
	return m.ask(value, func(mg gorm.Migrator) bool { return mg.HasConstraint(value, name) })
}

func (m migrator) CreateIndex(value any, name string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.CreateIndex(value, name) })
}

func (m migrator) DropIndex(value any, name string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.DropIndex(value, name) })
}

func (m migrator) HasIndex(value any, name string) bool {
	return m.ask(value, func(mg gorm.Migrator) bool { return mg.HasIndex(value, name) })
}

func (m migrator) RenameIndex(value any, oldName, newName string) error {
	return m.do(value, func(mg gorm.Migrator) error { return mg.RenameIndex(value, oldName, newName) })
}

func (m migrator) GetIndexes(value any) (idx []gorm.Index, err error) {
	err = m.do(value, func(mg gorm.Migrator) error { idx, err = mg.GetIndexes(value); return err })
	return idx, err
}

var _ gorm.Migrator = migrator{}
