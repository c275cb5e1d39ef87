// Package stmtkey holds the names that the root package and its
// subpackages share on a gorm.Statement.
package stmtkey

const (
	// Use is the gorm.Statement.Settings key of an explicit reserved
	// alias (a string), set by reserved.Use.
	Use = "tenantplugin:use"

	// Callback is the name of the routing callback, registered on every
	// processor.
	Callback = "tenantplugin:route"
)
