package hospital

import (
	"time"

	tenantplugin "github.com/tenantrouter/tenantplugin"
	"github.com/tenantrouter/tenantplugin/reserved"
)

// Hospital is one hospital of a tenant. It lives in each tenant's
// database (table hospitals); its name is unique within the tenant.
type Hospital struct {
	ID      uint
	Name    string `gorm:"not null;uniqueIndex"`
	Address string
}

// Patient is one patient of a tenant. It lives in each tenant's database
// (table patients); its email is unique within the tenant.
type Patient struct {
	ID    uint
	Name  string `gorm:"not null"`
	Email string `gorm:"not null;uniqueIndex"`
}

// AuditLog is one entry of the service's audit log. It lives in the
// central database, the reserved alias [tenantplugin.DefaultAlias] (table
// audit_logs), and names the tenant it is about.
type AuditLog struct {
	ID     uint
	Tenant string `gorm:"not null;index"`
	Action string `gorm:"not null"`
	At     time.Time
}

// Strategy returns the strategy that places the central models
// ([AuditLog]) on the reserved alias [tenantplugin.DefaultAlias]. Every
// other model, unplaced by it, goes to the tenant in the context.
func Strategy() tenantplugin.Strategy {
	return reserved.Models(tenantplugin.DefaultAlias, CentralModels()...)
}

// TenantModels returns a new value of each model of a tenant's database.
func TenantModels() []any { return []any{&Hospital{}, &Patient{}} }

// CentralModels returns a new value of each model of the central
// database.
func CentralModels() []any { return []any{&AuditLog{}} }

// Models returns a new value of every model, central and tenant ones,
// for migrate.AutoMigrate (which sends each where [Strategy] says).
func Models() []any { return append(CentralModels(), TenantModels()...) }
