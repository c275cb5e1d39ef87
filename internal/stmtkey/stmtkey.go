// Package stmtkey holds what the root package and its subpackages share
// on a gorm.Statement.
package stmtkey

import "gorm.io/gorm/clause"

const (
	// Use is the gorm.Statement.Clauses key of an explicit reserved
	// alias, whose expression is a UseAlias. GORM builds only the clauses
	// a statement names, so this one never reaches the SQL.
	Use = "tenantplugin:use"

	// Callback is the name of the routing callback, registered on every
	// processor.
	Callback = "tenantplugin:route"
)

// UseAlias is the expression stored under Use.
type UseAlias struct{ Alias string }

// Build writes nothing.
func (UseAlias) Build(clause.Builder) {}
