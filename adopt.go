package tenantplugin

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/tenantrouter/tenantplugin/tenant"
)

// AdoptTx returns a session of db whose statements run in tx, a
// transaction the application began itself (for instance on a tenant's
// *sql.DB leased from the resolver, or on a reserved database). The
// plugin refuses statements on transactions it did not begin, because it
// cannot tell which database they are on; AdoptTx is the application's
// statement of where tx is: on the database of the tenant in db's
// context for [TenantRoute()], or on the reserved alias route names. The
// plugin cannot check that promise.
//
// Statements of the session are then checked as in the plugin's own
// transactions: one whose context names another tenant, or that a clause
// or strategy sends to another database, fails with [ErrCrossDatabase].
// Commit and Rollback on the session end tx.
//
// When db has no tenant for [TenantRoute()], an invalid one, or route names
// an alias the plugin does not know, the session carries the error
// ([tenant.ErrMissing], [tenant.ErrInvalidID], [ErrUnknownAlias]) and sends
// nothing.
func AdoptTx(db *gorm.DB, tx gorm.Tx, route Route) *gorm.DB {
	s := ownSession(db)
	t, err := adopt(db, tx, route)
	if err != nil {
		s.Statement.ConnPool = failPool{err}
		_ = s.AddError(err)
		return s
	}
	s.Statement.ConnPool = t
	return s
}

func adopt(db *gorm.DB, tx gorm.Tx, route Route) (*rootTx, error) {
	p, ok := db.Config.Plugins[PluginName].(*Plugin)
	if !ok {
		return nil, errors.New("tenantplugin: AdoptTx on a *gorm.DB without the plugin")
	}
	if tx == nil {
		return nil, errors.New("tenantplugin: AdoptTx given a nil transaction")
	}
	t := &rootTx{Tx: tx, route: route}
	if alias, ok := route.Alias(); ok {
		if _, ok := p.reserved[alias]; !ok {
			return nil, fmt.Errorf("%w: %q", ErrUnknownAlias, alias)
		}
		return t, known(t, tx)
	}
	id, ok := tenant.FromContext(db.Statement.Context)
	if !ok {
		return nil, tenant.ErrMissing
	}
	if err := tenant.ValidateID(id); err != nil {
		return nil, err
	}
	t.tenant = id
	return t, known(t, tx)
}

// known checks the application's word against what the plugin knows of
// tx, when the plugin or a resolver began it.
func known(t *rootTx, tx gorm.Tx) error {
	b, ok := txOf(tx)
	if !ok {
		return nil
	}
	if b.route != t.route || t.route == TenantRoute() && b.tenant != t.tenant {
		return fmt.Errorf("%w: AdoptTx for %s of a transaction on %s", ErrCrossDatabase, t.bound().where(), b.where())
	}
	return nil
}

// ownSession returns a session of db with a Statement of its own: a
// plain Session shares db's, and setting its pool would change db.
func ownSession(db *gorm.DB) *gorm.DB {
	return db.Session(&gorm.Session{Context: db.Statement.Context})
}
