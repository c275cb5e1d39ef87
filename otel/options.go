package tenantotel

import "github.com/tenantrouter/tenantplugin/internal/optapply"

// Option configures [NewMetrics]. Each option checks its own input; an
// invalid one makes NewMetrics return an error naming it.
type Option func(*options) error

type options struct {
	noTenantLabels bool
}

// WithoutTenantLabels leaves the tenant out of every metric: per-tenant
// series (pool connections and waits, migration results) are summed over
// the tenants instead. Use it when there are so many tenants that a
// series per tenant would cost the metrics backend too much. Spans keep
// the tenant: a span is one statement's.
func WithoutTenantLabels() Option {
	return func(o *options) error {
		o.noTenantLabels = true
		return nil
	}
}

func applyOptions(opts []Option) (options, error) {
	var o options
	if err := optapply.Apply("tenantotel", &o, opts); err != nil {
		return options{}, err
	}
	return o, nil
}
