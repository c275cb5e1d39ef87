package hospital

import (
	"context"

	"github.com/tenantrouter/tenantplugin/provision"
)

// FirstHospital is the name of the hospital every new tenant starts
// with (see [Hooks]).
const FirstHospital = "Main hospital"

// Hooks returns the example application's provisioning hooks, which
// [provision.Provisioner.Create] runs on a new tenant's database once it
// is migrated, before the tenant is published. The sign-up handler and
// tenantctl create tenants with the same hooks:
//
//   - "first-hospital" gives the tenant its first [Hospital],
//     [FirstHospital]; run again (a re-run after a crash), it finds it.
func Hooks() []provision.Hook {
	return []provision.Hook{{
		Name: "first-hospital",
		Create: func(ctx context.Context, t provision.Tenant) error {
			h := Hospital{Name: FirstHospital}
			return t.DB.WithContext(ctx).Where(h).FirstOrCreate(&h).Error
		},
	}}
}
